"""The perpetual's price loop while the API runs (`api.periodic`): every `TPW_PERP_PRICE_INTERVAL_SECONDS`
the outside price is read from the devnet's Uniswap V2 pair and a price round runs on each mode's market
(`PerpMarkets.price_round`: index and mark, margin checks, liquidation rounds in tiers, funding when the
interval is due). Off (0) by default, and without a pair configured the round does nothing.

The pair is read through `chain.uniswap_v2.UniswapV2Pool.price` (its reserves' exact ratio) wrapped in the
perpetual's `AmmIndexSource`; only the pair's address is needed, as the price never calls the router.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from eth_utils import to_checksum_address

from api.periodic import every
from api.perps.runtime import PerpMarkets
from api.settings import ApiSettings
from chain.client import make_web3
from chain.uniswap_v2 import Exchange, UniswapV2Pool
from matching.perpetuals.index import AmmIndexSource
from matching.perpetuals.index.source import IndexSource

log = logging.getLogger("api.perps")
NO_ROUTER: Final = to_checksum_address("0x" + "00" * 20)
"""The pool's router and factory: never called to read a price."""


def index_source(settings: ApiSettings) -> IndexSource | None:
    """The configured pair's price of TPW, or None when no pair is configured."""
    if not settings.perp_index_pair or not settings.perp_index_base:
        return None
    w3 = make_web3(settings.rpc_url(settings.perp_index_network), timeout=settings.rpc_timeout_seconds)
    pool = UniswapV2Pool(w3, Exchange(NO_ROUTER, NO_ROUTER, NO_ROUTER), settings.perp_index_pair)
    return AmmIndexSource(pool, settings.perp_index_base)


@asynccontextmanager
async def pricing(markets: PerpMarkets, settings: ApiSettings) -> AsyncIterator[None]:
    """Run the price loop every `perp_price_interval_seconds` for the context's life (0: never)."""
    source = index_source(settings) if settings.perp_price_interval_seconds > 0 else None
    async with every(
        "perpetual price rounds",
        settings.perp_price_interval_seconds,
        lambda: markets.price_round(source),
        log,
    ):
        yield
