"""Steps racing on one intent: the intent's row lock orders them, so none is lost and none over-spends.

Run on both backends (PostgreSQL with row locks, SQLite with its one writer): concurrent captures, of
which exactly one wins; and concurrent refunds asking more in total than was captured, of which exactly as
many succeed as fit, every other refused before the rail is asked.
"""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine

from payments.intents import intents, refunds
from payments.intents.context import Payments
from payments.intents.errors import InvalidAmount, PaymentError, RailConflict, UnexpectedState
from tests.payments.intents.conftest import TENANT, ScriptedRail, assert_ledger_clean, new_intent, posted

THREADS = 8


def _race(work: Callable[[int], object]) -> list[object]:
    """`work(i)` for each thread at once; what each returned or raised (a PaymentError)."""

    def attempt(index: int) -> object:
        try:
            return work(index)
        except PaymentError as error:
            return error

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(attempt, range(THREADS)))


def test_concurrent_captures_capture_once(pay: Payments, engine: Engine) -> None:
    intent = new_intent(pay)
    intents.confirm(pay, TENANT, intent.id)
    results = _race(lambda index: intents.capture(pay, TENANT, intent.id, 1_000 + index))
    won = [result for result in results if not isinstance(result, PaymentError)]
    assert len(won) == 1
    # The losers are refused by the state machine, or by the rail (their key names the winner's request).
    assert all(isinstance(result, UnexpectedState | RailConflict) for result in results if result not in won)
    received = intents.retrieve(pay, TENANT, intent.id).amount_received
    assert posted(engine) == received
    assert_ledger_clean(engine)


def test_concurrent_refunds_never_exceed_what_was_captured(
    pay: Payments, engine: Engine, rail: ScriptedRail
) -> None:
    intent = intents.confirm(pay, TENANT, new_intent(pay, manual=False).id)
    results = _race(lambda index: refunds.refund(pay, TENANT, intent.id, 1_500, refund_id=f"re_race_{index}"))
    done = [result for result in results if not isinstance(result, PaymentError)]
    assert len(done) == 6  # 6 x 1_500 fit in 10_000; a seventh would not
    assert all(isinstance(result, InvalidAmount) for result in results if result not in done)
    assert [operation for operation, _ in rail.calls].count("refund") == 6
    assert intents.retrieve(pay, TENANT, intent.id).amount_refunded == 9_000
    assert posted(engine) == 1_000
    assert_ledger_clean(engine)
