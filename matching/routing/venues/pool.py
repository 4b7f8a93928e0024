"""The Uniswap V2 pool as a venue: an exact constant-product quote from its reserves.

The fill is what the pair itself computes (`chain.amm`, `UniswapV2Library`'s integer rounding): a buy of
`lots` is an exact-output swap of quote for base (`getAmountIn`), a sell an exact-input swap of base for
quote (`getAmountOut`). The 0.3 % fee is separated out as the difference from the same swap without it,
so `notional` is the constant-product price of the lots and `impact` its distance from the reserves'
marginal price. A swap costs gas, priced in quote units (`gas_in_quote`); the router weighs it against
what the pool saves, which is why a small order skips the pool.

Units: `base_per_lot` is base token units in one lot (TPW: 10^18 wei); the quote token's unit must be the
quote's ledger unit (tUSD has 6 decimals, its ledger unit is 10^-6 tUSD), so pool amounts of quote are
quote minor units as they stand.
"""

from __future__ import annotations

from dataclasses import dataclass

from chain.amm import InsufficientLiquidity, amount_in, amount_out
from matching.engine import Side
from matching.routing.fills import Fill, NoLiquidity, ceil_div

WEI_PER_ETH = 10**18
SWAP_GAS = 160_000
"""Gas of one `swapExactTokensForTokens` on a V2 pair through the router (approval excluded), rounded up
from what anvil measures at worst, a recipient holding none of the token out (148,572 for tUSD -> TPW;
tests/devnet/test_pool.py)."""


def gas_in_quote(gas: int, gas_price_wei: int, quote_units_per_eth: int) -> int:
    """`gas` at `gas_price_wei` in quote minor units, rounded up (the taker pays the whole unit)."""
    return ceil_div(gas * gas_price_wei * quote_units_per_eth, WEI_PER_ETH)


@dataclass(frozen=True, slots=True)
class PoolVenue:
    """A constant-product pool with reserves `reserve_base` (base token units) and `reserve_quote`."""

    name: str
    reserve_base: int
    reserve_quote: int
    base_per_lot: int
    gas: int
    max_lots: int = 1_000_000
    """What a sell may take at most (a pool always pays something for more base)."""

    def capacity(self, side: Side) -> int:
        if self.reserve_base <= 0 or self.reserve_quote <= 0:
            return 0
        if side is Side.BUY:
            return min(self.max_lots, (self.reserve_base - 1) // self.base_per_lot)
        return self.max_lots

    def quote(self, side: Side, lots: int) -> Fill:
        if not 0 < lots <= self.capacity(side):
            raise NoLiquidity(f"the pool cannot take {lots} lots on this side")
        base = lots * self.base_per_lot
        at_marginal = base * self.reserve_quote // self.reserve_base
        try:
            if side is Side.BUY:
                paid = amount_in(base, self.reserve_quote, self.reserve_base)
                notional = ceil_div(self.reserve_quote * base, self.reserve_base - base)
                impact, fee = notional - at_marginal, paid - notional
                return Fill(self.name, side, lots, notional, impact, fee, self.gas)
            received = amount_out(base, self.reserve_base, self.reserve_quote)
        except InsufficientLiquidity as error:
            raise NoLiquidity(str(error)) from error
        notional = base * self.reserve_quote // (self.reserve_base + base)
        return Fill(self.name, side, lots, notional, at_marginal - notional, notional - received, self.gas)
