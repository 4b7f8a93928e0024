"""End to end over HTTP (SQLite and PostgreSQL): the customer's device signs the merchant's confirmation
(`api.payment_intents.confirmation`), and only a verified signature makes it the customer's known device.

The happy path: a signed device is new until one of its signed confirmations went ahead, then known; the same
id merely claimed by the checkout stays new, and the decision says it was unverified. The outsiders, each
refused with a problem naming the header (or field) while nothing moves: another customer's device, a
replayed signature, a stale timestamp, a forged signature, a body changed after signing, a revoked device,
a `risk.device_id` naming another device, device headers on an intent without a customer. And the confirm's
`risk.ip_address` as a geography sighting of the customer, whose failure never fails the payment.
"""

import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from risk.cases.schema import risk_cases
from risk.devices.canonical import DEVICE_ID_HEADER, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from risk.kyc.tiers import Tier
from risk.monitoring.schema import alerts, sightings
from tests.api.devices.conftest import Customer as DeviceOwner
from tests.api.merchants.conftest import Onboarded
from tests.api.risk.conftest import (  # noqa: F401  (fixtures)
    INTENTS,
    Customer,
    CustomerFactory,
    OperatorFactory,
    app,
    client,
    clock,
    identity_settings,
    merchant,
    new_customer,
    operator,
    pay,
    rail,
    settings,
)
from tests.helpers.device_keys import DeviceKeyPair
from tests.helpers.problems import fields_of, problem_of
from tests.payments.intents.conftest import ScriptedRail

SMALL = "1000"  # 10 EUR: low-value exempt from SCA, so a known payee and device go ahead at once
TOLERANCE = 120  # the default TPW_DEVICE_SIGNATURE_TOLERANCE_SECONDS
BERLIN, LAGOS = "192.0.2.10", "203.0.113.7"  # DE and NG in the shipped config/risk/ip_countries.csv


def _created(shop: Onboarded, customer: Customer | None) -> str:
    """A new 10 EUR card intent of `shop`, for `customer` (None: for nobody in particular)."""
    body = {"amount": SMALL, "currency": "EUR", "payment_method": "pm_ok"}
    if customer is not None:
        body["customer"] = customer.subject
    created = shop.sandbox.post(INTENTS, body)
    assert created.status_code == 201, created.text
    intent_id: str = created.json()["id"]
    return intent_id


