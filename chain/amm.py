"""Uniswap V2's constant-product arithmetic in plain integers, with no web3: what the pair pays and asks.

`chain.uniswap_v2` quotes the live pair with it, and the smart order router (`matching.routing`, which may
not import a chain client) prices the pool from reserves with the same functions, so the router's quote and
the swap's result are one computation. The rounding is `UniswapV2Library`'s: the 0.3 % fee as 997/1000,
`getAmountOut` rounded down, `getAmountIn` rounded down plus one.
"""

from typing import Final

from chain.errors import ChainError

FEE_KEPT: Final = 997
"""Of every 1,000 units paid in, what trades against the reserves (0.3 % stays in the pool for the LPs)."""
FEE_BASE: Final = 1000


class InsufficientLiquidity(ChainError, ValueError):
    """The pool cannot pay the amount asked: empty reserves, or an output at or above the reserve."""


def amount_out(amount_in: int, reserve_in: int, reserve_out: int) -> int:
    """What the pair pays for `amount_in` (UniswapV2Library.getAmountOut): the most `swap` accepts."""
    if amount_in <= 0:
        raise ValueError("amount_in must be positive")
    if reserve_in <= 0 or reserve_out <= 0:
        raise InsufficientLiquidity("the pool has no liquidity")
    paid_in = amount_in * FEE_KEPT
    return paid_in * reserve_out // (reserve_in * FEE_BASE + paid_in)


def amount_in(amount_out: int, reserve_in: int, reserve_out: int) -> int:
    """The least the pair must be paid to pay out `amount_out` (UniswapV2Library.getAmountIn)."""
    if amount_out <= 0:
        raise ValueError("amount_out must be positive")
    if reserve_in <= 0 or amount_out >= reserve_out:
        raise InsufficientLiquidity(f"the pool holds {reserve_out}: it cannot pay {amount_out}")
    return reserve_in * amount_out * FEE_BASE // ((reserve_out - amount_out) * FEE_KEPT) + 1
