"""Freezes are ledger holds: a freeze and its release leave every balance exactly as it was and the ledger
balanced; an alert, its freeze, its case and its audit record commit together or not at all."""

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, func, select

import risk.audit.schema
import risk.cases
import risk.cases.schema
from ledger.accounts import lookup_accounts
from ledger.check import verify
from ledger.model import AccountFlags, OwnerKind, TransferFlags, TransferSpec
from ledger.schema import ACCOUNT_TOTALS, transfers
from ledger.transfers import create_transfer
from risk.cases.schema import risk_cases
from risk.monitoring import alerts, freezes
from risk.monitoring.alerts import Alert, Subject
from risk.monitoring.checks import Check, Finding
from risk.monitoring.schema import alerts as alerts_table
from risk.monitoring.schema import audit as audit_table
from risk.monitoring.schema import holds
from tests.risk.monitoring.conftest import T0, Money

FINDING = Finding(Check.FREQUENCY, "a test finding", {"count": 10})


def _totals(engine: Engine) -> dict[int, tuple[int, ...]]:
    with engine.connect() as connection:
        ids = set(connection.execute(select(transfers.c.debit_account_id)).scalars())
        ids |= set(connection.execute(select(transfers.c.credit_account_id)).scalars())
    found = lookup_accounts(engine, ids)
    return {
        account_id: tuple(getattr(account, name) for name in ACCOUNT_TOTALS)
        for account_id, account in found.items()
        if account.owner_id != freezes.HOLD_OWNER
    }


@given(
    balances=st.lists(st.integers(0, 10**12), min_size=1, max_size=4),
    pending=st.lists(st.integers(1, 10**6), max_size=3),
    unlimited=st.booleans(),
)
def test_freeze_then_release_leaves_every_balance_exactly_as_before(
    engine: Engine, money: Money, balances: list[int], pending: list[int], unlimited: bool
) -> None:
    owner = f"cus-{len(_totals(engine))}-{len(balances)}-{len(pending)}-{unlimited}"
    accounts = [money.open(owner=owner) for _ in balances]
    if unlimited:  # an account that may go negative has nothing to hold, and keeps working
        accounts.append(money.open(owner=owner, limited=False))
    sink = money.open()
    for account, balance in zip(accounts, balances, strict=False):
        if balance:
            money.fund(account, balance)
    for amount in pending:  # outgoing authorisations already reserved
        if balances[0] >= amount:
            money.move(accounts[0], sink, amount, 1, flags=TransferFlags.PENDING)
    before = _totals(engine)
    available = {account: money.available(account) for account in accounts}

    with engine.begin() as connection:
        alert = alerts.raise_alert(connection, FINDING, Subject("customer", owner), 10, alerts.AlertQueue())
    assert alert is not None
    for account in accounts:
        limited = (
            lookup_accounts(engine, [account])[account].flags & AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
        )
        assert money.available(account) == (0 if limited else available[account])
    assert sorted(hold.amount for hold in alert.holds) == sorted(
        amount for account, amount in available.items() if amount > 0 and account in accounts[: len(balances)]
    )
    assert verify(engine) == []

    with engine.begin() as connection:
        alerts.decide(connection, alert.id, approve=True, operator="op", reason="fine", now=20)
    with engine.begin() as connection:  # a retried release: nothing more
        alerts.decide(connection, alert.id, approve=True, operator="op", reason="again", now=30)
    assert _totals(engine) == before
    assert {account: money.available(account) for account in accounts} == available
    assert verify(engine) == []


class FailingOpener:
    def open_case(self, connection: Connection, alert: Alert) -> str:
        raise RuntimeError("the review queue is down")


def test_an_alert_its_freeze_and_its_audit_record_commit_together(engine: Engine, money: Money) -> None:
    customer = money.open(owner="cus-a")
    money.fund(customer, 10_000)
    with pytest.raises(RuntimeError), engine.begin() as connection:
        alerts.raise_alert(connection, FINDING, Subject("customer", "cus-a"), 10, FailingOpener())
    assert money.available(customer) == 10_000
    with engine.connect() as connection:
        for table in (alerts_table, holds, audit_table):
            assert connection.execute(select(func.count()).select_from(table)).scalar_one() == 0
    with engine.begin() as connection:
        assert alerts.raise_alert(connection, FINDING, Subject("customer", "cus-a"), 10, alerts.AlertQueue())
    assert money.available(customer) == 0


