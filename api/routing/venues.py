"""The router's venues built from live state: the spot book's depth, the devnet pool's reserves, and the
recorded outside venue replayed on the wall clock.

A parent order's limit bounds every venue it may use: the book's and the outside venue's ladders are cut
at the limit, and the pool takes at most the lots whose average price (fee included) is within it, so
the router never picks a fill the parent would refuse. The pool is found through the L1 deployments
registry (`chain.liquidity`); while the node or the registry do not answer it is listed as unavailable,
never guessed. The recording loops: its time is the wall clock modulo its length.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from api.settings import ApiSettings
from chain.client import make_web3
from chain.deployments import Deployments
from chain.errors import ChainError
from chain.liquidity import deployed_pool, pool_tokens
from chain.uniswap_v2 import UniswapV2Pool
from matching.engine import Side
from matching.markets import MarketSpec
from matching.routing import Venue
from matching.routing.venues import BookVenue, Ladder, PoolVenue, ReplayVenue, gas_in_quote, load_replay
from matching.routing.venues.pool import SWAP_GAS
from matching.routing.venues.replay import LimitedReplay, ReplayFileError
from matching.spot.market import SpotMarket

BOOK, POOL, OUTSIDE = "book", "pool", "outside"
DEPTH_LEVELS = 100
WEI_PER_LOT = 10**18 // 10**6  # base token units (wei) per TPW ledger unit
POOL_MARKET = "TPW-tUSD"


def _pool_lots_within(venue: PoolVenue, side: Side, market: MarketSpec, limit: int | None) -> int:
    """The most lots whose average price, fee included, is within `limit` (bisection: worse with size)."""
    low, high = 0, venue.capacity(side)
    if limit is None:
        return high
    while low < high:
        middle = (low + high + 1) // 2
        fill = venue.quote(side, middle)
        bound = market.notional(middle, limit)
        ok = fill.notional + fill.fee <= bound if side is Side.BUY else fill.notional - fill.fee >= bound
        low, high = (middle, high) if ok else (low, middle - 1)
    return low


@dataclass
class Sources:
    """The venues for one request, and why the others are missing."""

    venues: list[Venue]
    unavailable: dict[str, str] = field(default_factory=dict)
    pool: UniswapV2Pool | None = None


class LiveVenues:
    """Builds `Sources` for a market, a side and a limit, at a time (µs)."""

    def __init__(self, settings: ApiSettings) -> None:
        self.settings = settings
        self._replay: ReplayVenue | None = None
        self._replay_error = ""
        self._lock = threading.RLock()

    def book(self, spot: SpotMarket, side: Side, limit: int | None) -> BookVenue:
        levels = spot.depth(Side.SELL if side is Side.BUY else Side.BUY, DEPTH_LEVELS)
        ladder = Ladder(asks=levels) if side is Side.BUY else Ladder(bids=levels)
        return BookVenue(BOOK, spot.market, ladder.within(side, limit), spot.market.taker_fee_bps)

    def pool(self, market: MarketSpec, side: Side, limit: int | None) -> tuple[PoolVenue, UniswapV2Pool]:
        """The pool as a venue and the live pool it reads (`ChainError`/`OSError` while unreachable)."""
        settings = self.settings
        w3 = make_web3(settings.l1_rpc_url, timeout=settings.rpc_timeout_seconds)
        registry = Deployments.load(settings.l1_deployments_network, settings.deployments_dir)
        live = deployed_pool(w3, registry)
        reserve_base, reserve_quote = live.reserves(pool_tokens(registry)[0])
        gas = gas_in_quote(SWAP_GAS, settings.routing_gas_price_wei, settings.routing_quote_per_eth)
        lot_wei = market.base_per_lot * WEI_PER_LOT
        venue = PoolVenue(POOL, reserve_base, reserve_quote, lot_wei, gas, market.max_qty_lots)
        bounded = PoolVenue(
            POOL, reserve_base, reserve_quote, lot_wei, gas, _pool_lots_within(venue, side, market, limit)
        )
        return bounded, live

    def outside(self, now_us: int, side: Side, limit: int | None) -> LimitedReplay | None:
        """The recording at `now_us` (looped), or None when it cannot be read (`_replay_error` says why)."""
        with self._lock:
            if self._replay is None and not self._replay_error:
                try:
                    self._replay = load_replay(self.settings.routing_replay_path)
                except (OSError, ReplayFileError) as error:
                    self._replay_error = str(error)
            if self._replay is None:
                return None
            venue = self._replay
            moment = venue.looped(now_us)
            if not venue.can_move_to(moment):
                venue = self._replay = venue.rewound()
            return venue.at(moment).bounded(side, limit)

    def profile(self, start_us: int, end_us: int, buckets: int) -> list[int]:
        """The recording's traded lots in each of `buckets` equal intervals of [start, end) (looped), the
        weights of a VWAP schedule; all zero when the recording cannot be read."""
        with self._lock:
            if self.outside(start_us, Side.BUY, None) is None or self._replay is None:
                return [0] * buckets
            replay, step = self._replay, (end_us - start_us) // buckets
            moments = [replay.looped(start_us + i * step) for i in range(buckets)]
            return [replay.volume(moment, moment + step) for moment in moments]

    def sources(
        self,
        spot: SpotMarket,
        side: Side,
        limit: int | None,
        now_us: int,
        *,
        livemode: bool,
        executing: bool = False,
    ) -> Sources:
        """Every venue for `spot`'s market in a mode; `executing` leaves out the pool when no swap key is
        set. Live money never routes to the outside venue: it is a recording, with nobody behind it to take
        or give real money (a sandbox parent trades it, settled against its clearing account)."""
        found = Sources([self.book(spot, side, limit)])
        if spot.market.id.removesuffix(".sandbox") != POOL_MARKET:
            found.unavailable[POOL] = "the pool trades TPW/tUSD only"
        elif executing and self.settings.routing_swap_key_path is None:
            found.unavailable[POOL] = "no swap key configured (routing_swap_key_path)"
        else:
            try:
                venue, found.pool = self.pool(spot.market, side, limit)
                found.venues.append(venue)
            except (ChainError, OSError, ValueError) as error:
                found.unavailable[POOL] = f"the pool is not reachable ({type(error).__name__})"
        outside = None if livemode else self.outside(now_us, side, limit)
        if livemode:
            found.unavailable[OUTSIDE] = "a recorded venue: live money trades with real counterparties only"
        elif outside is None:
            found.unavailable[OUTSIDE] = f"the recording cannot be read: {self._replay_error}"
        else:
            found.venues.append(outside)
        return found
