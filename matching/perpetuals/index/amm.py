"""The index source that reads the devnet's Uniswap V2 pool (`chain.uniswap_v2.UniswapV2Pool.price`).

The pool is taken through the `PricedPool` protocol, which `UniswapV2Pool` satisfies as it is, rather than
imported: the perpetual stays pure (no web3 import, no chain call in its tests), and whoever runs the
market hands it the live pool. The price the pool states is its reserves' ratio as an exact Fraction,
the marginal price before fees, which is what an index wants (a quote for a size would be a fill price).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Protocol


class PricedPool(Protocol):
    """What the index needs of a pool: `UniswapV2Pool.price(base)`, quote units per base unit."""

    def price(self, base: str) -> Fraction: ...


class AmmIndexSource:
    """The pool's marginal price of `base` (the TPW token address) in the pool's other token (tUSD)."""

    def __init__(self, pool: PricedPool, base: str) -> None:
        self.pool = pool
        self.base = base

    def price(self) -> Fraction:
        return self.pool.price(self.base)
