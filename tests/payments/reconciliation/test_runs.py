"""Runs: the rails' records of a day matched against the ledger, stored with every break; a rail that
cannot be read makes the run incomplete, never clean; runs are numbered per day and a number given again
answers the stored run."""

import datetime
from dataclasses import replace

from sqlalchemy import Engine

from payments.intents.context import Payments
from payments.intents.model import RailKind
from payments.intents.refunds import refund
from payments.reconciliation.lines import ExternalLine, LineKind
from payments.reconciliation.matching import BreakKind
from payments.reconciliation.runs import RailState, Run, RunStatus, load_breaks, load_run, reconcile
from tests.payments.intents.conftest import TENANT
from tests.payments.reconciliation.conftest import RecordedStatement, ledger_day, paid, statement_of


def _day_of_payments(engine: Engine, pay: Payments) -> tuple[datetime.date, list[str]]:
    first, second = paid(pay, 10_000), paid(pay, 2_500)
    refund(pay, TENANT, first.id, 1_000, refund_id="re_one")
    return ledger_day(engine), [first.id, second.id]


def _rail(run: Run, rail: RailKind) -> tuple[RailState, int, int]:
    result = next(result for result in run.rails if result.rail == rail)
    return result.state, result.ledger_lines, result.rail_lines


def test_a_clean_day_is_complete_without_breaks(engine: Engine, pay: Payments) -> None:
    day, _ = _day_of_payments(engine, pay)
    run = reconcile(engine, {RailKind.CARD: statement_of(engine, day)}, day)
    assert (run.status, run.break_count, run.number) == (RunStatus.COMPLETE, 0, 1)
    assert _rail(run, RailKind.CARD) == (RailState.RECONCILED, 3, 3)
    assert _rail(run, RailKind.BANK) == (RailState.UNCONFIGURED, 0, 0)  # nothing moved on it: still complete
    with engine.connect() as connection:
        assert load_run(connection, day) == run


def test_every_break_kind_is_stored_with_both_sides(engine: Engine, pay: Payments) -> None:
    day, (first, second) = _day_of_payments(engine, pay)
    statement = statement_of(engine, day)
    lines = {(line.kind, line.reference): line for line in statement.days[day]}
    payment, small, back = (
        lines[LineKind.PAYMENT, first],
        lines[LineKind.PAYMENT, second],
        lines[LineKind.REFUND, "re_one"],
    )
    stranger = ExternalLine(RailKind.CARD, LineKind.PAYMENT, "pi_unknown", "ext-9", 50, "EUR", day, False)
    statement.days[day] = [
        payment,
        replace(payment, external_id="ext-xdup"),  # the later line id is the extra one
        replace(small, amount=2_499, livemode=True),
        replace(back, currency="USD"),
        stranger,
    ]
    # ... and one payment the rail never saw.
    missing = paid(pay, 300)

    run = reconcile(engine, {RailKind.CARD: statement}, day)
    with engine.connect() as connection:
        found = [item for _, item in load_breaks(connection, run, None, 100)]
    assert run.status is RunStatus.COMPLETE
    assert run.break_count == len(found) == 6
    by_kind = {item.kind: item for item in found}
    assert set(by_kind) == set(BreakKind)
    assert by_kind[BreakKind.DUPLICATE_AT_RAIL].external.external_id == "ext-xdup"  # type: ignore[union-attr]
    assert by_kind[BreakKind.AMOUNT_MISMATCH].ledger.amount == 2_500  # type: ignore[union-attr]
    assert by_kind[BreakKind.AMOUNT_MISMATCH].external.amount == 2_499  # type: ignore[union-attr]
    assert by_kind[BreakKind.MODE_MISMATCH].reference == second
    assert by_kind[BreakKind.CURRENCY_MISMATCH].external.currency == "USD"  # type: ignore[union-attr]
    assert by_kind[BreakKind.MISSING_IN_LEDGER].external == stranger
    assert by_kind[BreakKind.MISSING_AT_RAIL].reference == missing.id
    assert by_kind[BreakKind.MISSING_AT_RAIL].external is None


def test_breaks_page_in_order(engine: Engine, pay: Payments) -> None:
    for amount in (100, 200, 300):
        paid(pay, amount)
    day = ledger_day(engine)
    run = reconcile(engine, {RailKind.CARD: RecordedStatement(RailKind.CARD)}, day)
    with engine.connect() as connection:
        first = load_breaks(connection, run, None, 2)
        rest = load_breaks(connection, run, first[-1][0], 2)
    assert [position for position, _ in first + rest] == [0, 1, 2]
    assert {item.kind for _, item in first + rest} == {BreakKind.MISSING_AT_RAIL}


def test_an_unreadable_rail_makes_the_run_incomplete_and_names_it(engine: Engine, pay: Payments) -> None:
    day, _ = _day_of_payments(engine, pay)
    run = reconcile(engine, {RailKind.CARD: RecordedStatement(RailKind.CARD, down=True)}, day)
    assert (run.status, run.break_count) == (RunStatus.INCOMPLETE, 0)  # not three "missing at rail"
    card = next(result for result in run.rails if result.rail == RailKind.CARD)
    assert card.state is RailState.UNREADABLE
    assert card.detail == "ConnectionError: card statement service unreachable"


def test_a_source_answering_another_rails_lines_is_unreadable(engine: Engine, pay: Payments) -> None:
    day, _ = _day_of_payments(engine, pay)
    wrong = statement_of(engine, day)
    wrong.rail = RailKind.BANK  # the card's lines served as the bank's record
    run = reconcile(engine, {RailKind.BANK: wrong, RailKind.CARD: statement_of(engine, day)}, day)
    assert run.status is RunStatus.INCOMPLETE
    assert _rail(run, RailKind.BANK)[0] is RailState.UNREADABLE


def test_money_on_a_rail_without_source_makes_the_run_incomplete(engine: Engine, pay: Payments) -> None:
    day, _ = _day_of_payments(engine, pay)
    run = reconcile(engine, {RailKind.BANK: RecordedStatement(RailKind.BANK)}, day)
    assert run.status is RunStatus.INCOMPLETE
    assert _rail(run, RailKind.CARD) == (RailState.UNCONFIGURED, 3, 0)
    assert _rail(run, RailKind.BANK) == (RailState.RECONCILED, 0, 0)


def test_runs_are_numbered_per_day_and_a_given_number_answers_the_stored_run(
    engine: Engine, pay: Payments
) -> None:
    day, _ = _day_of_payments(engine, pay)
    down = {RailKind.CARD: RecordedStatement(RailKind.CARD, down=True)}
    first = reconcile(engine, down, day)
    # The counterpart is back: the day is run again, as a new run; the first stays as it was.
    second = reconcile(engine, {RailKind.CARD: statement_of(engine, day)}, day)
    assert (first.number, second.number) == (1, 2)
    assert second.status is RunStatus.COMPLETE
    # A retried job naming run 2 gets it back unchanged, whatever the rail says now.
    assert reconcile(engine, down, day, number=2) == second
    with engine.connect() as connection:
        assert load_run(connection, day) == second
        assert load_run(connection, day, 1) == first
        assert load_run(connection, day + datetime.timedelta(days=1)) is None
