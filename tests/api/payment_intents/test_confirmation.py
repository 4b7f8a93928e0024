"""End to end over HTTP (SQLite and PostgreSQL): the customer's device signs the merchant's confirmation
(`api.payment_intents.confirmation`), and only a verified signature makes it the customer's known device.

The happy path: a signed device is new until one of its signed confirmations went ahead, then known; the same
id merely claimed by the checkout stays new, and the decision says it was unverified. The outsiders, each
refused with a problem naming the header (or field) while nothing moves: another customer's device, a
replayed signature, a stale timestamp, a forged signature, a body changed after signing, a revoked device,
a `risk.device_id` naming another device, device headers on an intent without a customer. And the confirm's
`risk.ip_address` of a signed confirm as a geography sighting of the customer (an unsigned one's is none),
whose failure never fails the payment.
"""

import json
import uuid
from dataclasses import dataclass
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


@dataclass
class Checkout:
    """The merchant's checkout with one customer: intents created, confirms forwarded with the customer's
    device signature, and the checks that a refused one moved nothing."""

    merchant: Onboarded
    customer: Customer
    rail: ScriptedRail

    @property
    def now(self) -> int:
        return self.customer.clock.now

    def device(self, owner: Customer | None = None) -> DeviceKeyPair:
        """A new P-256 device registered through `/v1/devices` by `owner` (default: this customer)."""
        return DeviceOwner((owner or self.customer).browser).register()

    def intent(self, for_customer: bool = True) -> str:
        """A new 10 EUR card intent, of this customer or of nobody in particular."""
        body = {"amount": SMALL, "currency": "EUR", "payment_method": "pm_ok"}
        if for_customer:
            body["customer"] = self.customer.subject
        created = self.merchant.sandbox.post(INTENTS, body)
        assert created.status_code == 201, created.text
        intent_id: str = created.json()["id"]
        return intent_id

    def confirm(
        self,
        pair: DeviceKeyPair,
        intent_id: str,
        body: dict[str, Any] | None = None,
        timestamp: int | None = None,
        sent: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """The merchant forwards the device-signed confirm: `body` as the device signed it at `timestamp`
        (now by default), or `sent` instead if given (a body changed after signing)."""
        target, signed = f"{INTENTS}/{intent_id}/confirm", body or {}
        stamp = self.now if timestamp is None else timestamp
        headers = {
            "Authorization": f"Bearer {self.merchant.sandbox.token}",
            "Idempotency-Key": str(uuid.uuid4()),
            "Content-Type": "application/json",
            **pair.signed_headers("POST", target, json.dumps(signed).encode(), stamp),
        }
        content = json.dumps(signed if sent is None else sent).encode()
        return self.merchant.sandbox.client.post(target, content=content, headers=headers)

    def refused(self, response: httpx.Response, intent_id: str, fields: list[str], reason: str) -> None:
        """`response` is a 401 `device-signature-refused` for `reason` (or, for reason "invalid", a 422)
        naming `fields`, and the intent did not move: no status change, no decision, the rail not asked."""
        if reason == "invalid":
            document = problem_of(response, 422, "validation-error")
        else:
            document = problem_of(response, 401, "device-signature-refused")
            assert document["reason"] == reason
        assert fields_of(document) == fields
        intent = self.merchant.sandbox.get(f"{INTENTS}/{intent_id}").json()
        assert (intent["status"], intent["risk_decision"]) == ("requires_confirmation", None)
        assert not self.rail.calls


def _decision(operators: OperatorFactory, intent: dict[str, Any]) -> dict[str, Any]:
    decision: dict[str, Any] = (
        operators("risk:read").get(f"/v1/risk/decisions/{intent['risk_decision']}").json()
    )
    return decision


def _device_facts(decision: dict[str, Any]) -> tuple[bool, bool, bool]:
    """(device_new, device_verified, whether the reasons say `device-unverified`)."""
    facts = decision["facts"]
    unverified = "device-unverified" in [reason["rule"] for reason in decision["reasons"]]
    return facts["device_new"], facts["device_verified"], unverified


@pytest.fixture
def customer(new_customer: CustomerFactory) -> Customer:  # noqa: F811
    """A signed-in customer with the full KYC tier."""
    made = new_customer()
    made.set_tier(Tier.FULL)
    return made


@pytest.fixture
def checkout(merchant: Onboarded, customer: Customer, rail: ScriptedRail) -> Checkout:  # noqa: F811
    return Checkout(merchant, customer, rail)


def test_a_signed_device_is_new_until_it_went_ahead_then_known_and_a_claim_never_is(
    checkout: Checkout,
    operator: OperatorFactory,  # noqa: F811
) -> None:
    shop, customer = checkout.merchant, checkout.customer
    assert pay(shop, customer, SMALL)["status"] == "succeeded", "no device: the payee becomes known"
    pair = checkout.device()
    first = checkout.confirm(pair, checkout.intent())
    assert (first.status_code, first.json()["status"]) == (200, "succeeded"), first.text
    decision = _decision(operator, first.json())
    assert decision["facts"]["device_id"] == pair.device_id
    assert _device_facts(decision) == (True, True, False), "proven, but never went ahead before: new"

    second = checkout.confirm(pair, checkout.intent())
    assert second.json()["status"] == "succeeded"
    assert _device_facts(_decision(operator, second.json())) == (False, True, False), "known now"

    claimed = pay(shop, customer, SMALL, risk={"device_id": pair.device_id})
    assert _device_facts(_decision(operator, claimed)) == (True, False, True), "a claim: new, and said so"


def test_a_claimed_device_that_went_ahead_still_does_not_become_known(
    checkout: Checkout,
    operator: OperatorFactory,  # noqa: F811
) -> None:
    shop, customer = checkout.merchant, checkout.customer
    held = pay(shop, customer, SMALL, risk={"device_id": "dev_claimed"})
    assert held["next_action"]["type"] == "risk_review", "a new (claimed) device paying a new payee"
    reviewer, case = operator("cases:review"), held["next_action"]["case"]
    assert reviewer.post(f"/v1/cases/{case}/claim").status_code == 200
    assert reviewer.post(f"/v1/cases/{case}/approve", {"note": "called the customer"}).status_code == 200
    again = pay(shop, customer, SMALL, risk={"device_id": "dev_claimed"})
    assert again["status"] == "succeeded", "the payee is known now"
    assert _device_facts(_decision(operator, again)) == (True, False, True), "a claim never becomes known"


def test_another_customers_device_is_refused(checkout: Checkout, new_customer: CustomerFactory) -> None:  # noqa: F811
    someone_elses, intent_id = checkout.device(new_customer()), checkout.intent()
    checkout.refused(
        checkout.confirm(someone_elses, intent_id), intent_id, [DEVICE_ID_HEADER], "unknown-device"
    )


def test_a_replayed_signature_is_refused_and_the_same_key_only_replays_the_answer(checkout: Checkout) -> None:
    first = checkout.confirm(checkout.device(), checkout.intent())
    assert first.status_code == 200, first.text
    calls, copy = len(checkout.rail.calls), first.request
    http = checkout.merchant.sandbox.client
    replayed = http.post(copy.url.path, content=copy.content, headers=dict(copy.headers))
    assert replayed.status_code == 200, "the same Idempotency-Key replays the stored answer"
    assert replayed.headers["idempotent-replayed"] == "true"
    checkout.customer.clock.now += (
        60  # within the tolerance: the nonce is remembered as long as it could pass
    )
    headers = dict(copy.headers) | {"idempotency-key": str(uuid.uuid4())}
    document = problem_of(
        http.post(copy.url.path, content=copy.content, headers=headers), 401, "device-signature-refused"
    )
    assert (document["reason"], fields_of(document)) == ("replayed", [NONCE_HEADER])
    assert len(checkout.rail.calls) == calls, "the rail was not asked again"


def test_a_stale_timestamp_is_refused(checkout: Checkout) -> None:
    pair, intent_id = checkout.device(), checkout.intent()
    response = checkout.confirm(pair, intent_id, timestamp=checkout.now - TOLERANCE - 1)
    checkout.refused(response, intent_id, [TIMESTAMP_HEADER], "stale")


def test_a_forged_signature_and_a_body_changed_after_signing_are_refused(checkout: Checkout) -> None:
    pair, forger, intent_id = checkout.device(), DeviceKeyPair("p256"), checkout.intent()
    forger.device_id = pair.device_id  # the right device's id, signed with a key that is not its own
    checkout.refused(checkout.confirm(forger, intent_id), intent_id, [SIGNATURE_HEADER], "bad-signature")
    signed, changed = {"risk": {"payment_method_country": "DE"}}, {"risk": {"payment_method_country": "US"}}
    response = checkout.confirm(pair, intent_id, signed, sent=changed)
    checkout.refused(response, intent_id, [SIGNATURE_HEADER], "bad-signature")


def test_a_revoked_device_is_refused(checkout: Checkout) -> None:
    pair, intent_id = checkout.device(), checkout.intent()
    assert DeviceOwner(checkout.customer.browser).delete(f"/{pair.device_id}").status_code == 200
    checkout.refused(checkout.confirm(pair, intent_id), intent_id, [DEVICE_ID_HEADER], "revoked")


def test_a_claimed_device_other_than_the_signer_and_a_signature_without_a_customer_are_invalid(
    checkout: Checkout,
) -> None:
    pair, intent_id = checkout.device(), checkout.intent()
    other = {"risk": {"device_id": "dev_000000000000000000000000"}}
    checkout.refused(checkout.confirm(pair, intent_id, other), intent_id, ["risk.device_id"], "invalid")
    anonymous = checkout.intent(for_customer=False)
    checkout.refused(checkout.confirm(pair, anonymous), anonymous, [DEVICE_ID_HEADER], "invalid")


def test_a_signed_confirms_ip_is_a_geography_sighting_of_the_customer(
    app: FastAPI,  # noqa: F811
    checkout: Checkout,
) -> None:
    customer, pair = checkout.customer, checkout.device()
    app.state.monitoring_clock = customer.clock
    first = checkout.confirm(pair, checkout.intent(), {"risk": {"ip_address": BERLIN}})
    assert first.status_code == 200, first.text
    with app.state.engine.connect() as connection:
        rows = connection.execute(select(sightings.c.subject_id, sightings.c.country)).all()
    assert rows == [(customer.subject, "DE")], "the country is remembered, never the address"

    customer.clock.now += 600
    second = checkout.confirm(pair, checkout.intent(), {"risk": {"ip_address": LAGOS}})
    assert second.status_code == 200, second.text  # the sighting refuses nothing
    with app.state.engine.connect() as connection:
        [alert] = connection.execute(select(alerts)).all()
        [case] = connection.execute(select(risk_cases).where(risk_cases.c.subject_kind == "customer")).all()
    assert (alert.check, alert.subject_kind, alert.subject_id) == ("geography", "customer", customer.subject)
    assert case.id == alert.case_id


def test_an_unsigned_confirms_ip_is_no_sighting(
    app: FastAPI,  # noqa: F811
    checkout: Checkout,
) -> None:
    """A sighting can freeze the customer's account: the merchant's word alone (an address in an unsigned
    confirm) must not be able to, so only a device-signed confirm's address is a sighting."""
    shop, customer = checkout.merchant, checkout.customer
    app.state.monitoring_clock = customer.clock
    assert pay(shop, customer, SMALL, risk={"ip_address": BERLIN})["status"] == "succeeded"
    customer.clock.now += 600
    pay(shop, customer, SMALL, risk={"ip_address": LAGOS})
    with app.state.engine.connect() as connection:
        assert connection.execute(select(sightings)).all() == []
        assert connection.execute(select(alerts)).all() == []


def test_a_failed_sighting_is_logged_never_a_failed_payment(
    app: FastAPI,  # noqa: F811
    checkout: Checkout,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("monitoring database away")

    monkeypatch.setattr(app.state.monitor, "sighting", broken)
    answer = checkout.confirm(checkout.device(), checkout.intent(), {"risk": {"ip_address": BERLIN}})
    assert answer.status_code == 200, answer.text  # the new device's step-up: the payment goes on
    assert answer.json()["status"] == "requires_action"
    assert "monitoring sighting of customer" in caplog.text
