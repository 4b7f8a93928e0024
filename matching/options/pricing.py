"""Black-Scholes prices and greeks of a European option, in Decimal under one fixed context.

With S the underlying, K the strike, r the continuously compounded rate, σ the volatility and T the years
to expiry (no dividends: TPW pays none):

    d1 = (ln(S/K) + (r + σ²/2)·T) / (σ·√T),   d2 = d1 − σ·√T
    call = S·Φ(d1) − K·e^(−rT)·Φ(d2),          put = K·e^(−rT)·Φ(−d2) − S·Φ(−d1)

Greeks, per one unit of underlying: delta ∂V/∂S; gamma ∂²V/∂S²; vega ∂V/∂σ per 1.00 of volatility (divide
by 100 for a volatility point); theta ∂V/∂t per year of calendar time (negative: value decays); rho ∂V/∂r
per 1.00 of rate. At or after expiry (T ≤ 0) the value is the intrinsic value and every greek but delta
(0 or ±1 in the money) is zero: that is what cash settlement pays.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from matching.options.decimal_context import CONTEXT, HALF, ONE, ZERO
from matching.options.normal import cdf, pdf


class Right(StrEnum):
    """A call pays max(S − K, 0) at expiry, a put max(K − S, 0)."""

    CALL = "call"
    PUT = "put"


class PricingError(ValueError):
    """Inputs Black-Scholes cannot price (a non-positive price, strike or volatility)."""


@dataclass(frozen=True, slots=True)
class Inputs:
    """What a price depends on; every field a Decimal (years may be ≤ 0: expired)."""

    right: Right
    spot: Decimal
    strike: Decimal
    rate: Decimal
    vol: Decimal
    years: Decimal


@dataclass(frozen=True, slots=True)
class Valuation:
    """A price and its greeks (see the module docstring for their units)."""

    price: Decimal
    delta: Decimal
    gamma: Decimal
    vega: Decimal
    theta: Decimal
    rho: Decimal


def intrinsic(right: Right, spot: Decimal, strike: Decimal) -> Decimal:
    """What the option pays at expiry at `spot`: never negative."""
    gain = spot - strike if right is Right.CALL else strike - spot
    return max(gain, ZERO)


@dataclass(frozen=True, slots=True)
class _Terms:
    """What the price and the greeks share: d1, d2, √T, σ√T and K·e^(−rT)."""

    d1: Decimal
    d2: Decimal
    root_t: Decimal
    vol_root_t: Decimal
    discounted_k: Decimal


def _terms(inputs: Inputs) -> _Terms:
    c = CONTEXT
    s, k, r, vol, t = inputs.spot, inputs.strike, inputs.rate, inputs.vol, inputs.years
    root_t = c.sqrt(t)
    vol_root_t = c.multiply(vol, root_t)
    drift = c.multiply(c.add(r, c.multiply(c.multiply(vol, vol), HALF)), t)
    d1 = c.divide(c.add(c.ln(c.divide(s, k)), drift), vol_root_t)
    discounted_k = c.multiply(k, c.exp(c.minus(c.multiply(r, t))))
    return _Terms(d1, c.subtract(d1, vol_root_t), root_t, vol_root_t, discounted_k)


def _check(inputs: Inputs) -> None:
    if inputs.spot <= 0 or inputs.strike <= 0 or inputs.vol <= 0:
        raise PricingError("spot, strike and volatility must be positive")


def price(inputs: Inputs) -> Decimal:
    """The Black-Scholes price alone (two Φ instead of `value`'s four, φ and the greeks): what a margin
    scenario needs."""
    _check(inputs)
    if inputs.years <= 0:
        return intrinsic(inputs.right, inputs.spot, inputs.strike)
    c, terms, s = CONTEXT, _terms(inputs), inputs.spot
    if inputs.right is Right.CALL:
        raw = c.subtract(c.multiply(s, cdf(terms.d1)), c.multiply(terms.discounted_k, cdf(terms.d2)))
    else:
        raw = c.subtract(
            c.multiply(terms.discounted_k, cdf(c.minus(terms.d2))), c.multiply(s, cdf(c.minus(terms.d1)))
        )
    # Rounding can leave a deep out-of-the-money price a hair below zero; a price is never negative.
    return max(raw, ZERO)


def value(inputs: Inputs) -> Valuation:
    """The Black-Scholes price and greeks of `inputs`."""
    _check(inputs)
    c = CONTEXT
    right, s, r, vol, t = inputs.right, inputs.spot, inputs.rate, inputs.vol, inputs.years
    if t <= 0:
        paid = intrinsic(right, s, inputs.strike)
        delta = ZERO if paid == 0 else (ONE if right is Right.CALL else -ONE)
        return Valuation(paid, delta, ZERO, ZERO, ZERO, ZERO)
    terms = _terms(inputs)
    discounted_k, root_t = terms.discounted_k, terms.root_t
    density = pdf(terms.d1)
    gamma = c.divide(density, c.multiply(s, terms.vol_root_t))
    vega = c.multiply(c.multiply(s, density), root_t)
    decay = c.minus(c.divide(c.multiply(c.multiply(s, density), vol), c.multiply(2, root_t)))
    n_d1 = cdf(terms.d1)
    if right is Right.CALL:
        n_d2 = cdf(terms.d2)
        raw = c.subtract(c.multiply(s, n_d1), c.multiply(discounted_k, n_d2))
        delta = n_d1
        theta = c.subtract(decay, c.multiply(c.multiply(r, discounted_k), n_d2))
        rho = c.multiply(c.multiply(discounted_k, t), n_d2)
    else:
        n_minus_d2 = cdf(c.minus(terms.d2))
        raw = c.subtract(c.multiply(discounted_k, n_minus_d2), c.multiply(s, cdf(c.minus(terms.d1))))
        delta = c.subtract(n_d1, ONE)
        theta = c.add(decay, c.multiply(c.multiply(r, discounted_k), n_minus_d2))
        rho = c.minus(c.multiply(c.multiply(discounted_k, t), n_minus_d2))
    return Valuation(max(raw, ZERO), delta, gamma, vega, theta, rho)  # never negative, as `price`
