"""`PretradeGate.admitting`: the one call `/v1/orders` makes before an order reaches a book or reserves
anything, and the account's lock held until the book has answered.

In order (the first refusal wins, and nothing has moved when it does): a kill switch on the market or the
account; the liquidation cool-down (only orders that reduce the position); the order's size in lots and
notional; its price within the band around the reference (a market order is given its protection price
instead); the account's net exposure with the order; and for a derivative market the step-up on a large
position change. The figures come from the market itself (`exposure`, `reference_price`) under its
lock, and the account's stripe lock is held from the check to the book's answer, so two concurrent orders
of one account cannot both pass on the same room. Other accounts' orders can only turn this account's
open orders into position, which leaves its worst-case exposure unchanged.

The market is anything with the `PretradeMarket` figures, so a perpetual or option market plugs in as the
spot market does; the step-up is a `StepUp` (`risk.pretrade.stepup`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final, Protocol

from sqlalchemy import Engine

from api.orders.pretrade.problems import refused_problem, step_up_problem
from api.risk.service import RiskUnavailable
from matching.engine import Kind, Place, Side, Tif
from risk.pretrade.checks import (
    BUY,
    SELL,
    Exposure,
    OrderFacts,
    check_band,
    check_cooldown,
    check_position,
    check_size,
    protection_price,
)
from risk.pretrade.cooldown import cooling_until
from risk.pretrade.errors import PretradeRefused, StepUpRequired
from risk.pretrade.killswitch import blocking
from risk.pretrade.limits import PretradeConfig
from risk.pretrade.stepup import DerivativeChange, StepUp

STRIPES: Final = 256


class MarketTerms(Protocol):
    """What the gate needs of a market's terms: its id and the notional of lots at a price (a spot
    market's `MarketSpec`, a perpetual's `PerpUnits`)."""

    @property
    def id(self) -> str: ...

    def notional(self, lots: int, price: int) -> int: ...


class PretradeMarket(Protocol):
    """What the gate reads of a market: its terms, an account's exposure, the reference price, and what
    a position of `lots` at `price` is worth for the derivative step-up (quote minor units: a perpetual's
    notional at the price, an option's underlying at the index)."""

    @property
    def market(self) -> MarketTerms: ...

    def exposure(self, trader: int) -> tuple[int, int, int]: ...

    def reference_price(self) -> int: ...

    def position_notional(self, lots: int, price: int) -> int: ...


class PretradeGate:
    """The limits file, the database the switches and cool-downs live in, the clock (unix seconds)."""

    def __init__(
        self,
        config: PretradeConfig,
        database: Engine,
        clock: Callable[[], int],
        step_up: StepUp | None = None,
    ) -> None:
        self.config = config
        self.database = database
        self.clock = clock
        self.step_up = step_up
        self._locks = [threading.Lock() for _ in range(STRIPES)]

    @contextmanager
    def admitting(
        self,
        market: PretradeMarket,
        market_id: str,
        merchant_id: str,
        trader: int,
        order: Place,
        confirmation: str | None = None,
    ) -> Iterator[Place]:
        """Check `order` (of `trader`, a merchant's account, in `market_id`); yield it as it may enter
        (a market order priced at its protection price), holding the account's lock while the caller
        places it. A refusal is raised as its problem (`problems`) before anything is yielded."""
        with self._locks[hash((market.market.id, trader)) % STRIPES]:
            try:
                admitted = self.check(market, market_id, merchant_id, trader, order, confirmation)
            except PretradeRefused as error:
                raise refused_problem(error) from error
            except StepUpRequired as error:
                raise step_up_problem(error) from error
            yield admitted

    def check(
        self,
        market: PretradeMarket,
        market_id: str,
        merchant_id: str,
        trader: int,
        order: Place,
        confirmation: str | None = None,
    ) -> Place:
        """The checks alone (the caller holds the account's lock)."""
        limits = self.config.limits(market_id)
        now = self.clock()
        direction = BUY if order.side == Side.BUY else SELL
        with self.database.connect() as connection:
            switches = blocking(connection, market_id, merchant_id)
            until = cooling_until(connection, trader, market_id, limits.cooldown_seconds)
        if switches:
            switch = switches[0]
            raise PretradeRefused(
                "kill-switch-engaged",
                "market" if switch.kind == "market" else "account",
                f"the {switch.kind} kill switch on {switch.target} is engaged: {switch.reason}",
                0,
                0,
                "none",
                {"kill_switch": {"kind": switch.kind.value, "target": switch.target}},
            )
        position, buys, sells = market.exposure(trader)
        exposure = Exposure(position, buys, sells)
        reference = market.reference_price()
        price = order.price
        if order.kind is Kind.MARKET:
            if reference <= 0:
                raise PretradeRefused(
                    "price-band",
                    "kind",
                    "a market order needs a reference price: nothing traded yet",
                    0,
                    0,
                    "ticks",
                )
            price = protection_price(limits, reference, direction)
            tif = Tif.IOC if order.tif == Tif.GTC else order.tif
            order = order._replace(kind=Kind.LIMIT, price=price, tif=tif)
        facts = OrderFacts(direction, order.qty, price, market.market.notional(order.qty, price))
        check_cooldown(until, now, exposure, facts)
        check_size(limits, facts)
        check_band(limits, reference, facts)
        check_position(limits, exposure, facts)
        if limits.derivative and limits.step_up_notional is not None:
            if self.step_up is None:
                raise RiskUnavailable("no risk engine runs on this server: a derivative order cannot step up")
            change = DerivativeChange(
                account=trader,
                market=market_id,
                direction=direction,
                lots=order.qty,
                price=price,
                notional_before=market.position_notional(abs(position), reference or price),
                notional_after=market.position_notional(abs(position + direction * order.qty), price),
                threshold=limits.step_up_notional,
            )
            self.step_up.require(change, confirmation, now)
        return order
