"""The option venue's refusals: spot's hierarchy (`SpotError`), so `api/orders` maps them in one place."""

from matching.spot.errors import InsufficientFunds, SpotError


class SeriesClosed(SpotError):
    """The series has reached its expiry: it takes no order, only its settlement."""


class InsufficientMargin(InsufficientFunds):
    """The account's free tUSD cannot cover the margin the order would need (the scenario scan's figure)."""


class NoIndexPrice(SpotError):
    """The underlying has no price yet (no trade on the index source): nothing can be marked or margined."""
