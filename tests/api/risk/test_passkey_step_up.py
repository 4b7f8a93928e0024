"""End to end over HTTP (SQLite and PostgreSQL): a passkey as a payment's step-up, bound to the payment.

A customer with a passkey is asked for it first; the options' challenge is bound to the intent, amount,
currency and payee (PSD2 RTS art. 5), and the assertion over it resumes the payment. And the outsiders,
each refused with a 4xx problem naming the field while nothing moves (the intent waits, the rail is not
asked): another customer's session, an assertion for another intent's challenge, a payment whose amount
changed, a replayed challenge, another origin or RP id, an expired challenge, another customer's passkey,
a sign counter that went back. Without a relying party the fallback is offered, never a pass.
"""

from dataclasses import replace
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from payments.intents.guard.hold import preferred_order
from payments.intents.schema import payment_intents
from risk.factors.model import Factor, FactorStatus
from risk.kyc.tiers import Tier
from tests.api.identity.conftest import ORIGIN, RP_ID
from tests.api.merchants.conftest import Onboarded
from tests.api.risk.conftest import INTENTS, Customer, CustomerFactory, pay
from tests.helpers.soft_authenticator import SoftAuthenticator, b64url
from tests.payments.intents.conftest import ScriptedRail

HIGH_VALUE = "250000"  # 2,500 EUR: the shipped `high-amount` rule steps it up, asking [passkey, totp]
CHALLENGE_SECONDS = 300


def _customer(new_customer: CustomerFactory) -> tuple[Customer, SoftAuthenticator]:
    customer = new_customer()
    customer.set_tier(Tier.FULL)
    customer.set_password("blue-otter-42")
    return customer, customer.register_passkey()


def _options(customer: Customer, intent_id: str) -> dict[str, Any]:
    options = customer.passkey_options(intent_id)
    assert options.status_code == 200, options.text
    result: dict[str, Any] = options.json()
    return result


def _answer(
    customer: Customer,
    intent_id: str,
    ceremony: dict[str, Any],
    authenticator: SoftAuthenticator,
    *,
    origin: str = ORIGIN,
    rp_id: str = RP_ID,
    advance: int = 1,
) -> httpx.Response:
    credential = authenticator.get_assertion(ceremony["options"], origin=origin, rp_id=rp_id, advance=advance)
    body = {"factor": "passkey", "ceremony_id": ceremony["ceremony_id"], "credential": credential}
    return customer.verify(intent_id, body)


def _refused(response: httpx.Response, field: str) -> None:
    assert 400 <= response.status_code < 500, response.text
    problem = response.json()
    assert problem["type"].startswith("urn:tpwallet:problem:")
    assert [error["field"] for error in problem.get("errors", [])] == [field], problem


def _still_held(merchant: Onboarded, intent_id: str, rail: ScriptedRail, *, calls: int = 0) -> None:
    intent = merchant.sandbox.get(f"{INTENTS}/{intent_id}").json()
    assert (intent["status"], intent["next_action"]["type"]) == ("requires_action", "verify_factor")
    assert "verified" not in intent["next_action"] or intent["next_action"]["verified"] is None
    assert len(rail.calls) == calls, "nothing (more) reached the rail"


def test_a_passkey_is_preferred_and_its_assertion_over_the_payment_resumes_it(
    merchant: Onboarded, new_customer: CustomerFactory, rail: ScriptedRail
) -> None:
    customer, authenticator = _customer(new_customer)
    held = pay(merchant, customer, HIGH_VALUE)
    action = held["next_action"]
    assert (action["factors"], action["fallback"], action["fallback_reason"]) == (
        ["passkey"],
        ["payment_password"],
        None,
    )
    ceremony = _options(customer, held["id"])
    assert ceremony["payment"] == {
        "payment_intent": held["id"],
        "amount": HIGH_VALUE,
        "currency": "EUR",
        "payee": f"{merchant.id}:sandbox",
    }
    assert ceremony["options"]["userVerification"] == "required"
    allowed = [credential["id"] for credential in ceremony["options"]["allowCredentials"]]
    assert allowed == [b64url(authenticator.credential_id)]
    passed = _answer(customer, held["id"], ceremony, authenticator)
    assert passed.status_code == 200, passed.text
    assert (passed.json()["status"], passed.json()["next_action"]) == ("succeeded", None)
    assert [operation for operation, _ in rail.calls] == ["authorize"]


def test_another_customers_session_cannot_ask_or_answer(
    merchant: Onboarded, new_customer: CustomerFactory, rail: ScriptedRail
) -> None:
    alice, alices_key = _customer(new_customer)
    mallory, mallorys_key = _customer(new_customer)
    held = pay(merchant, alice, HIGH_VALUE)
    assert mallory.passkey_options(held["id"]).status_code == 404
    ceremony = _options(alice, held["id"])
    stolen = _answer(mallory, held["id"], ceremony, alices_key)
    assert stolen.status_code == 404, stolen.text
    _still_held(merchant, held["id"], rail)
    # Mallory's own passkey over Alice's challenge, sent in Alice's session: not Alice's credential.
    foreign = _answer(alice, held["id"], _options(alice, held["id"]), mallorys_key)
    _refused(foreign, "credential")
    _still_held(merchant, held["id"], rail)