def signed_confirm(
    shop: Onboarded,
    pair: DeviceKeyPair,
    intent_id: str,
    body: dict[str, Any],
    timestamp: int,
    *,
    sent: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> httpx.Response:
    """The merchant forwards the customer's device-signed confirmation: `body` as the device signed it
    (`sent` instead, if given: a body changed after signing), with the device's headers."""
    target = f"{INTENTS}/{intent_id}/confirm"
    device_headers = pair.signed_headers("POST", target, json.dumps(body).encode(), timestamp)
    headers = {
        "Authorization": f"Bearer {shop.sandbox.token}",
        "Idempotency-Key": idempotency_key or str(uuid.uuid4()),
        "Content-Type": "application/json",
        **device_headers,
    }
    content = json.dumps(body if sent is None else sent).encode()
    return shop.sandbox.client.post(target, content=content, headers=headers)


def _device_of(customer: Customer) -> DeviceKeyPair:
    """A new P-256 device registered by `customer` through `/v1/devices`."""
    return DeviceOwner(customer.browser).register()


def _decision(operators: OperatorFactory, intent: dict[str, Any]) -> dict[str, Any]:
    decision: dict[str, Any] = (
        operators("risk:read").get(f"/v1/risk/decisions/{intent['risk_decision']}").json()
    )
    return decision


def _rules(decision: dict[str, Any]) -> list[str]:
    return [reason["rule"] for reason in decision["reasons"]]


@pytest.fixture
def customer(new_customer: CustomerFactory) -> Customer:  # noqa: F811
    """A signed-in customer with the full KYC tier."""
    made = new_customer()
    made.set_tier(Tier.FULL)
    return made


@pytest.fixture
def paid_before(merchant: Onboarded, customer: Customer) -> None:  # noqa: F811
    """The customer paid the merchant once already, naming no device: the merchant is a known payee."""
    assert pay(merchant, customer, SMALL)["status"] == "succeeded"


@pytest.mark.usefixtures("paid_before")
def test_a_signed_device_is_new_until_it_went_ahead_then_known_and_a_claim_never_is(
    merchant: Onboarded,  # noqa: F811
    customer: Customer,
    operator: OperatorFactory,  # noqa: F811
) -> None:
    pair = _device_of(customer)
    first = signed_confirm(merchant, pair, _created(merchant, customer), {}, customer.clock.now)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "succeeded"
    decision = _decision(operator, first.json())
    assert (decision["facts"]["device_id"], decision["facts"]["device_verified"]) == (pair.device_id, True)
    assert decision["facts"]["device_new"] is True, "never went ahead before: new, though proven"
    assert "device-unverified" not in _rules(decision)

    second = signed_confirm(merchant, pair, _created(merchant, customer), {}, customer.clock.now)
    assert second.json()["status"] == "succeeded"
    decision = _decision(operator, second.json())
    assert (decision["facts"]["device_new"], decision["facts"]["device_verified"]) == (False, True)

    claimed = pay(merchant, customer, SMALL, risk={"device_id": pair.device_id})
    decision = _decision(operator, claimed)
    assert (decision["facts"]["device_new"], decision["facts"]["device_verified"]) == (True, False)
    assert "device-unverified" in _rules(decision), "the decision says the device was only claimed"


def test_a_claimed_device_that_went_ahead_still_does_not_become_known(
    merchant: Onboarded,  # noqa: F811
    customer: Customer,
    operator: OperatorFactory,  # noqa: F811
) -> None:
    held = pay(merchant, customer, SMALL, risk={"device_id": "dev_claimed"})
    assert held["next_action"]["type"] == "risk_review", "a new (claimed) device paying a new payee"
    reviewer = operator("cases:review")
    case = held["next_action"]["case"]
    assert reviewer.post(f"/v1/cases/{case}/claim").status_code == 200
    assert reviewer.post(f"/v1/cases/{case}/approve", {"note": "called the customer"}).status_code == 200
    again = pay(merchant, customer, SMALL, risk={"device_id": "dev_claimed"})
    assert again["status"] == "succeeded", "the payee is known now"
    assert _decision(operator, again)["facts"]["device_new"] is True, "a claim never becomes known"


def _unmoved(shop: Onboarded, intent_id: str, scripted: ScriptedRail) -> None:
    """The refused confirmation moved nothing: no status change, no decision, the rail not asked."""
    intent = shop.sandbox.get(f"{INTENTS}/{intent_id}").json()
    assert (intent["status"], intent["risk_decision"]) == ("requires_confirmation", None)
    assert not scripted.calls


def _refused(response: httpx.Response, reason: str, header: str) -> None:
    document = problem_of(response, 401, "device-signature-refused")
    assert (document["reason"], fields_of(document)) == (reason, [header])


def test_another_customers_device_is_refused(
    merchant: Onboarded,  # noqa: F811
    customer: Customer,
    new_customer: CustomerFactory,  # noqa: F811
    rail: ScriptedRail,  # noqa: F811
) -> None:
    someone_else = _device_of(new_customer())
    intent_id = _created(merchant, customer)
    response = signed_confirm(merchant, someone_else, intent_id, {}, customer.clock.now)
    _refused(response, "unknown-device", DEVICE_ID_HEADER)
    _unmoved(merchant, intent_id, rail)


def test_a_replayed_signature_is_refused_and_the_same_key_only_replays_the_answer(
    merchant: Onboarded,  # noqa: F811
    customer: Customer,
    rail: ScriptedRail,  # noqa: F811
) -> None:
    pair = _device_of(customer)
    intent_id = _created(merchant, customer)
    first = signed_confirm(merchant, pair, intent_id, {}, customer.clock.now)
    assert first.status_code == 200, first.text
    calls = len(rail.calls)
    copy = first.request
    replayed = merchant.sandbox.client.post(copy.url.path, content=copy.content, headers=dict(copy.headers))
    assert replayed.status_code == 200, "the same Idempotency-Key replays the stored answer"
    assert replayed.headers["idempotent-replayed"] == "true"
    headers = dict(copy.headers) | {"idempotency-key": str(uuid.uuid4())}
    customer.clock.now += 60  # still within the tolerance: the nonce is remembered as long as it could pass
    replayed = merchant.sandbox.client.post(copy.url.path, content=copy.content, headers=headers)
    _refused(replayed, "replayed", NONCE_HEADER)
    assert len(rail.calls) == calls, "the rail was not asked again"


def test_a_stale_timestamp_is_refused(
    merchant: Onboarded,  # noqa: F811
    customer: Customer,
    rail: ScriptedRail,  # noqa: F811
) -> None:
    pair = _device_of(customer)
    intent_id = _created(merchant, customer)
    response = signed_confirm(merchant, pair, intent_id, {}, customer.clock.now - TOLERANCE - 1)
    _refused(response, "stale", TIMESTAMP_HEADER)
    _unmoved(merchant, intent_id, rail)


def test_a_forged_signature_and_a_body_changed_after_signing_are_refused(
    merchant: Onboarded,  # noqa: F811
    customer: Customer,
    rail: ScriptedRail,  # noqa: F811
) -> None:
    pair = _device_of(customer)
    forger = DeviceKeyPair("p256")
    forger.device_id = pair.device_id  # the right device's id, signed with a key that is not its own
    intent_id = _created(merchant, customer)
    _refused(
        signed_confirm(merchant, forger, intent_id, {}, customer.clock.now), "bad-signature", SIGNATURE_HEADER
    )
    signed = {"risk": {"payment_method_country": "DE"}}
    changed = {"risk": {"payment_method_country": "US"}}
    response = signed_confirm(merchant, pair, intent_id, signed, customer.clock.now, sent=changed)
    _refused(response, "bad-signature", SIGNATURE_HEADER)
    _unmoved(merchant, intent_id, rail)


def test_a_revoked_device_is_refused(
    merchant: Onboarded,  # noqa: F811
    customer: Customer,
    rail: ScriptedRail,  # noqa: F811
) -> None:
    pair = _device_of(customer)
    assert DeviceOwner(customer.browser).delete(f"/{pair.device_id}").status_code == 200
    intent_id = _created(merchant, customer)
    _refused(signed_confirm(merchant, pair, intent_id, {}, customer.clock.now), "revoked", DEVICE_ID_HEADER)
    _unmoved(merchant, intent_id, rail)


def test_a_claimed_device_other_than_the_signer_and_a_signature_without_a_customer_are_invalid(
    merchant: Onboarded,  # noqa: F811
    customer: Customer,
    rail: ScriptedRail,  # noqa: F811
) -> None:
    pair = _device_of(customer)
    intent_id = _created(merchant, customer)
    body = {"risk": {"device_id": "dev_000000000000000000000000"}}
    document = problem_of(
        signed_confirm(merchant, pair, intent_id, body, customer.clock.now), 422, "validation-error"
    )
    assert fields_of(document) == ["risk.device_id"]
    _unmoved(merchant, intent_id, rail)

    anonymous = _created(merchant, None)
    document = problem_of(
        signed_confirm(merchant, pair, anonymous, {}, customer.clock.now), 422, "validation-error"
    )
    assert fields_of(document) == [DEVICE_ID_HEADER]
    _unmoved(merchant, anonymous, rail)


def test_the_confirms_ip_is_a_geography_sighting_of_the_customer(
    app: FastAPI,  # noqa: F811
    merchant: Onboarded,  # noqa: F811
    customer: Customer,
) -> None:
    app.state.monitoring_clock = customer.clock
    assert pay(merchant, customer, SMALL, risk={"ip_address": BERLIN})["status"] == "succeeded"
    with app.state.engine.connect() as connection:
        rows = connection.execute(select(sightings.c.subject_id, sightings.c.country)).all()
    assert rows == [(customer.subject, "DE")], "the country is remembered, never the address"

    customer.clock.now += 600
    second = pay(merchant, customer, SMALL, risk={"ip_address": LAGOS})  # answered 200 (`pay` checks)
    # the engine's own answer to an IP outside the customer's country; the sighting refuses nothing
    assert second["status"] == "requires_action"
    with app.state.engine.connect() as connection:
        [alert] = connection.execute(select(alerts)).all()
        [case] = connection.execute(select(risk_cases).where(risk_cases.c.subject_kind == "customer")).all()
    assert (alert.check, alert.subject_kind, alert.subject_id) == ("geography", "customer", customer.subject)
    assert case.id == alert.case_id


def test_a_failed_sighting_is_logged_never_a_failed_payment(
    app: FastAPI,  # noqa: F811
    merchant: Onboarded,  # noqa: F811
    customer: Customer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("monitoring database away")

    monkeypatch.setattr(app.state.monitor, "sighting", broken)
    assert pay(merchant, customer, SMALL, risk={"ip_address": BERLIN})["status"] == "succeeded"
    assert "monitoring sighting of customer" in caplog.text
