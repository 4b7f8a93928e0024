"""Retried steps never move money twice.

Three ways a step is retried: its ledger chain submitted again (the references answer `exists`, nothing
is written); the step failing after its transfers were written but before its transaction commits (the
transfers roll back with it, and the retry posts them once); and the step called again after it succeeded
(the state machine refuses it, naming the status, and the ledger is unchanged).
"""

from collections.abc import Callable
from dataclasses import replace

import pytest
from sqlalchemy import Engine, func, select

from ledger.model import TransferSpec
from ledger.schema import transfers
from payments.intents import disputes, intents, movements, refunds, store
from payments.intents.context import Payments
from payments.intents.errors import UnexpectedState
from payments.intents.model import FeeSchedule, PaymentIntent, RefundStatus, ShareSpec
from payments.intents.postings import Code, submit
from tests.payments.intents.conftest import TENANT, ScriptedRail, assert_ledger_clean, new_intent, posted

SHARES = [ShareSpec("acct_seller_1", 6_000), ShareSpec("acct_seller_2", 4_000)]
FEE = FeeSchedule(bps=250, fixed=10)


def _journal(engine: Engine) -> list[tuple[int, int]]:
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(select(transfers.c.id, transfers.c.amount))]


def _confirmed(pay: Payments, *, manual: bool = True) -> PaymentIntent:
    intent = new_intent(pay, manual=manual, shares=SHARES, fee_schedule=FEE)
    return intents.confirm(pay, TENANT, intent.id)


def _replay(engine: Engine, specs: list[TransferSpec]) -> None:
    journal = _journal(engine)
    with engine.begin() as connection:
        submit(connection, specs)
    assert _journal(engine) == journal
    assert_ledger_clean(engine)


def test_every_steps_chain_replayed_writes_nothing(pay: Payments, engine: Engine) -> None:
    held = _confirmed(pay)
    _replay(engine, movements.authorize(held))
    captured = intents.capture(pay, TENANT, held.id, 9_000)
    _replay(engine, movements.capture_held(held, 9_000)[0])
    refunds.refund(pay, TENANT, held.id, 1_000, refund_id="re_1")
    _replay(engine, movements.hold(captured, "refund:re_1", 1_000, Code.REFUND, "refunded")[0])
    refunded = intents.retrieve(pay, TENANT, held.id)
    parts = [
        after.refunded - before.refunded
        for after, before in zip(refunded.shares, captured.shares, strict=True)
    ]
    _replay(engine, movements.release_hold(refunded, "refund:re_1", parts, "refunded", post=True)[0])
    dispute = disputes.open_dispute(pay, TENANT, held.id, 2_000, dispute_id="dp_1")
    _replay(engine, movements.hold(refunded, "dispute:dp_1", 2_000, Code.DISPUTE, "disputed")[0])
    disputed = intents.retrieve(pay, TENANT, held.id)
    parts = [share.disputed for share in disputed.shares]
    disputes.close_dispute(pay, TENANT, dispute.id, won=False)
    _replay(engine, movements.release_hold(disputed, "dispute:dp_1", parts, "disputed", post=True)[0])
    automatic = _confirmed(pay, manual=False)
    before = intents.retrieve(pay, TENANT, automatic.id)
    _replay(engine, movements.capture_at_once(_without_capture(before))[0])
    other = _confirmed(pay)
    intents.cancel(pay, TENANT, other.id)
    _replay(engine, movements.release(other))


def _without_capture(intent: PaymentIntent) -> PaymentIntent:
    return replace(intent, shares=tuple(replace(share, captured=0, fee=0) for share in intent.shares))


STEPS: dict[str, Callable[[Payments, PaymentIntent], object]] = {
    "capture": lambda pay, intent: intents.capture(pay, TENANT, intent.id, 7_000),
    "cancel": lambda pay, intent: intents.cancel(pay, TENANT, intent.id),
    "refund": lambda pay, intent: refunds.refund(pay, TENANT, intent.id, 500, refund_id="re_crash"),
    "open_dispute": lambda pay, intent: disputes.open_dispute(
        pay, TENANT, intent.id, 500, dispute_id="dp_crash"
    ),
}


@pytest.mark.parametrize("step", list(STEPS))
def test_a_step_failing_before_its_commit_leaves_nothing_and_its_retry_posts_once(
    pay: Payments, engine: Engine, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    intent = _confirmed(pay)
    if step in ("refund", "open_dispute"):
        intent = intents.capture(pay, TENANT, intent.id)
    journal = _journal(engine)

    def crash(*_: object) -> None:
        raise RuntimeError("the process died before the intent's row was written")

    with monkeypatch.context() as patch:
        patch.setattr(store, "save", crash)
        with pytest.raises(RuntimeError):
            STEPS[step](pay, intent)
    assert _journal(engine) == journal
    assert intents.retrieve(pay, TENANT, intent.id) == intent
    STEPS[step](pay, intent)
    written = len(_journal(engine)) - len(journal)
    assert written > 0
    assert_ledger_clean(engine)
    if step in ("refund", "open_dispute"):  # the same id again answers the first result
        STEPS[step](pay, intent)
    else:
        with pytest.raises(UnexpectedState):
            STEPS[step](pay, intent)
    assert len(_journal(engine)) - len(journal) == written


def test_confirm_retried_after_success_is_refused_and_moves_nothing(pay: Payments, engine: Engine) -> None:
    held = _confirmed(pay)
    with engine.connect() as connection:
        count = connection.scalar(select(func.count()).select_from(transfers))
    with pytest.raises(UnexpectedState) as caught:
        intents.confirm(pay, TENANT, held.id)
    assert caught.value.status == "requires_capture"
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(transfers)) == count


def test_a_refund_cut_short_at_the_rail_is_finished_by_its_retry(
    pay: Payments, engine: Engine, rail: ScriptedRail, monkeypatch: pytest.MonkeyPatch
) -> None:
    intent = intents.capture(pay, TENANT, _confirmed(pay).id)
    balance = posted(engine, "acct_seller_1") + posted(engine, "acct_seller_2")

    def unreachable(request: object) -> object:
        raise ConnectionError("the rail did not answer")

    with monkeypatch.context() as patch:
        patch.setattr(rail, "refund", unreachable)
        with pytest.raises(ConnectionError):
            refunds.refund(pay, TENANT, intent.id, 2_000, refund_id="re_cut")
    reserved = refunds.retrieve_refund(pay, TENANT, "re_cut")
    assert reserved.status is RefundStatus.PENDING
    assert intents.retrieve(pay, TENANT, intent.id).refundable == intent.refundable - 2_000
    assert posted(engine, "acct_seller_1") + posted(engine, "acct_seller_2") == balance
    assert_ledger_clean(engine)
    done = refunds.refund(pay, TENANT, intent.id, refund_id="re_cut")
    assert (done.status, done.amount) == (RefundStatus.SUCCEEDED, 2_000)
    assert posted(engine, "acct_seller_1") + posted(engine, "acct_seller_2") == balance - 2_000
    assert refunds.refund(pay, TENANT, intent.id, refund_id="re_cut") == done
    assert_ledger_clean(engine)
