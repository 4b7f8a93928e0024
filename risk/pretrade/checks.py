"""The checks an order passes before entry, as pure functions of integers: its size, the exposure it would
leave, its price against the reference, and whether it opens or increases a position.

An `Exposure` is what the market knows of the account at the moment of the check: its signed position in
lots and the lots of its open buys and sells. Net exposure counts the open orders as if they filled, each
side on its own (every buy filling, or every sell filling), since the account does not choose which will:
so a resting sell does not make room for a larger buy. The caller holds the account's lock from the check
to the book's answer, so two orders of one account cannot both pass on the same room.
"""

from dataclasses import dataclass
from typing import Final

from risk.pretrade.errors import PretradeRefused
from risk.pretrade.limits import BPS, MarketLimits

BUY: Final = 1
SELL: Final = -1


@dataclass(frozen=True, slots=True)
class Exposure:
    """An account in one market: `position` signed lots (long > 0), open buy and sell lots."""

    position: int = 0
    open_buy: int = 0
    open_sell: int = 0

    def worst_after(self, direction: int, lots: int) -> int:
        """The largest |position| the account could reach with this order added (`direction` BUY/SELL)."""
        long = self.position + self.open_buy + (lots if direction == BUY else 0)
        short = self.position - self.open_sell - (lots if direction == SELL else 0)
        return max(abs(long), abs(short))

    def increases(self, direction: int, lots: int) -> bool:
        """Whether filling the order would open or increase the position (not only reduce it)."""
        after = self.position + direction * lots
        return abs(after) > abs(self.position) or (after != 0 and (after > 0) != (self.position > 0))


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """The order as the checks see it: side (BUY/SELL), lots, limit price in ticks (0: a market order)
    and its notional at that price in quote minor units (at the protection price for a market order)."""

    direction: int
    lots: int
    price: int
    notional: int


def check_size(limits: MarketLimits, order: OrderFacts) -> None:
    """At most `max_order_lots`, and at most `max_order_notional` at the order's price."""
    if order.lots > limits.max_order_lots:
        raise PretradeRefused(
            "order-size",
            "qty",
            f"the order is {order.lots} lots, above the market's maximum of {limits.max_order_lots}",
            limits.max_order_lots,
            order.lots,
            "lots",
        )
    if order.notional > limits.max_order_notional:
        raise PretradeRefused(
            "order-size",
            "qty",
            f"the order's notional is {order.notional} quote units, above the market's maximum of "
            f"{limits.max_order_notional}",
            limits.max_order_notional,
            order.notional,
            "quote_minor_units",
        )


def check_position(limits: MarketLimits, exposure: Exposure, order: OrderFacts) -> None:
    """The net exposure with the order (open orders included) within `max_position_lots`; an order that
    only reduces the exposure always passes."""
    worst = exposure.worst_after(order.direction, order.lots)
    if worst > limits.max_position_lots and worst > exposure.worst_after(order.direction, 0):
        raise PretradeRefused(
            "position-limit",
            "qty",
            f"the order would take the account's exposure to {worst} lots (position {exposure.position}, "
            f"open buys {exposure.open_buy}, open sells {exposure.open_sell}), above the limit of "
            f"{limits.max_position_lots}",
            limits.max_position_lots,
            worst,
            "lots",
        )


def band(limits: MarketLimits, reference: int) -> tuple[int, int]:
    """The prices (ticks) a limit order may name around `reference`: rounded inwards, at least 1 tick."""
    low = -(-reference * (BPS - limits.price_band_bps) // BPS)
    high = reference * (BPS + limits.price_band_bps) // BPS
    return max(1, low), high


def check_band(limits: MarketLimits, reference: int, order: OrderFacts) -> None:
    """A limit price within the band around `reference` (0: no reference yet, nothing to hold it to)."""
    if reference <= 0 or order.price <= 0:
        return
    low, high = band(limits, reference)
    if not low <= order.price <= high:
        limit = high if order.price > high else low
        raise PretradeRefused(
            "price-band",
            "price",
            f"the price {order.price} ticks is outside +-{limits.price_band_bps} bps of the reference "
            f"{reference} ticks ({low} to {high})",
            limit,
            order.price,
            "ticks",
            {"reference": reference, "band_bps": limits.price_band_bps},
        )


def protection_price(limits: MarketLimits, reference: int, direction: int) -> int:
    """A market order's worst price: `market_protection_bps` past the reference, rounded against the
    taker's favour being exceeded (down for a buy's ceiling, up for a sell's floor), at least 1 tick."""
    if direction == BUY:
        return reference * (BPS + limits.market_protection_bps) // BPS
    return max(1, -(-reference * (BPS - limits.market_protection_bps) // BPS))


def check_cooldown(until: int | None, now: int, exposure: Exposure, order: OrderFacts) -> None:
    """After a liquidation, until `until` (unix seconds), only orders that reduce the position pass."""
    if until is None or now >= until or not exposure.increases(order.direction, order.lots):
        return
    raise PretradeRefused(
        "liquidation-cooldown",
        "side",
        f"the account was liquidated in this market: it may not open or increase a position until {until}",
        until,
        now,
        "unix_seconds",
        {"until": until},
    )
