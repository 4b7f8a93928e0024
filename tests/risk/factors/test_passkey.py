"""A passkey step-up bound to a payment (PSD2 dynamic linking), through the `webauthn` package's real checks
against the software authenticator: the challenge is a function of the payment, spent once, and answers
only for the payment, the customer and the passkey it was issued for."""

from dataclasses import replace

import pytest
from sqlalchemy import Engine

import risk.identity.schema
from risk.factors.errors import NotEnrolled
from risk.factors.passkey import (
    PasskeyAssertion,
    PasskeyRefused,
    PasskeyStepUp,
    PaymentBinding,
    challenge_for,
    passkey_status,
)
from risk.identity import identities, passkeys
from risk.identity.passkeys import PasskeyPolicy
from tests.helpers.policy import Clock
from tests.helpers.soft_authenticator import SoftAuthenticator, b64url

ORIGIN, RP_ID = "https://wallet.example.com", "wallet.example.com"
POLICY = PasskeyPolicy(rp_id=RP_ID, rp_name="TPWallet", origins=[ORIGIN], challenge_seconds=300)
PAYMENT = PaymentBinding(reference="pi_1", amount=250_000, currency="EUR", payee="mer_1:live")
NONCE = bytes(32)


@pytest.fixture
def step_up(engine: Engine, clock: Clock) -> PasskeyStepUp:
    risk.identity.schema.metadata.create_all(engine)
    return PasskeyStepUp(engine, POLICY, clock)


def _customer_with_passkey(step_up: PasskeyStepUp, clock: Clock) -> tuple[str, SoftAuthenticator]:
    authenticator = SoftAuthenticator()
    with step_up.engine.begin() as connection:
        subject = identities.create_identity(connection, "customer", clock.now).id
        options = passkeys.registration_options(connection, POLICY, subject, "alice", clock.now)
    credential = authenticator.register(options.options, origin=ORIGIN)
    with step_up.engine.begin() as connection:
        passkeys.verify_registration(connection, POLICY, options.ceremony_id, subject, credential, clock.now)
    return subject, authenticator


def _assert(step_up: PasskeyStepUp, subject: str, authenticator: SoftAuthenticator) -> PasskeyAssertion:
    options = step_up.options(subject, PAYMENT)
    credential = authenticator.get_assertion(options.options, origin=ORIGIN, rp_id=RP_ID)
    return PasskeyAssertion(options.ceremony_id, credential)


@pytest.mark.parametrize(
    "changed",
    [
        {"reference": "pi_2"},
        {"amount": 250_001},
        {"currency": "USD"},
        {"payee": "mer_2:live"},
        {"purpose": "factor_change"},
    ],
)
def test_the_challenge_is_specific_to_every_element_of_the_payment(changed: dict[str, object]) -> None:
    same = challenge_for("idn_a", PAYMENT, NONCE, 1000)
    assert same == challenge_for("idn_a", replace(PAYMENT), NONCE, 1000)
    assert len(same) == 32
    assert challenge_for("idn_a", replace(PAYMENT, **changed), NONCE, 1000) != same  # type: ignore[arg-type]
    assert challenge_for("idn_b", PAYMENT, NONCE, 1000) != same
    assert challenge_for("idn_a", PAYMENT, bytes([1]) * 32, 1000) != same
    assert challenge_for("idn_a", PAYMENT, NONCE, 1001) != same


def test_an_assertion_over_the_payment_verifies_once(step_up: PasskeyStepUp, clock: Clock) -> None:
    subject, authenticator = _customer_with_passkey(step_up, clock)
    with step_up.engine.connect() as connection:
        assert passkey_status(connection, subject).enrolled
    options = step_up.options(subject, PAYMENT)
    assert [item["id"] for item in options.options["allowCredentials"]] == [
        b64url(authenticator.credential_id)
    ]
    answer = PasskeyAssertion(
        options.ceremony_id, authenticator.get_assertion(options.options, origin=ORIGIN, rp_id=RP_ID)
    )
    step_up.verify(subject, PAYMENT, answer)
    with pytest.raises(PasskeyRefused) as replayed:
        step_up.verify(subject, PAYMENT, answer)
    assert replayed.value.field == "ceremony_id"


@pytest.mark.parametrize(
    ("changed", "field"),
    [({"amount": 1}, "amount"), ({"currency": "USD"}, "currency"), ({"payee": "mer_evil:live"}, "payee")],
)
def test_a_payment_changed_since_its_challenge_is_refused_by_name(
    step_up: PasskeyStepUp, clock: Clock, changed: dict[str, object], field: str
) -> None:
    subject, authenticator = _customer_with_passkey(step_up, clock)
    answer = _assert(step_up, subject, authenticator)
    with pytest.raises(PasskeyRefused) as refused:
        step_up.verify(subject, replace(PAYMENT, **changed), answer)  # type: ignore[arg-type]
    assert refused.value.field == field


def test_another_intent_customer_or_an_expired_challenge_is_refused(
    step_up: PasskeyStepUp, clock: Clock
) -> None:
    subject, authenticator = _customer_with_passkey(step_up, clock)
    other, _ = _customer_with_passkey(step_up, clock)
    for binding, who in ((replace(PAYMENT, reference="pi_2"), subject), (PAYMENT, other)):
        with pytest.raises(PasskeyRefused) as refused:
            step_up.verify(who, binding, _assert(step_up, subject, authenticator))
        assert refused.value.field == "ceremony_id"
    answer = _assert(step_up, subject, authenticator)
    clock.advance(POLICY.challenge_seconds)
    with pytest.raises(PasskeyRefused) as expired:
        step_up.verify(subject, PAYMENT, answer)
    assert expired.value.field == "ceremony_id"


def test_another_customers_passkey_and_a_cloned_counter_are_refused(
    step_up: PasskeyStepUp, clock: Clock
) -> None:
    subject, authenticator = _customer_with_passkey(step_up, clock)
    _, mallorys = _customer_with_passkey(step_up, clock)
    with pytest.raises(PasskeyRefused) as foreign:
        step_up.verify(subject, PAYMENT, _assert(step_up, subject, mallorys))
    assert foreign.value.field == "credential"
    clone = replace(authenticator)
    step_up.verify(subject, PAYMENT, _assert(step_up, subject, authenticator))
    with pytest.raises(PasskeyRefused) as cloned:
        step_up.verify(subject, PAYMENT, _assert(step_up, subject, clone))
    assert cloned.value.field == "credential"


def test_a_customer_without_a_passkey_gets_no_options(step_up: PasskeyStepUp, clock: Clock) -> None:
    with step_up.engine.begin() as connection:
        subject = identities.create_identity(connection, "customer", clock.now).id
    with pytest.raises(NotEnrolled):
        step_up.options(subject, PAYMENT)
