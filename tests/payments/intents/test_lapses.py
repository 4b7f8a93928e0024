"""Authorizations left uncaptured lapse: canceled `automatic` once each, however many processes expire at
once, their holds voided and the cancellation announced; the command line does it for cron."""

import json
import threading

import pytest
from sqlalchemy import Engine, select, update

from ledger.ids import NS_PER_SECOND
from payments.intents import intents
from payments.intents.__main__ import main
from payments.intents.context import Payments
from payments.intents.model import CaptureMethod, RailKind
from payments.intents.schema import payment_intents
from payments.merchants.tenant import Tenant
from payments.webhooks.schema import events
from tests.helpers.threads import run_concurrently
from tests.payments.intents.conftest import OTHER, TENANT, assert_ledger_clean, pending

DAY = 24 * 3600 * NS_PER_SECOND


def _authorized_days_ago(pay: Payments, engine: Engine, days: int, tenant: Tenant = TENANT) -> str:
    created = intents.create(
        pay,
        tenant,
        amount=10_000,
        currency="EUR",
        rail=RailKind.CARD,
        capture_method=CaptureMethod.MANUAL,
        payment_method="pm_ok",
    )
    intent = intents.confirm(pay, tenant, created.id)
    with engine.begin() as connection:
        connection.execute(
            update(payment_intents)
            .where(payment_intents.c.id == intent.id)
            .values(updated_at=payment_intents.c.updated_at - days * DAY)
        )
    return intent.id


def _canceled_events(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        bodies = connection.scalars(select(events.c.body).where(events.c.type == "payment_intent.canceled"))
        return sorted(json.loads(body)["data"]["object"]["id"] for body in bodies)


def test_concurrent_expiries_cancel_each_lapsed_authorization_once(pay: Payments, engine: Engine) -> None:
    lapsed = sorted(_authorized_days_ago(pay, engine, 8) for _ in range(4))
    recent = _authorized_days_ago(pay, engine, 1)
    done: list[list[str]] = []
    lock = threading.Lock()

    def expire() -> None:
        canceled = intents.expire_uncaptured(pay, None, pay.clock() - 7 * DAY)
        with lock:
            done.append(canceled)

    run_concurrently(expire, 3)
    assert sorted(intent_id for canceled in done for intent_id in canceled) == lapsed
    assert _canceled_events(engine) == lapsed
    assert intents.retrieve(pay, TENANT, recent).status == "requires_capture"
    assert pending(engine) == 10_000
    assert_ledger_clean(engine)


def test_a_tenants_expiry_leaves_the_others(pay: Payments, engine: Engine) -> None:
    mine, theirs = _authorized_days_ago(pay, engine, 8), _authorized_days_ago(pay, engine, 8, OTHER)
    assert intents.expire_uncaptured(pay, OTHER, pay.clock() - 7 * DAY) == [theirs]
    assert intents.retrieve(pay, TENANT, mine).status == "requires_capture"


def test_the_command_line_expires_with_its_lapse(
    pay: Payments, engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    old, young = _authorized_days_ago(pay, engine, 3), _authorized_days_ago(pay, engine, 1)
    assert main(["expire-uncaptured", "--database-url", database_url]) == 0  # the default: 7 days
    assert (
        main(["expire-uncaptured", "--database-url", database_url, "--older-than-seconds", str(2 * 86400)])
        == 0
    )
    assert (
        capsys.readouterr().out == "canceled 0 lapsed authorization(s)\ncanceled 1 lapsed authorization(s)\n"
    )
    lapsed = intents.retrieve(pay, TENANT, old)
    assert (lapsed.status, lapsed.cancellation_reason) == ("canceled", "automatic")
    assert intents.retrieve(pay, TENANT, young).status == "requires_capture"
    assert_ledger_clean(engine)