def test_a_rejected_alert_keeps_its_freeze_and_cannot_then_be_released(engine: Engine, money: Money) -> None:
    customer = money.open(owner="cus-b")
    money.fund(customer, 10_000)
    with engine.begin() as connection:
        alert = alerts.raise_alert(connection, FINDING, Subject("customer", "cus-b"), 10, alerts.AlertQueue())
        assert alert is not None
        [confirmed] = alerts.decide_case(
            connection, alert.id, approve=False, operator="op", reason="fraud", now=11
        )
    assert confirmed.status is alerts.AlertStatus.CONFIRMED
    with pytest.raises(alerts.AlertDecided), engine.begin() as connection:
        alerts.decide(connection, alert.id, approve=True, operator="op", reason="oops", now=12)
    assert money.available(customer) == 0
    money.fund(customer, 700, 20)  # still frozen: what arrives is held by the next round too
    with engine.begin() as connection:
        assert alerts.top_up(connection, 21) == 1
        assert alerts.top_up(connection, 22) == 0
    assert money.available(customer) == 0


def test_a_hold_voided_behind_the_monitorings_back_fails_the_release(engine: Engine, money: Money) -> None:
    """A release that the ledger refuses rolls back whole: the alert stays open, its holds unreleased."""
    customer = money.open(owner="cus-c")
    money.fund(customer, 10_000)
    with engine.begin() as connection:
        alert = alerts.raise_alert(connection, FINDING, Subject("customer", "cus-c"), 10, alerts.AlertQueue())
    assert alert is not None
    [hold] = alert.holds
    spec = TransferSpec(
        reference="someone-else", flags=TransferFlags.POST_PENDING, pending_id=hold.transfer_id
    )
    assert create_transfer(engine, spec, now=T0 + timedelta(seconds=5)).result == "ok"
    with pytest.raises(freezes.FreezeFailed), engine.begin() as connection:
        alerts.decide(connection, alert.id, approve=True, operator="op", reason="fine", now=20)
    with engine.connect() as connection:
        assert alerts.load(connection, alert.id).status is alerts.AlertStatus.OPEN


def test_a_payout_subject_is_recorded_without_a_ledger_hold(engine: Engine) -> None:
    with engine.begin() as connection:
        alert = alerts.raise_alert(connection, FINDING, Subject("payout", "re_1"), 10, alerts.AlertQueue())
        assert alert is not None
        assert alert.holds == ()
        frozen = select(alerts.frozen_subjects("payout", "re_1"))
        assert connection.execute(frozen).scalar_one()
        alerts.decide(connection, alert.id, approve=True, operator="op", reason="fine", now=11)
        assert not connection.execute(frozen).scalar_one()


def test_unknown_kinds_hold_nothing(engine: Engine, money: Money) -> None:
    treasury = money.open(OwnerKind.TREASURY, "cus-d")
    money.fund(treasury, 1_000)
    with engine.begin() as connection:
        assert freezes.freeze(connection, "mal_x", "treasury", "cus-d", 1) == []


def test_the_review_queue_opens_the_case_in_the_alerts_transaction_and_its_decision_releases(
    engine: Engine,
) -> None:
    """`ReviewQueue` opens a `risk.cases` case (audited on the risk log) with the alert, in its transaction:
    the case rolls back with the alert; the case's approval, through `decide_case`, releases the freeze."""
    for metadata in (risk.cases.schema.metadata, risk.audit.schema.metadata):
        metadata.create_all(engine)
    opener = alerts.ReviewQueue()
    with engine.begin() as connection:
        alert = alerts.raise_alert(connection, FINDING, Subject("customer", "cus-e"), 1, opener)
        assert alert is not None
        assert alert.case_id is not None
        case = risk.cases.get_case(connection, alert.case_id)
        assert (case.subject_kind, case.subject_id, case.opened_by) == ("customer", "cus-e", "monitoring")
        assert case.reasons[0]["rule"] == "frequency_spike"
        assert case.reasons[0]["alert_id"] == alert.id
        [released] = alerts.decide_case(
            connection, case.id, approve=True, operator="op", reason="fine", now=2
        )
        assert released.status is alerts.AlertStatus.RELEASED

    def failing_after_the_case() -> None:
        with engine.begin() as connection:
            alerts.raise_alert(connection, FINDING, Subject("customer", "cus-f"), 1, opener)
            raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        failing_after_the_case()
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(risk_cases)).scalar_one() == 1
