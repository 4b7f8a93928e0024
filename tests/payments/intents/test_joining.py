"""A call's last transaction on the caller's connection (`Payments.joining`): nothing of it commits until
the caller commits; rolled back, the step is undone and runs again the same way (the rail answering its
key as before); a refund's hold and a refused refund's void still commit on their own."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, func, select

from ledger.schema import transfers
from payments.intents import intents, refunds, store
from payments.intents.context import Payments
from payments.intents.errors import RailRefused
from payments.intents.model import IntentStatus, RefundStatus
from payments.intents.schema import payment_intents
from tests.payments.intents.conftest import TENANT, ScriptedRail, assert_ledger_clean, new_intent, pending


@pytest.fixture
def caller(engine: Engine) -> Iterator[Connection]:
    """The caller's connection, whose transaction the calls join."""
    with engine.connect() as connection:
        yield connection


def _count(engine: Engine, table: object) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(table)) or 0  # type: ignore[arg-type]


def test_a_joined_create_is_the_callers_to_commit(pay: Payments, engine: Engine, caller: Connection) -> None:
    new_intent(pay.joining(lambda: caller))
    caller.rollback()
    assert _count(engine, payment_intents) == 0
    created = new_intent(pay.joining(lambda: caller))
    caller.commit()
    assert intents.retrieve(pay, TENANT, created.id) == created


def test_a_rolled_back_step_runs_again_the_same_way(
    pay: Payments, engine: Engine, caller: Connection, rail: ScriptedRail
) -> None:
    intent = new_intent(pay)
    journal = _count(engine, transfers)
    intents.confirm(pay.joining(lambda: caller), TENANT, intent.id)
    caller.rollback()
    assert (intents.retrieve(pay, TENANT, intent.id).status, _count(engine, transfers)) == (
        IntentStatus.REQUIRES_CONFIRMATION,
        journal,
    )
    confirmed = intents.confirm(pay.joining(lambda: caller), TENANT, intent.id)
    caller.commit()
    assert confirmed.status is IntentStatus.REQUIRES_CAPTURE
    assert [operation for operation, _ in rail.calls] == ["authorize", "authorize"]
    assert len(rail.answers) == 1  # the same request, under the same key
    assert (intents.retrieve(pay, TENANT, intent.id), _count(engine, transfers)) == (confirmed, journal + 1)
    assert_ledger_clean(engine)


def test_a_refunds_hold_commits_before_the_rail_and_a_retry_finishes_it(
    pay: Payments, engine: Engine, caller: Connection
) -> None:
    intent = new_intent(pay)
    intents.confirm(pay, TENANT, intent.id)
    intents.capture(pay, TENANT, intent.id)
    refunds.refund(pay.joining(lambda: caller), TENANT, intent.id, 2_500, refund_id="re_joined")
    caller.rollback()
    held = refunds.retrieve_refund(pay, TENANT, "re_joined")
    assert (held.status, pending(engine)) == (RefundStatus.PENDING, -2_500)
    done = refunds.refund(pay.joining(lambda: caller), TENANT, intent.id, 2_500, refund_id="re_joined")
    caller.commit()
    assert refunds.retrieve_refund(pay, TENANT, "re_joined") == done
    assert (done.status, pending(engine)) == (RefundStatus.SUCCEEDED, 0)
    assert intents.retrieve(pay, TENANT, intent.id).amount_refunded == 2_500
    assert_ledger_clean(engine)


def test_a_refused_refund_is_voided_whatever_the_caller_does(
    pay: Payments, engine: Engine, caller: Connection, rail: ScriptedRail
) -> None:
    intent = new_intent(pay)
    intents.confirm(pay, TENANT, intent.id)
    intents.capture(pay, TENANT, intent.id)
    rail.refuse.add("refund")
    with pytest.raises(RailRefused):
        refunds.refund(pay.joining(lambda: caller), TENANT, intent.id, 2_500, refund_id="re_refused")
    caller.rollback()
    assert refunds.retrieve_refund(pay, TENANT, "re_refused").status is RefundStatus.FAILED
    with engine.connect() as connection:
        assert store.load(connection, TENANT, intent.id).amount_refunded == 0
    assert pending(engine) == 0
    assert_ledger_clean(engine)
