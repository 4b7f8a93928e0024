"""The index price: where TPW trades outside this book (the AMM pool), combined with the book's quote."""

from matching.perpetuals.index.amm import AmmIndexSource, PricedPool
from matching.perpetuals.index.source import BookQuote, IndexSource, combine_index, to_ticks

__all__ = ["AmmIndexSource", "BookQuote", "IndexSource", "PricedPool", "combine_index", "to_ticks"]
