"""The journal consumer on each backend: a burst freezes the account (an outgoing transfer is then refused
by the ledger), a release restores it; structuring and drain on the journal; each transfer checked once."""

import json
from datetime import timedelta

from sqlalchemy import Engine, func, select, update

from ledger.model import OwnerKind, TransferFlags, TransferSpec
from ledger.schema import transfers
from ledger.transfers import create_transfer
from risk.kyc.schema import subject_tiers
from risk.monitoring import alerts, audit
from risk.monitoring.alerts import AlertStatus
from risk.monitoring.monitor import Monitor
from risk.monitoring.schema import alerts as alerts_table
from risk.monitoring.schema import audit as audit_table
from tests.helpers.threads import run_concurrently
from tests.risk.monitoring.conftest import T0, Clock, Money


def _alerts(engine: Engine) -> list[alerts.Alert]:
    with engine.connect() as connection:
        return alerts.listed(connection, status=None, after=None, limit=100)


def test_a_burst_freezes_the_available_balance_and_a_release_restores_it(
    engine: Engine, monitor: Monitor, money: Money, clock: Clock
) -> None:
    customer, shop = money.open(), money.open(OwnerKind.MERCHANT, "test:mer_1")
    money.fund(customer, 1_000_000)
    for second in range(9):  # nine in ten minutes: under the minimum count of 10
        assert money.move(customer, shop, 1_000, 60 + second) == "ok"
    assert monitor.run_once() == 0
    assert money.move(customer, shop, 1_000, 100) == "ok"  # the tenth
    assert monitor.run_once() == 1
    [alert] = _alerts(engine)
    assert (alert.check, alert.subject_kind, alert.status) == (
        "frequency_spike",
        "customer",
        AlertStatus.OPEN,
    )
    assert alert.subject_id == f"cus-{customer}"
    assert alert.case_id == alert.id
    assert [(hold.account_id, hold.amount) for hold in alert.holds] == [(customer, 990_000)]
    assert money.available(customer) == 0
    assert money.move(customer, shop, 1, 200) == "exceeds_credits"  # the ledger itself refuses it

    clock.now += 60
    with engine.begin() as connection:
        released = alerts.decide(
            connection, alert.id, approve=True, operator="op-1", reason="known payroll", now=clock()
        )
    assert released.status is AlertStatus.RELEASED
    assert released.decided_by == "op-1"
    assert all(hold.released_at == clock.now for hold in released.holds)
    assert money.available(customer) == 990_000
    assert money.move(customer, shop, 1, 300) == "ok"
    with engine.begin() as connection:  # again: nothing changes
        again = alerts.decide(
            connection, alert.id, approve=True, operator="op-2", reason="again", now=clock()
        )
    assert again.decided_by == "op-1"
    assert money.available(customer) == 989_999


def test_each_transfer_is_checked_once_and_a_frozen_subject_gets_no_second_alert(
    engine: Engine, monitor: Monitor, money: Money
) -> None:
    customer, shop = money.open(), money.open()
    money.fund(customer, 100_000)
    for second in range(10):
        money.move(customer, shop, 100, second)
    assert monitor.run_once() == 1
    assert monitor.run_once() == 0
    money.fund(customer, 5_000, 20)  # arrives after the freeze: available until the next round holds it
    assert money.available(customer) == 5_000
    assert monitor.run_once() == 1  # the top-up
    assert money.available(customer) == 0
    assert money.move(customer, shop, 100, 21) == "exceeds_credits"
    [alert] = _alerts(engine)
    assert sorted(hold.amount for hold in alert.holds) == [5_000, 99_000]
    with engine.begin() as connection:
        alerts.decide(connection, alert.id, approve=True, operator="op", reason="ok", now=1)
    assert money.available(customer) == 104_000


def test_structuring_just_under_the_tier_limit(engine: Engine, monitor: Monitor, money: Money) -> None:
    customer, shop = money.open(), money.open()
    money.fund(customer, 10_000_000)
    with engine.begin() as connection:
        connection.execute(
            subject_tiers.insert().values(subject_id=f"cus-{customer}", tier="light", changed_at=0)
        )
    # light: 100,000 EUR cents per transaction; 90,000..100,000 is "just under"
    for hour, amount in enumerate([99_500, 50_000, 95_000]):
        money.move(customer, shop, amount, hour * 3_600)
    assert monitor.run_once() == 0
    money.move(customer, shop, 90_000, 4 * 3_600)
    assert monitor.run_once() == 1
    [alert] = _alerts(engine)
    assert alert.check == "structuring"
    assert alert.details["limit"] == "100000"


def test_a_drain_of_most_of_the_balance(engine: Engine, monitor: Monitor, money: Money) -> None:
    customer, other = money.open(), money.open()
    money.fund(customer, 300_000)
    money.move(customer, other, 150_000, 7_200)
    money.move(customer, other, 50_000, 7_250)  # 200,000 of 300,000: two thirds
    money.fund(customer, 10_000, 7_260)
    money.move(customer, other, 50_000, 7_300)  # 250,000 of 300,000 held before the hour: 83 %
    money.move(customer, other, 1_000, 7_400)
    assert monitor.run_once() == 1  # the transfer at 7,300, checked at its time, not at the round's
    [alert] = _alerts(engine)
    assert alert.check == "balance_drain"
    assert alert.transfer_id is not None
    assert alert.details["held_before"] == "300000"
    assert alert.holds[0].amount == 59_000


