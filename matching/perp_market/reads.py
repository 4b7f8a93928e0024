"""What a perpetual market answers without changing: an account and its margin state, a trader's exposure
for the pre-trade checks, the index, mark and book quote, a position's notional.

Kept apart from the writer (`matching.perp_market.market`) because none of it journals, posts or halts:
each read takes the market's one lock only to see the domain between steps, never half through one, and
returns copies or integers, so a caller cannot reach into the domain. `PerpMarket` inherits these, so
it still answers `api.orders.pretrade.gate.PretradeMarket` (`exposure`, `reference_price`,
`position_notional`) as the spot and option markets do.
"""

import copy
import threading

from matching.engine import Side
from matching.journal import JournaledBook
from matching.perp_market.order_margin import open_orders
from matching.perp_market.runner import Runner
from matching.perp_market.text import PerpUnits
from matching.perpetuals.accounts import Account
from matching.perpetuals.index.source import BookQuote
from matching.perpetuals.margin import MarginState, check
from matching.perpetuals.spec import PerpSpec


class PerpReads:
    """The read side of `PerpMarket`: the attributes below are the market's, set by its constructor."""

    spec: PerpSpec
    market: PerpUnits
    book: JournaledBook
    runner: Runner
    _lock: threading.Lock

    def quote(self) -> BookQuote:
        """The book's best bid and ask and last trade price (0: none)."""
        engine = self.book.engine
        best = []
        for side in (Side.BUY, Side.SELL):
            level = next(iter(engine.book.side_levels(side)), None)
            best.append(level.price if level is not None else 0)
        return BookQuote(best[0], best[1], engine.last_price)

    def account(self, trader: int) -> tuple[Account, MarginState, int] | None:
        """A copy of the trader's account, its margin state at the mark, and the mark (None: no account)."""
        with self._lock:
            perp = self.runner.perp
            account = perp.accounts.get(trader)
            if account is None:
                return None
            return copy.deepcopy(account), check(account, perp.mark, self.spec), perp.mark

    def exposure(self, trader: int) -> tuple[int, int, int]:
        """`trader`'s (position, open buy lots, open sell lots), for the pre-trade checks
        (`api.orders.pretrade`): the position is the perpetual's own, take-overs and ADL included."""
        with self._lock:
            account = self.runner.perp.accounts.get(trader)
            position = account.position.size if account is not None else 0
            buys, sells = open_orders(self.book.engine.book, trader)
            return position, sum(lots for lots, _ in buys), -sum(lots for lots, _ in sells)

    def reference_price(self) -> int:
        """The price bands' reference: the index (ticks; 0 before the first price round), not the book's
        last trade, which one thin-book trade could move."""
        with self._lock:
            return self.runner.perp.index

    def position_notional(self, lots: int, price: int) -> int:
        """What a position of `lots` at `price` ticks is worth in tUSD minor units."""
        return self.market.notional(lots, price)

    def prices(self) -> tuple[int, int]:
        """The index and the mark in ticks."""
        with self._lock:
            return self.runner.perp.index, self.runner.perp.mark
