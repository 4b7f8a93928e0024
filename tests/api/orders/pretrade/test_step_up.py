"""A derivative market's large position change through `/v1/orders`: the spot market set up as a
derivative in the test's limits file. Up to the threshold the order goes through; above it the risk engine
is asked and the order is refused (428) with a challenge, nothing held; once the challenge is confirmed
(`risk.pretrade.stepup.confirm`, what a verified factor calls) the same order carrying it goes through,
once. The decision is stored and audited like the payment intents'."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from api.orders.runtime import trader_of
from payments.merchants.tenant import Tenant
from risk.audit import records
from risk.decisions import page_decisions
from risk.pretrade.stepup import confirm
from tests.api.merchants.conftest import Onboarded
from tests.api.orders.pretrade.conftest import LIMITS, ORDERS, T0, Holdings, order


@pytest.fixture
def limits() -> str:
    # 10 tUSD: four lots at 2.50 are exactly the threshold
    step_up = "    derivative: true\n    step_up_notional: 10_000_000\n"
    return LIMITS + step_up + '  "TPW-*-*-[CP]":\n' + step_up  # and every option series, by pattern


def test_a_large_derivative_change_steps_up_and_its_confirmed_challenge_is_spent_once(
    app: FastAPI,
    traders: tuple[Onboarded, Onboarded],
    holdings: Holdings,
    ledger: Engine,
    at: Callable[[int], None],
) -> None:
    a, _ = traders
    at(T0)
    assert a.sandbox.post(ORDERS, order("buy", "2.50", "4")).status_code == 201  # at the threshold
    before = holdings(a)
    asked = a.sandbox.post(ORDERS, order("buy", "2.50", "5"))
    assert asked.status_code == 428, asked.text
    body: dict[str, Any] = asked.json()
    assert body["type"] == "urn:tpwallet:problem:step-up-required"
    assert (body["limit"], body["value"], body["unit"]) == ("10000000", "12500000", "quote_minor_units")
    assert body["errors"][0]["field"] == "qty"
    assert body["factors"] == ["passkey", "totp"]
    assert holdings(a) == before  # nothing held
    trader = trader_of(Tenant(a.id, False))
    with ledger.connect() as connection:
        decisions = page_decisions(
            connection, subject_id=f"trader:{trader}", reference=None, after=None, limit=5
        )
    assert [(d.kind, d.outcome, d.facts["amount"]) for d in decisions] == [
        ("derivative_order", "step_up", 12_500_000)
    ]
    assert [reason["rule"] for reason in decisions[0].reasons] == ["large-derivative-change"]
    unconfirmed = a.sandbox.post(ORDERS, order("buy", "2.50", "5", step_up=body["challenge"]))
    assert unconfirmed.status_code == 428
    assert confirm(ledger, body["challenge"], trader, T0)
    other = a.sandbox.post(ORDERS, order("buy", "2.50", "6", step_up=body["challenge"]))
    assert other.status_code == 428  # the challenge is this order's, not any order's
    placed = a.sandbox.post(ORDERS, order("buy", "2.50", "5", step_up=body["challenge"]))
    assert placed.status_code == 201, placed.text
    again = a.sandbox.post(ORDERS, order("buy", "2.50", "5", step_up=body["challenge"]))
    assert again.status_code == 428  # spent
    malformed = a.sandbox.post(ORDERS, order("buy", "2.50", "5", step_up="nope"))
    assert (malformed.status_code, malformed.json()["errors"][0]["field"]) == (422, "step_up")


def test_the_risk_desk_approves_a_challenge_once_and_outsiders_cannot(
    app: FastAPI,
    operator: Any,
    traders: tuple[Onboarded, Onboarded],
    ledger: Engine,
    at: Callable[[int], None],
) -> None:
    """`POST /v1/risk/step-ups/{challenge}/approve` (risk:admin) confirms the challenge with an audit
    record; the order then goes through once. No key, a merchant's key (its own challenge included) and a
    reader's key are refused; an unknown, malformed or already approved challenge changes nothing."""
    a, _ = traders
    at(T0)
    asked = a.sandbox.post(ORDERS, order("buy", "2.50", "5"))
    challenge = asked.json()["challenge"]
    path = f"/v1/risk/step-ups/{challenge}/approve"
    body = {"reason": "hedge agreed with the desk"}
    anonymous = type(a.sandbox)(a.sandbox.client, None)
    assert anonymous.post(path, body).status_code == 401
    assert a.sandbox.post(path, body).status_code == 403  # a merchant cannot approve its own
    assert operator("risk:read").post(path, body).status_code == 403
    desk = operator("risk:admin")
    assert desk.post(path, {}).json()["errors"][0]["field"] == "reason"
    assert desk.post("/v1/risk/step-ups/psu_nope/approve", body).status_code == 422
    assert desk.post(f"/v1/risk/step-ups/psu_{'0' * 24}/approve", body).status_code == 404
    assert a.sandbox.post(ORDERS, order("buy", "2.50", "5", step_up=challenge)).status_code == 428
    approved = desk.post(path, body, idempotency_key="approve-1")
    assert approved.status_code == 200, approved.text
    assert desk.post(path, body, idempotency_key="approve-1").json() == approved.json()  # a retry
    assert (approved.json()["status"], approved.json()["lots"], approved.json()["side"]) == (
        "confirmed",
        5,
        "buy",
    )
    assert desk.post(path, body, idempotency_key="approve-2").status_code == 404  # approved already
    with ledger.connect() as connection:
        audited = [r for r in records(connection) if r.action == "risk.step_up.approved"]
    assert [(r.details["challenge"], r.details["reason"]) for r in audited] == [(challenge, body["reason"])]
    assert a.sandbox.post(ORDERS, order("buy", "2.50", "5", step_up=challenge)).status_code == 201
    assert a.sandbox.post(ORDERS, order("buy", "2.50", "5", step_up=challenge)).status_code == 428


def test_an_option_position_is_measured_by_its_underlying(
    app: FastAPI, traders: tuple[Onboarded, Onboarded], at: Callable[[int], None]
) -> None:
    """Five calls at 0.30 cost 1.50 tUSD of premium but are written on 5 TPW, 12 tUSD at the 2.40 index:
    past the 10 tUSD threshold, so the sell steps up; four (9.60 tUSD) do not."""
    a, b = traders
    at(T0)
    assert a.sandbox.post(ORDERS, order("sell", "2.40", "1")).status_code == 201
    assert b.sandbox.post(ORDERS, order("buy", "2.40", "1", time_in_force="ioc")).status_code == 201
    call = {"market": "TPW-20270326-2.5-C", "side": "sell", "price": "0.30"}
    asked = b.sandbox.post(ORDERS, {**call, "qty": "5"})
    assert asked.status_code == 428, asked.text
    assert (asked.json()["limit"], asked.json()["value"]) == ("10000000", "12000000")
    assert b.sandbox.post(ORDERS, {**call, "qty": "4"}).status_code == 201