def test_an_assertion_for_another_intents_challenge_is_refused(
    merchant: Onboarded, new_customer: CustomerFactory, rail: ScriptedRail
) -> None:
    customer, authenticator = _customer(new_customer)
    first, second = pay(merchant, customer, HIGH_VALUE), pay(merchant, customer, HIGH_VALUE)
    for_first, for_second = _options(customer, first["id"]), _options(customer, second["id"])
    # The second intent's challenge signed, sent with the first's ceremony: the signature is over another
    # challenge.
    signed_for_second = authenticator.get_assertion(for_second["options"], origin=ORIGIN, rp_id=RP_ID)
    crossed = customer.verify(
        first["id"],
        {"factor": "passkey", "ceremony_id": for_first["ceremony_id"], "credential": signed_for_second},
    )
    _refused(crossed, "credential")
    # The second intent's ceremony presented on the first intent: not this payment's challenge.
    _refused(_answer(customer, first["id"], for_second, authenticator), "ceremony_id")
    _still_held(merchant, first["id"], rail)


def test_an_assertion_for_another_amount_is_refused(
    app: FastAPI, merchant: Onboarded, new_customer: CustomerFactory, rail: ScriptedRail
) -> None:
    customer, authenticator = _customer(new_customer)
    held = pay(merchant, customer, HIGH_VALUE)
    ceremony = _options(customer, held["id"])
    with app.state.engine.begin() as connection:  # the payment changed after the challenge was issued
        connection.execute(
            update(payment_intents).where(payment_intents.c.id == held["id"]).values(amount=250001)
        )
    _refused(_answer(customer, held["id"], ceremony, authenticator), "amount")
    _still_held(merchant, held["id"], rail)


def test_a_challenge_answers_once_even_when_refused(
    merchant: Onboarded, new_customer: CustomerFactory, rail: ScriptedRail
) -> None:
    customer, authenticator = _customer(new_customer)
    held = pay(merchant, customer, HIGH_VALUE)
    ceremony = _options(customer, held["id"])
    phished = _answer(customer, held["id"], ceremony, authenticator, origin="https://tpwallet.example.evil")
    _refused(phished, "credential")
    _refused(_answer(customer, held["id"], ceremony, authenticator), "ceremony_id")
    _still_held(merchant, held["id"], rail)
    # A good assertion, replayed verbatim on a later payment's step-up, is refused there too.
    ceremony = _options(customer, held["id"])
    credential = authenticator.get_assertion(ceremony["options"], origin=ORIGIN, rp_id=RP_ID)
    body = {"factor": "passkey", "ceremony_id": ceremony["ceremony_id"], "credential": credential}
    assert customer.verify(held["id"], body).status_code == 200
    later = pay(merchant, customer, HIGH_VALUE)
    _refused(customer.verify(later["id"], body), "ceremony_id")
    fresh = _options(customer, later["id"])["ceremony_id"]
    _refused(customer.verify(later["id"], {**body, "ceremony_id": fresh}), "credential")
    _still_held(merchant, later["id"], rail, calls=1)


def test_another_rp_id_an_expired_challenge_and_a_counter_gone_back_are_refused(
    merchant: Onboarded, new_customer: CustomerFactory, rail: ScriptedRail
) -> None:
    customer, authenticator = _customer(new_customer)
    held = pay(merchant, customer, HIGH_VALUE)
    other_site = _answer(customer, held["id"], _options(customer, held["id"]), authenticator, rp_id="evil.io")
    _refused(other_site, "credential")
    ceremony = _options(customer, held["id"])
    customer.clock.now += CHALLENGE_SECONDS
    _refused(_answer(customer, held["id"], ceremony, authenticator), "ceremony_id")
    authenticator.sign_count += 5  # the genuine authenticator was used since; a clone still counts low
    clone = replace(authenticator, sign_count=0)
    assert _answer(customer, held["id"], _options(customer, held["id"]), authenticator).status_code == 200
    later = pay(merchant, customer, HIGH_VALUE)
    _refused(_answer(customer, later["id"], _options(customer, later["id"]), clone), "credential")
    _still_held(merchant, later["id"], rail, calls=1)


def test_without_a_relying_party_the_fallback_is_offered_never_a_pass(
    app: FastAPI, merchant: Onboarded, new_customer: CustomerFactory, rail: ScriptedRail
) -> None:
    customer, _ = _customer(new_customer)
    app.state.risk_gate = replace(app.state.risk_gate, passkeys=None)
    held = pay(merchant, customer, HIGH_VALUE)
    action = held["next_action"]
    assert (action["factors"], action["fallback"], action["fallback_reason"]) == (
        [],
        ["payment_password"],
        "passkey: unavailable",
    )
    _refused(customer.passkey_options(held["id"]), "factor")


def test_the_passkey_goes_first_only_for_a_possession_or_inherence_rule() -> None:
    has = FactorStatus(Factor.PASSKEY, enrolled=True, locked_until=None)
    has_not = FactorStatus(Factor.PASSKEY, enrolled=False, locked_until=None)
    assert preferred_order([Factor.TOTP], has) == [Factor.PASSKEY, Factor.TOTP]
    assert preferred_order([Factor.TOTP, Factor.PASSKEY], has) == [Factor.PASSKEY, Factor.TOTP]
    assert preferred_order([Factor.PAYMENT_PASSWORD], has) == [Factor.PAYMENT_PASSWORD]
    assert preferred_order([Factor.PASSKEY, Factor.TOTP], has_not) == [Factor.TOTP]
