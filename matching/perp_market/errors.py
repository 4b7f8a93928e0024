"""The perpetual market's refusals. They extend the spot market's where they mean the same thing (an
unfunded deposit, an order the market does not take, a halted or busy market), so the API maps both
markets' refusals in one place; `MarginRefused` is the perpetual's own."""

from matching.spot.errors import InsufficientFunds, MarketBusy, MarketHalted, SpotError, UnsupportedOrder


class MarginRefused(SpotError):
    """The domain refused: an order its margin cannot carry, a withdrawal that would breach the initial
    margin, a leverage or mode change it does not allow. `field` names what to change."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


__all__ = ["InsufficientFunds", "MarginRefused", "MarketBusy", "MarketHalted", "UnsupportedOrder"]
