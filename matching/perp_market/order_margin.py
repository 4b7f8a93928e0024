"""The margin a perpetual account's resting orders hold: the orders on the book read as the fills they may
become, and the check that refuses money leaving (or the leverage dropping) from under them.

A resting order is margined when it is placed (`PerpMarket.place` admits it together with every order
already resting on its side), and stays margined because nothing that lowers the margin is let through
while it rests: a withdrawal or a lower leverage is refused if either side could no longer fill whole.
Without this an account could rest orders worth many times its margin, withdraw, and be filled into a
position the insurance fund pays for. The mark moving is the one thing that can still erode it, as it
erodes a position's margin; the price rounds' liquidation covers both.
"""

import dataclasses

from matching.engine import Book, Side
from matching.perp_market.errors import MarginRefused
from matching.perpetuals.margin import Fill, carries
from matching.perpetuals.market import Perpetual


def open_orders(book: Book, trader: int) -> tuple[list[Fill], list[Fill]]:
    """`trader`'s resting orders that may add to a position, as fills: (buys, sells), lots signed.
    Reduce-only orders are left out: filled, they only shrink a position."""
    buys: list[Fill] = []
    sells: list[Fill] = []
    for order in book.orders.values():
        if order.account == trader and not order.reduce_only:
            if order.side == Side.BUY:
                buys.append((order.leaves, order.price))
            else:
                sells.append((-order.leaves, order.price))
    return buys, sells


def check_orders_carried(
    perp: Perpetual, book: Book, trader: int, field: str, withheld: int = 0, leverage: int = 0
) -> None:
    """Refuse (naming `field`) a withdrawal of `withheld`, or a change to `leverage`, that would leave
    the trader's resting orders unmargined; the position itself is the journaled input's own check."""
    account = perp.accounts.get(trader)
    if account is None:
        return
    if leverage:
        account = dataclasses.replace(account, leverage=leverage)
    buys, sells = open_orders(book, trader)
    if not carries(account, buys, sells, perp.mark, perp.spec, withheld):
        raise MarginRefused(
            "the margin left would not carry the account's resting orders: cancel some first", field
        )
