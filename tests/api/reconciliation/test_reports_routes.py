"""`/v1/reports/statement` and `/v1/reports/tax`: a merchant's own CSV, amounts in major units, lines that
sum to the balance's change, formula-safe cells; another merchant, the other mode and operators see
nothing; bad periods and currencies are 422s naming the field."""

import csv
import datetime
import io
from collections.abc import Callable

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from api.auth import add_api_key
from ledger.model import TransferSpec
from ledger.transfers import create_transfers
from payments.intents.postings import fees_account, merchant_account
from payments.merchants.tenant import Tenant
from tests.api.merchants.conftest import Caller, Onboarded
from tests.api.reconciliation.conftest import pay
from tests.payments.intents.conftest import ScriptedRail, available
from tests.payments.reconciliation.conftest import ledger_day

STATEMENT = "/v1/reports/statement"
TAX = "/v1/reports/tax"


def _rows(answer: httpx.Response) -> list[dict[str, str]]:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(answer.text)))


def _cents(text: str) -> int:
    whole, _, fraction = text.lstrip("-").partition(".")
    return (-1 if text.startswith("-") else 1) * int(whole + fraction.ljust(2, "0"))


def test_a_statement_lists_each_movement_and_closes_at_the_balance(
    engine: Engine, rail: ScriptedRail, merchant_a: Onboarded
) -> None:
    sale = pay(merchant_a.sandbox, 10_000)  # card terms 290 bps + 30: fee 320
    refund = merchant_a.sandbox.post("/v1/refunds", {"payment_intent": sale["id"], "amount": "2500"})
    assert refund.status_code == 201, refund.text
    day = ledger_day(engine)
    rows = _rows(merchant_a.sandbox.get(f"{STATEMENT}?from={day}&to={day}&currency=EUR"))
    assert list(rows[0]) == ["booked_at", "type", "reference", "amount", "balance", "currency"]
    assert [(row["type"], row["reference"], row["amount"], row["balance"]) for row in rows] == [
        ("opening_balance", "", "", "0.00"),
        ("payment", sale["id"], "100.00", "100.00"),
        ("fee", sale["id"], "-3.20", "96.80"),
        ("refund", refund.json()["id"], "-25.00", "71.80"),
        ("closing_balance", "", "", "71.80"),
    ]
    assert {row["currency"] for row in rows} == {"EUR"}
    assert all(
        row["booked_at"].startswith(day.isoformat()) and row["booked_at"].endswith("Z") for row in rows[1:-1]
    )
    opening, closing = _cents(rows[0]["balance"]), _cents(rows[-1]["balance"])
    assert closing == opening + sum(_cents(row["amount"]) for row in rows[1:-1])
    assert closing == available(engine, merchant_a.id)


def test_a_reference_cannot_become_a_formula(
    engine: Engine, rail: ScriptedRail, merchant_a: Onboarded
) -> None:
    # An operator's adjustment through the ledger, its reference chosen by a human.
    pay(merchant_a.sandbox, 1_000)
    account = merchant_account("EUR", False, merchant_a.id)
    adjustment = TransferSpec(
        '=HYPERLINK("http://evil")', account.id, fees_account("EUR", False).id, 1, "EUR"
    )
    create_transfers(engine, [adjustment])
    day = ledger_day(engine)
    answer = merchant_a.sandbox.get(f"{STATEMENT}?from={day}&to={day}&currency=EUR")
    assert "\r\n" in answer.text
    [row] = [row for row in _rows(answer) if row["type"] == "adjustment"]
    assert (row["reference"], row["amount"]) == ('\'=HYPERLINK("http://evil")', "-0.01")


def test_the_tax_report_nets_to_the_posted_balance(
    engine: Engine, rail: ScriptedRail, merchant_a: Onboarded
) -> None:
    sale = pay(merchant_a.sandbox, 10_000)
    pay(merchant_a.sandbox, 5_000, "JPY")
    assert (
        merchant_a.sandbox.post("/v1/refunds", {"payment_intent": sale["id"], "amount": "1000"}).status_code
        == 201
    )
    day = ledger_day(engine)
    rows = _rows(merchant_a.sandbox.get(f"{TAX}?from={day.replace(day=1)}&to={day}"))
    month = f"{day.year:04d}-{day.month:02d}"
    assert [list(row.values()) for row in rows] == [
        # 290 bps + 30 of 5_000 JPY: 145 + 30 = 175; EUR: 290 + 30 = 320 cents.
        [month, "EUR", "100.00", "10.00", "0.00", "3.20", "0.00", "86.80"],
        [month, "JPY", "5000", "0", "0", "175", "0", "4825"],
    ]
    assert list(rows[0]) == [
        "month",
        "currency",
        "gross",
        "refunds",
        "disputes_lost",
        "fees",
        "adjustments",
        "net",
    ]


def test_reports_show_nothing_of_another_merchant_or_mode(
    engine: Engine, rail: ScriptedRail, merchant_a: Onboarded, merchant_b: Onboarded
) -> None:
    pay(merchant_a.sandbox, 10_000)
    day = ledger_day(engine)
    for outsider in (merchant_b.sandbox, merchant_a.live):
        rows = _rows(outsider.get(f"{STATEMENT}?from={day}&to={day}&currency=EUR"))
        assert [(row["type"], row["balance"]) for row in rows] == [
            ("opening_balance", "0.00"),
            ("closing_balance", "0.00"),
        ]
        assert _rows(outsider.get(f"{TAX}?from={day}&to={day}")) == []


def test_only_a_merchants_key_with_payments_read_gets_reports(
    client: TestClient, operator: Callable[..., Caller], session: Session, merchant_a: Onboarded
) -> None:
    day = "2026-01-05"
    paths = (f"{STATEMENT}?from={day}&to={day}&currency=EUR", f"{TAX}?from={day}&to={day}")
    # An operator's key has no merchant: even with payments:read (its own sandbox book) it is refused.
    scoped = operator("payments:read", "reconciliation:read")
    limited = add_api_key(session, "no payments", ["merchant:read"], Tenant(merchant_a.id, livemode=False))
    session.commit()
    for path in paths:
        assert scoped.get(path).json()["type"].endswith("not-a-merchant-key")
        assert Caller(client, limited.token).get(path).status_code == 403
        assert Caller(client, None).get(path).status_code == 401
        assert merchant_a.sandbox.get(path).status_code == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-02-30&to=2026-03-01&currency=EUR", "from"),
        ("from=20260101&to=2026-01-02&currency=EUR", "from"),
        ("from=2026-01-05&to=2026-01-04&currency=EUR", "to"),
        ("from=2024-01-01&to=2025-06-01&currency=EUR", "to"),
        ("from=2026-01-01&to=2026-01-02&currency=EURO", "currency"),
        ("from=2026-01-01&to=2026-01-02&currency=ABC", "currency"),
        ("to=2026-01-02&currency=EUR", "from"),
    ],
)
def test_bad_periods_and_currencies_are_422s_naming_the_field(
    merchant_a: Onboarded, query: str, field: str
) -> None:
    answer = merchant_a.sandbox.get(f"{STATEMENT}?{query}")
    assert answer.status_code == 422, answer.text
    assert [error["field"] for error in answer.json()["errors"]] == [field]


def test_a_period_ending_in_the_future_is_refused(merchant_a: Onboarded) -> None:
    future = datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=2)
    answer = merchant_a.sandbox.get(f"{TAX}?from=2026-01-01&to={future}")
    assert (answer.status_code, answer.json()["errors"][0]["field"]) == (422, "to")
