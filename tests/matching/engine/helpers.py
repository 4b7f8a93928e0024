"""Small builders for the engine's unit tests: a book at clock 1 and terse commands."""

from __future__ import annotations

from typing import Any

from matching.engine import Engine, Event, Kind, Place, Side, Trade

BUY, SELL = Side.BUY, Side.SELL


def limit(order_id: int, account: int, side: Side, qty: int, price: int, ts: int = 1, **kw: Any) -> Place:
    return Place(ts, order_id, account, side, Kind.LIMIT, qty, price=price, **kw)


def trades(events: list[Event]) -> list[tuple[int, int, int, int]]:
    """(taker, maker, price, qty) of each trade."""
    return [(e.taker_id, e.maker_id, e.price, e.qty) for e in events if isinstance(e, Trade)]


def book_rows(engine: Engine, side: Side) -> list[tuple[int, int, int, int]]:
    """(order id, price, leaves, visible) of one side, in priority order."""
    return [
        (o.order_id, o.price, o.leaves, o.visible)
        for lv in engine.book.side_levels(side)
        for o in lv.orders()
    ]


def ask_ladder(engine: Engine, *orders: tuple[int, int, int, int]) -> None:
    """Rest sell orders (id, account, qty, price)."""
    for order_id, account, qty, price in orders:
        engine.process(limit(order_id, account, SELL, qty, price))
