"""A merchant's statement and tax report from the ledger: every movement of its balance with the running
balance, closing = opening + lines = the account's balance; per month the posted figures whose net is the
posted balance's change; and nothing of another merchant or mode."""

import contextlib
import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from api.db import make_engine
from payments.intents import intents
from payments.intents.context import Payments
from payments.intents.disputes import close_dispute, open_dispute
from payments.intents.errors import RailRefused
from payments.intents.model import FeeSchedule, RailKind
from payments.intents.refunds import refund
from payments.merchants.tenant import Tenant
from payments.reconciliation.reports.csv_export import Money, safe_text, to_csv
from payments.reconciliation.reports.statement import LineType, statement
from payments.reconciliation.reports.tax import tax_report
from tests.payments.intents.conftest import (
    OTHER,
    TENANT,
    ScriptedRail,
    available,
    create_payment_tables,
    posted,
)
from tests.payments.reconciliation.conftest import ledger_day, paid

FEES = FeeSchedule(bps=290, fixed=30)


def _busy_day(pay: Payments, rail: ScriptedRail) -> dict[str, str]:
    """Every kind of movement of a merchant's balance, once."""
    sale = paid(pay, 10_000, fee_schedule=FEES)  # +10_000, fee -320
    refund(pay, TENANT, sale.id, 2_500, refund_id="re_done")  # -2_500 at once (held, then posted)
    won = paid(pay, 4_000)
    dispute = open_dispute(pay, TENANT, won.id, 1_000, dispute_id="dp_won")  # -1_000 held
    close_dispute(pay, TENANT, dispute.id, won=True)  # +1_000 given back
    lost = paid(pay, 3_000)
    close_dispute(pay, TENANT, open_dispute(pay, TENANT, lost.id, dispute_id="dp_lost").id, won=False)
    rail.refuse.add("refund")
    with pytest.raises(RailRefused):
        refund(pay, TENANT, won.id, 700, refund_id="re_refused")  # -700 held, +700 given back
    held = paid(pay, 900, manual=True)  # authorized only: no line until captured
    intents.capture(pay, TENANT, held.id, 600)  # +600
    return {"sale": sale.id, "won": won.id, "lost": lost.id, "held": held.id}


def test_a_statement_lists_every_movement_and_closes_at_the_balance(
    engine: Engine, pay: Payments, rail: ScriptedRail
) -> None:
    ids = _busy_day(pay, rail)
    day = ledger_day(engine)
    with engine.connect() as connection:
        found = statement(connection, TENANT, "EUR", day, day)
    assert [(line.type, line.reference, line.amount) for line in found.lines] == [
        (LineType.PAYMENT, ids["sale"], 10_000),
        (LineType.FEE, ids["sale"], -320),
        (LineType.REFUND, "re_done", -2_500),
        (LineType.PAYMENT, ids["won"], 4_000),
        (LineType.DISPUTE_HOLD, "dp_won", -1_000),
        (LineType.DISPUTE_RELEASE, "dp_won", 1_000),
        (LineType.PAYMENT, ids["lost"], 3_000),
        (LineType.DISPUTE_HOLD, "dp_lost", -3_000),
        (LineType.REFUND, "re_refused", -700),
        (LineType.REFUND_REVERSAL, "re_refused", 700),
        (LineType.PAYMENT, ids["held"], 600),
    ]
    assert found.opening == 0
    assert found.closing == found.opening + sum(line.amount for line in found.lines)
    assert found.closing == available(engine) == 10_000 - 320 - 2_500 + 4_000 + 600
    running = [found.opening + sum(line.amount for line in found.lines[: index + 1]) for index in range(11)]
    assert [line.balance for line in found.lines] == running


def test_a_later_period_opens_at_the_earlier_closing(
    engine: Engine, pay: Payments, rail: ScriptedRail
) -> None:
    _busy_day(pay, rail)
    day = ledger_day(engine)
    later, earlier = day + datetime.timedelta(days=1), day - datetime.timedelta(days=30)
    with engine.connect() as connection:
        after = statement(connection, TENANT, "EUR", later, later + datetime.timedelta(days=6))
        before = statement(connection, TENANT, "EUR", earlier, day - datetime.timedelta(days=1))
    assert (after.opening, after.lines, after.closing) == (available(engine), (), available(engine))
    assert (before.opening, before.lines, before.closing) == (0, (), 0)