def test_a_rate_surge_against_the_accounts_own_week(engine: Engine, monitor: Monitor, money: Money) -> None:
    customer, other = money.open(), money.open()
    money.fund(customer, 100_000_000)
    for day in range(7):  # 100,000 a day for a week
        money.move(customer, other, 100_000, day * 86_400)
    money.move(customer, other, 600_000, 7 * 86_400)  # not a drain: a small share of the balance
    assert monitor.run_once() == 1
    [alert] = _alerts(engine)
    assert alert.check == "rate_surge"


def test_holds_posts_and_voids_are_not_activity(engine: Engine, monitor: Monitor, money: Money) -> None:
    customer, other = money.open(), money.open()
    money.fund(customer, 100_000)
    for second in range(9):  # nine card authorisations, one short of a spike
        money.move(customer, other, 100, second, flags=TransferFlags.PENDING)
    with engine.connect() as connection:
        pending = (
            connection.execute(select(transfers.c.id).where(transfers.c.debit_account_id == customer))
            .scalars()
            .all()
        )
    for second, pending_id in enumerate(pending):  # their voids are no activity: still nine
        spec = TransferSpec(
            reference=f"void-{pending_id}", flags=TransferFlags.VOID_PENDING, pending_id=pending_id
        )
        assert create_transfer(engine, spec, now=T0 + timedelta(seconds=20 + second)).result == "ok"
    assert monitor.run_once() == 0
    with engine.connect() as connection:
        observed = connection.execute(select(func.count()).select_from(audit_table)).scalar_one()
    assert observed == 0


def test_a_geography_sighting_freezes_on_impossible_travel(
    engine: Engine, monitor: Monitor, money: Money, clock: Clock
) -> None:
    customer = money.open()
    money.fund(customer, 50_000)
    subject = f"cus-{customer}"
    assert monitor.sighting("customer", subject, "192.0.2.10", 1_000) is None  # DE
    assert monitor.sighting("customer", subject, "not an ip", 1_100) is None
    finding = monitor.sighting("customer", subject, "101.0.0.1", 1_000 + 3_600)  # AU an hour later
    assert finding is not None
    assert finding.details["to"] == "AU"
    [alert] = _alerts(engine)
    assert alert.check == "geography"
    assert money.available(customer) == 0
    with engine.connect() as connection:
        stored = connection.execute(select(audit_table.c.line)).scalars().all()
    assert not any("101.0.0.1" in line or "192.0.2.10" in line for line in stored)  # no IP kept


def test_the_audit_chain_records_every_step_and_detects_an_edit(
    engine: Engine, monitor: Monitor, money: Money
) -> None:
    customer, other = money.open(), money.open()
    money.fund(customer, 100_000)
    for second in range(11):
        money.move(customer, other, 100, second)
    monitor.run_once()
    [alert] = _alerts(engine)
    with engine.begin() as connection:
        alerts.decide(connection, alert.id, approve=False, operator="op", reason="mule account", now=5)
        verdict = audit.verify(connection)
        actions = [
            json.loads(line)["action"]
            for line in connection.execute(select(audit_table.c.line).order_by(audit_table.c.seq)).scalars()
        ]
    assert verdict.ok
    assert actions == ["monitoring.alert", "monitoring.finding", "monitoring.confirm"]
    assert money.available(customer) == 0  # rejected: the freeze stays
    with engine.begin() as connection:
        connection.execute(
            update(audit_table)
            .where(audit_table.c.seq == 1)
            .values(line=func.replace(audit_table.c.line, "frequency_spike", "frequency_spikE"))
        )
        assert not audit.verify(connection).ok
        assert connection.execute(select(alerts_table.c.status)).scalar_one() == "confirmed"


def test_concurrent_rounds_check_each_transfer_once(engine: Engine, monitor: Monitor, money: Money) -> None:
    """Several API processes run rounds at once: they take turns, so each transfer is checked once (the
    tenth outgoing one alerts, the two after it are findings against that alert, and nothing twice)."""
    customer, shop = money.open(), money.open()
    money.fund(customer, 100_000)
    for second in range(12):
        money.move(customer, shop, 100, second)
    raised: list[int] = []
    run_concurrently(lambda: raised.append(monitor.run_once()), 4)
    assert sorted(raised) == [0, 0, 0, 1]
    with engine.connect() as connection:
        lines = connection.execute(select(audit_table.c.line).order_by(audit_table.c.seq)).scalars()
        actions = [json.loads(line)["action"] for line in lines]
    assert actions == ["monitoring.alert", "monitoring.finding", "monitoring.finding"]
    assert len(_alerts(engine)) == 1


def test_orders_holds_at_a_trading_venue_are_not_activity_but_a_withdrawal_is(
    engine: Engine, monitor: Monitor, money: Money
) -> None:
    """Twenty orders' holds into a market's escrow (a venue's own account, `VENUE_OWNERS`) and their
    releases are moves within the exchange: no spike. Ten moves out to anyone else still are one."""
    trader, escrow = money.open(), money.open(OwnerKind.TREASURY, "spot:TPW-tUSD", limited=False)
    elsewhere = money.open()
    money.fund(trader, 1_000_000)
    for second in range(20):
        assert money.move(trader, escrow, 1_000, 60 + second) == "ok"  # an order's hold
        assert money.move(escrow, trader, 1_000, 60.5 + second) == "ok"  # its cancel
    assert monitor.run_once() == 0
    assert _alerts(engine) == []
    for second in range(10):
        assert money.move(trader, elsewhere, 1_000, 100 + second) == "ok"
    assert monitor.run_once() == 1
    [alert] = _alerts(engine)
    assert alert.check == "frequency_spike"
