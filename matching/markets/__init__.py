"""Markets: what a book's integer ticks and lots are in ledger minor units (`spec`); the markets served."""

from matching.markets.spec import TPW_TUSD, MarketSpec, MarketSpecError, markets

__all__ = ["TPW_TUSD", "MarketSpec", "MarketSpecError", "markets"]
