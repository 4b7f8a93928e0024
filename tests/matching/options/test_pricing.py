"""Black-Scholes against Hull's worked example, and by the properties every price must have."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.options.decimal_context import CONTEXT
from matching.options.pricing import Inputs, Right, intrinsic, price, value

D = Decimal


def hull(right: Right) -> Inputs:
    # Hull, Options, Futures and Other Derivatives, Example 15.6: S=42, K=40, r=10%, σ=20%, T=0.5
    return Inputs(right, D(42), D(40), D("0.1"), D("0.2"), D("0.5"))


def test_hull_example() -> None:
    assert value(hull(Right.CALL)).price.quantize(D("0.01")) == D("4.76")
    assert value(hull(Right.PUT)).price.quantize(D("0.01")) == D("0.81")


spots = st.decimals(min_value=D("0.5"), max_value=D(200), places=2)
strikes = st.decimals(min_value=D("0.5"), max_value=D(200), places=2)
rates = st.decimals(min_value=D(0), max_value=D("0.2"), places=3)
vols = st.decimals(min_value=D("0.05"), max_value=D(2), places=3)
years = st.decimals(min_value=D("0.01"), max_value=D(3), places=3)


@settings(max_examples=80, deadline=None)
@given(spots, strikes, rates, vols, years)
def test_put_call_parity(s: Decimal, k: Decimal, r: Decimal, vol: Decimal, t: Decimal) -> None:
    call = value(Inputs(Right.CALL, s, k, r, vol, t)).price
    put = value(Inputs(Right.PUT, s, k, r, vol, t)).price
    assert (price(Inputs(Right.CALL, s, k, r, vol, t)), price(Inputs(Right.PUT, s, k, r, vol, t))) == (
        call,
        put,
    )
    forward = s - k * CONTEXT.exp(-r * t)
    assert abs((call - put) - forward) <= D("1e-25") * (s + k)


@settings(max_examples=60, deadline=None)
@given(spots, strikes, rates, vols, years)
def test_monotone_in_strike_and_volatility(
    s: Decimal, k: Decimal, r: Decimal, vol: Decimal, t: Decimal
) -> None:
    higher_k, higher_vol = k + D(1), vol + D("0.05")
    tolerance = D("1e-25") * (s + k)
    call, put = (value(Inputs(right, s, k, r, vol, t)).price for right in Right)
    assert value(Inputs(Right.CALL, s, higher_k, r, vol, t)).price <= call + tolerance
    assert value(Inputs(Right.PUT, s, higher_k, r, vol, t)).price >= put - tolerance
    for right, before in ((Right.CALL, call), (Right.PUT, put)):
        assert value(Inputs(right, s, k, r, higher_vol, t)).price >= before - tolerance


@settings(max_examples=60, deadline=None)
@given(spots, strikes, rates, vols, years)
def test_greek_signs_and_bounds(s: Decimal, k: Decimal, r: Decimal, vol: Decimal, t: Decimal) -> None:
    call = value(Inputs(Right.CALL, s, k, r, vol, t))
    put = value(Inputs(Right.PUT, s, k, r, vol, t))
    assert 0 <= call.delta <= 1
    assert -1 <= put.delta <= 0
    assert abs(call.delta - put.delta - 1) <= D("1e-30")
    assert call.gamma >= 0
    assert call.gamma == put.gamma
    assert call.vega >= 0
    assert call.vega == put.vega
    assert call.rho >= 0 >= put.rho
    assert call.theta <= 0  # no dividends: a call only loses time value
    assert call.price >= intrinsic(Right.CALL, s, k * CONTEXT.exp(-r * t)) - D("1e-25") * (s + k)


def test_a_greek_matches_a_finite_difference() -> None:
    inputs, bump = hull(Right.CALL), D("1e-10")
    up = value(Inputs(Right.CALL, inputs.spot + bump, inputs.strike, inputs.rate, inputs.vol, inputs.years))
    down = value(Inputs(Right.CALL, inputs.spot - bump, inputs.strike, inputs.rate, inputs.vol, inputs.years))
    assert abs((up.price - down.price) / (2 * bump) - value(inputs).delta) < D("1e-12")
    later = value(
        Inputs(Right.CALL, inputs.spot, inputs.strike, inputs.rate, inputs.vol, inputs.years - bump)
    )
    assert abs((later.price - value(inputs).price) / bump - value(inputs).theta) < D("1e-6")


def test_at_expiry_the_value_is_intrinsic() -> None:
    expired = value(Inputs(Right.PUT, D(30), D(40), D("0.1"), D("0.2"), D(0)))
    assert (expired.price, expired.delta, expired.gamma) == (D(10), D(-1), D(0))
