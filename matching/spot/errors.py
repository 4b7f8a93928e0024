"""The spot market's refusals, one hierarchy (mapped once to HTTP problems in `api/`)."""


class SpotError(Exception):
    """A spot market refused a command before journaling it; nothing changed."""


class InsufficientFunds(SpotError):
    """The trader's account cannot fund the order's reservation (or does not exist yet)."""


class AmendNeedsFunds(SpotError):
    """An amend would need more held than the order holds: cancel it and place a new one."""


class UnsupportedOrder(SpotError):
    """An order a spot market does not take (market and stop orders: their cost has no limit to hold)."""


class MarketHalted(SpotError):
    """A ledger posting failed after the journal took a command: the market stops until it is reopened,
    which posts what is missing (the journal is the truth; guessing would be worse)."""


class MarketBusy(SpotError):
    """Another process holds the market's writer lock: one writer per book."""
