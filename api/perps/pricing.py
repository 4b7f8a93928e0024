"""The perpetual's price loop while the API runs (`api.periodic`): every `TPW_PERP_PRICE_INTERVAL_SECONDS`
the outside price is read from the devnet's Uniswap V2 pair and a price round runs on each mode's market
(`PerpMarkets.price_round`: index and mark, margin checks, liquidation rounds in tiers, funding when the
interval is due). Off (0) by default, and without a pair configured the round does nothing.

The pair is read through `chain.uniswap_v2.UniswapV2Pool.price` (its reserves' exact ratio) wrapped in the
perpetual's `AmmIndexSource`; only the pair's address is needed, as the price never calls the router.

`TPW_PERP_INDEX_PAIR` and `TPW_PERP_INDEX_BASE` are addresses, or names in the deployments registry of
`perp_index_network` (`TPW-tUSD-UniswapV2Pair`, `TPW`): the devnet starts the API before it deploys the
pool, so a name is looked up at each round until the registry records it (until then the round does
nothing), then kept.
"""

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final

from eth_typing import ChecksumAddress
from eth_utils import is_address, to_checksum_address

from api.periodic import every
from api.perps.runtime import PerpMarkets
from api.settings import ApiSettings
from chain.client import make_web3
from chain.deployments import Deployments
from chain.errors import DeploymentsFileMissing, UnknownDeployment
from chain.uniswap_v2 import Exchange, UniswapV2Pool
from matching.perpetuals.index import AmmIndexSource
from matching.perpetuals.index.source import IndexSource

log = logging.getLogger("api.perps")
NO_ROUTER: Final = to_checksum_address("0x" + "00" * 20)
"""The pool's router and factory: never called to read a price."""


def _address(settings: ApiSettings, value: str) -> ChecksumAddress | None:
    """`value` as an address, or the address the registry records under that name (None: not yet)."""
    if is_address(value):
        return to_checksum_address(value)
    network = settings.deployments_network(settings.perp_index_network)
    try:
        return Deployments.load(network, settings.deployments_dir).get(value).address
    except (DeploymentsFileMissing, UnknownDeployment):
        return None


def index_source(settings: ApiSettings) -> IndexSource | None:
    """The configured pair's price of TPW, or None when no pair is configured (or, named, not deployed)."""
    if not settings.perp_index_pair or not settings.perp_index_base:
        return None
    pair, base = _address(settings, settings.perp_index_pair), _address(settings, settings.perp_index_base)
    if pair is None or base is None:
        return None
    w3 = make_web3(settings.rpc_url(settings.perp_index_network), timeout=settings.rpc_timeout_seconds)
    pool = UniswapV2Pool(w3, Exchange(NO_ROUTER, NO_ROUTER, NO_ROUTER), pair)
    return AmmIndexSource(pool, base)


class IndexResolver:
    """The index source, built at the first round that can build it and kept afterwards."""

    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings
        self._source: IndexSource | None = None
        self._lock = threading.Lock()

    def source(self) -> IndexSource | None:
        with self._lock:
            if self._source is None:
                self._source = index_source(self.settings)
            return self._source


@asynccontextmanager
async def pricing(markets: PerpMarkets, settings: ApiSettings) -> AsyncIterator[None]:
    """Run the price loop every `perp_price_interval_seconds` for the context's life (0: never)."""
    resolver = IndexResolver(settings)
    async with every(
        "perpetual price rounds",
        settings.perp_price_interval_seconds,
        lambda: markets.price_round(resolver.source()),
        log,
    ):
        yield
