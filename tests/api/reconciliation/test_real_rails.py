"""A day reconciled against the real counterparts, on SQLite and PostgreSQL: the sandbox bank and the sandbox
card processor as their own processes, the API served on a loopback port (their webhooks reach it over the
network) with both rails and their reconciliation configured from the same settings.

Paid by bank and by card, one bank payment returned by the customer's bank, one refund on each rail: the
bank's camt.053 and the processor's settlement file agree with the ledger line by line, no break. Then our
books gain a bank payment the bank never moved (posted through a rail that is not the bank): the next run
of the day lists exactly that one break. The daily job's command line, on the same settings, agrees.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from api.reconciliation.__main__ import main
from api.settings import ApiSettings
from payments.intents import intents
from payments.intents.context import Payments
from payments.intents.model import RailKind
from payments.merchants.tenant import Tenant
from payments.reconciliation.days import today
from tests.api.card.conftest import (  # noqa: F401  (fixtures)
    INTENTS,
    Caller,
    Merchant,
    api_port,
    new_caller,
    onboard,
    processor,
    served,
)
from tests.api.rails.test_bank import FUNDED, RETURNING
from tests.helpers.card_processor import CardProcessor
from tests.helpers.db import database_url, engine_on  # noqa: F401  (fixtures)
from tests.helpers.sandbox_bank import BankProcess, running_bank
from tests.payments.intents.conftest import ScriptedRail


@pytest.fixture
def bank(tmp_path: Path, api_port: int) -> Iterator[BankProcess]:  # noqa: F811
    with running_bank(tmp_path / "bank", f"http://127.0.0.1:{api_port}/v1/rails/bank/events") as bank:
        yield bank


@pytest.fixture
def api_settings(
    api_settings: ApiSettings,
    processor: CardProcessor,  # noqa: F811
    bank: BankProcess,
    database_url: str,  # noqa: F811
) -> ApiSettings:
    """Both rails, and both reconciled: nothing but the rails' names is added for reconciliation."""
    return api_settings.model_copy(
        update={
            **processor.api_settings,
            **bank.api_settings,
            "rate_limit_enabled": False,
            "reconciliation_rails": [RailKind.BANK, RailKind.CARD],
        }
    )


def _bank_payment(merchant: Caller, iban: str, amount: str) -> dict[str, Any]:
    body = {"amount": amount, "currency": "EUR", "rail": "bank", "payment_method": iban}
    created = merchant.post(INTENTS, body)
    assert created.status_code == 201, created.text
    assert merchant.confirm(created.json()["id"])["status"] == "processing"
    return merchant.wait_for(created.json()["id"], lambda intent: intent["status"] != "processing")


def _refund(merchant: Caller, intent_id: str, amount: str) -> dict[str, Any]:
    refund = merchant.post("/v1/refunds", {"payment_intent": intent_id, "amount": amount})
    assert refund.status_code == 201, refund.text
    for _ in range(300):
        found: dict[str, Any] = merchant.get(f"/v1/refunds/{refund.json()['id']}").json()
        if found["status"] != "pending":
            return found
        merchant.wait_for(intent_id, lambda _: False, timeout=0.05)
    raise AssertionError(f"refund {refund.json()['id']} is still pending")


def _reconciled(desk: Caller) -> dict[str, Any]:
    run = desk.post(f"/v1/reconciliation/{today()}/runs")
    assert run.status_code == 201, run.text
    body: dict[str, Any] = run.json()
    return body


def _forged_bank_payment(api_settings: ApiSettings, merchant: Merchant) -> str:
    """A bank payment in our books that the bank never moved: posted through a rail answering for the bank
    that is not the bank (a wrong notification applied would leave the same trace)."""
    with engine_on(api_settings.database_url) as engine:
        assert isinstance(engine, Engine)
        books = Payments(engine, {RailKind.BANK: ScriptedRail(kind=RailKind.BANK)})
        tenant = Tenant(merchant.id, livemode=False)
        intent = intents.create(
            books, tenant, amount=777, currency="EUR", rail=RailKind.BANK, payment_method="pm_ok"
        )
        assert intents.confirm(books, tenant, intent.id).status == "succeeded"
        return intent.id


def test_a_day_on_the_real_bank_and_processor_reconciles_without_break_until_the_books_differ(
    onboard: Any,  # noqa: F811
    new_caller: Any,  # noqa: F811
    api_settings: ApiSettings,
) -> None:
    merchant = onboard("Reconciled Shop")
    shop = merchant.sandbox
    desk = new_caller("reconciliation:read", "reconciliation:write")

    by_bank = _bank_payment(shop, FUNDED, "12345")
    assert by_bank["status"] == "succeeded"
    bounced = _bank_payment(shop, RETURNING, "3000")
    assert bounced["status"] == "failed"  # settled, then returned by the customer's bank
    method = shop.payment_method("success")
    by_card = shop.confirm(shop.intent(method["id"], "10000")["id"])
    assert by_card["status"] == "succeeded"
    assert _refund(shop, by_bank["id"], "2345")["status"] == "succeeded"
    card_refund = _refund(shop, by_card["id"], "2500")
    assert card_refund["status"] == "succeeded"

    clean = _reconciled(desk)
    assert (clean["status"], clean["break_count"], clean["breaks"]["data"]) == ("complete", 0, [])
    rails = {rail["rail"]: rail for rail in clean["rails"]}
    for name in ("bank", "card"):  # a payment and a refund on each side of each rail
        assert (rails[name]["state"], rails[name]["ledger_lines"], rails[name]["rail_lines"]) == (
            "reconciled",
            2,
            2,
        )

    # The daily job on the same settings reads the same counterparts and agrees (its run is the day's next).
    assert main(["run", "--date", today().isoformat()], api_settings) == 0

    forged = _forged_bank_payment(api_settings, merchant)
    found = _reconciled(desk)
    assert (found["run"], found["status"], found["break_count"]) == (clean["run"] + 2, "complete", 1)
    [only] = found["breaks"]["data"]
    assert (only["kind"], only["rail"], only["line_kind"], only["reference"]) == (
        "missing_at_rail",
        "bank",
        "payment",
        forged,
    )
    assert (only["ledger"]["amount"], only["rail_line"]) == ("777", None)
    # The run found first is kept as it was.
    assert desk.get(f"/v1/reconciliation/{today()}?run={clean['run']}").json()["break_count"] == 0
