"""Self-trade prevention: each mode when an account's order meets its own resting order."""

from __future__ import annotations

import pytest

from matching.engine import Canceled, Decremented, Done, Engine, Stp, Tif
from tests.matching.engine.helpers import BUY, SELL, ask_ladder, book_rows, limit, trades


def crossed(stp: Stp) -> tuple[Engine, list[object]]:
    """Account 1 rests 3 @100 (own) behind account 2's 2 @100; account 1 then buys 4 @100."""
    e = Engine()
    ask_ladder(e, (1, 2, 2, 100), (2, 1, 3, 100), (3, 2, 5, 100))
    return e, list(e.process(limit(9, 1, BUY, 4, 100, stp=stp)))


def test_expire_taker_cancels_the_incoming_remainder() -> None:
    e, events = crossed(Stp.EXPIRE_TAKER)
    assert trades(events) == [(9, 1, 100, 2)]  # type: ignore[arg-type]
    assert events[-1] == Canceled(9, 2, Done.SELF_TRADE)
    assert [r[0] for r in book_rows(e, SELL)] == [2, 3]


def test_expire_maker_cancels_the_resting_order_and_goes_on() -> None:
    e, events = crossed(Stp.EXPIRE_MAKER)
    assert Canceled(2, 3, Done.SELF_TRADE) in events
    assert trades(events) == [(9, 1, 100, 2), (9, 3, 100, 2)]  # type: ignore[arg-type]
    assert book_rows(e, SELL) == [(3, 100, 3, 3)]


def test_expire_both_cancels_both() -> None:
    e, events = crossed(Stp.EXPIRE_BOTH)
    assert events[-2:] == [Canceled(2, 3, Done.SELF_TRADE), Canceled(9, 2, Done.SELF_TRADE)]
    assert book_rows(e, SELL) == [(3, 100, 5, 5)]
    assert book_rows(e, BUY) == []


def test_decrement_shrinks_both_without_a_trade() -> None:
    e, events = crossed(Stp.DECREMENT)
    assert Decremented(9, 2, 2) in events
    assert trades(events) == [(9, 1, 100, 2)]  # type: ignore[arg-type]
    assert book_rows(e, SELL) == [(2, 100, 1, 1), (3, 100, 5, 5)]
    assert book_rows(e, BUY) == []


@pytest.mark.parametrize("stp", [Stp.EXPIRE_TAKER, Stp.EXPIRE_BOTH, Stp.DECREMENT])
def test_fok_is_refused_when_its_own_order_would_stop_it(stp: Stp) -> None:
    e = Engine()
    ask_ladder(e, (1, 2, 2, 100), (2, 1, 3, 100), (3, 2, 5, 100))
    assert trades(e.process(limit(9, 1, BUY, 4, 100, tif=Tif.FOK, stp=stp))) == []
    assert trades(e.process(limit(10, 1, BUY, 2, 100, tif=Tif.FOK, stp=stp))) == [(10, 1, 100, 2)]


def test_fok_with_expire_maker_skips_its_own_orders() -> None:
    e = Engine()
    ask_ladder(e, (1, 2, 2, 100), (2, 1, 3, 100), (3, 2, 5, 100))
    assert len(trades(e.process(limit(9, 1, BUY, 7, 100, tif=Tif.FOK, stp=Stp.EXPIRE_MAKER)))) == 2