def test_reports_show_nothing_of_another_merchant_mode_or_currency(
    engine: Engine, pay: Payments, rail: ScriptedRail
) -> None:
    _busy_day(pay, rail)
    day = ledger_day(engine)
    live = Tenant(TENANT.merchant_id, livemode=True)
    with engine.connect() as connection:
        for tenant, currency in ((OTHER, "EUR"), (live, "EUR"), (TENANT, "USD")):
            outsider = statement(connection, tenant, currency, day, day)
            assert (outsider.opening, outsider.lines) == (0, ())
        for tenant in (OTHER, live):
            assert tax_report(connection, tenant, day, day) == []


def test_the_tax_report_nets_to_the_posted_balance(engine: Engine, pay: Payments, rail: ScriptedRail) -> None:
    _busy_day(pay, rail)
    day = ledger_day(engine)
    with engine.connect() as connection:
        rows = tax_report(connection, TENANT, day, day)
        assert (
            tax_report(connection, TENANT, day + datetime.timedelta(days=1), day + datetime.timedelta(2))
            == []
        )
    assert len(rows) == 1
    row = rows[0]
    assert (row.month, row.currency) == (f"{day.year:04d}-{day.month:02d}", "EUR")
    assert (row.gross, row.refunds, row.disputes_lost, row.fees, row.adjustments) == (
        10_000 + 4_000 + 3_000 + 600,
        2_500,
        3_000,
        320,
        0,
    )
    assert row.net == row.gross - row.refunds - row.disputes_lost - row.fees == posted(engine)


@pytest.mark.parametrize(
    ("amount", "exponent", "text"),
    [
        (1205, 2, "12.05"),
        (-1205, 2, "-12.05"),
        (5, 2, "0.05"),
        (-5, 2, "-0.05"),
        (0, 2, "0.00"),
        (7, 0, "7"),
        (-1, 3, "-0.001"),
        (2**63 - 1, 2, "92233720368547758.07"),
    ],
)
def test_money_is_exact_in_major_units(amount: int, exponent: int, text: str) -> None:
    assert str(Money(amount, exponent)) == text


@given(st.integers(-(2**63), 2**63 - 1), st.integers(0, 4))
def test_money_text_reads_back_as_the_minor_units(amount: int, exponent: int) -> None:
    text = str(Money(amount, exponent))
    whole, _, fraction = text.lstrip("-").partition(".")
    assert len(fraction) == exponent
    assert (-1 if text.startswith("-") else 1) * int(whole + fraction) == amount


def test_text_cells_cannot_be_formulas_and_amounts_stay_numbers() -> None:
    for dangerous in ('=HYPERLINK("x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert safe_text(dangerous) == f"'{dangerous}"
    assert safe_text("pi_123") == "pi_123"
    document = to_csv(["reference", "amount"], [["=cmd|' /C calc'!A0", Money(-150, 2)]])
    assert document == "reference,amount\r\n'=cmd|' /C calc'!A0,-1.50\r\n"


_STEPS = st.lists(
    st.tuples(
        st.integers(1, 50_000),
        st.sampled_from(["keep", "refund", "refuse", "won", "lost"]),
        st.integers(1, 100),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=_STEPS)
def test_any_history_closes_at_the_balances(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[int, str, int]]
) -> None:
    """Whatever happens to a merchant's payments, the statement's lines sum to its available balance and
    the tax report's net to its posted balance (SQLite: the property is about the arithmetic; both backends
    run the fixed scenarios above)."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('history') / 'db.sqlite'}")
    create_payment_tables(engine)
    rail = ScriptedRail()
    pay = Payments(engine, {RailKind.CARD: rail})
    try:
        for index, (amount, fate, percent) in enumerate(steps):
            intent = paid(pay, amount, fee_schedule=FEES)
            part = max(1, min(intent.refundable, intent.refundable * percent // 100))
            if fate in ("refund", "refuse"):
                rail.refuse = {"refund"} if fate == "refuse" else set()
                with contextlib.suppress(RailRefused):
                    refund(pay, TENANT, intent.id, part, refund_id=f"re_{index}")
            elif fate in ("won", "lost"):
                dispute = open_dispute(pay, TENANT, intent.id, part, dispute_id=f"dp_{index}")
                close_dispute(pay, TENANT, dispute.id, won=fate == "won")
        day = ledger_day(engine)
        with engine.connect() as connection:
            found = statement(connection, TENANT, "EUR", day, day)
            rows = tax_report(connection, TENANT, day, day)
        assert found.closing == found.opening + sum(line.amount for line in found.lines) == available(engine)
        assert sum(row.net for row in rows) == posted(engine)
        assert all(row.net == row.gross - row.refunds - row.disputes_lost - row.fees for row in rows)
    finally:
        engine.dispose()
