"""The venues the router splits across: the internal book, the Uniswap V2 pool, a replayed outside venue."""

from matching.routing.venues.book import BookVenue, Ladder
from matching.routing.venues.pool import PoolVenue, gas_in_quote
from matching.routing.venues.replay import ReplayVenue, load_replay

__all__ = ["BookVenue", "Ladder", "PoolVenue", "ReplayVenue", "gas_in_quote", "load_replay"]
