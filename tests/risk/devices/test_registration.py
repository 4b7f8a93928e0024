"""Registration with proof of possession, and a subject's devices listed, renamed and revoked: on SQLite
and PostgreSQL, with the outsider cases (another subject's challenge, device and signature)."""

import threading
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from risk.devices import registry
from risk.devices.errors import (
    DeviceError,
    DeviceKeyTaken,
    DeviceNotFound,
    InvalidDeviceInput,
    RegistrationRefused,
    TooManyDevices,
)
from risk.devices.registration import MAX_ACTIVE_DEVICES, DeviceRegistration, issue_challenge, register_device
from risk.devices.schema import devices
from tests.helpers.device_keys import DeviceKeyPair
from tests.helpers.threads import run_concurrently
from tests.risk.devices.conftest import ACTOR, ALICE, BOB, TTL, Clock, Register


def _attempt(
    session: Session,
    clock: Clock,
    pair: DeviceKeyPair,
    *,
    subject: str = ALICE,
    challenge_for: str = ALICE,
    signed_for: str = ALICE,
    signer: DeviceKeyPair | None = None,
    **fields: str,
) -> str:
    """A challenge for `challenge_for`, signed by `signer` for `signed_for`, registered for `subject`."""
    challenge = issue_challenge(session, challenge_for, clock(), TTL)
    session.commit()
    signature = (signer or pair).sign_registration(challenge.id, challenge.challenge, signed_for)
    values = {"name": "phone", "platform": "android", "public_key": pair.public_pem, "signature": signature}
    values.update(fields)
    registration = DeviceRegistration(challenge.id, **values)
    device = register_device(session, subject, registration, clock())
    session.commit()
    return device.id


@pytest.mark.parametrize("key_type", ["p256", "ed25519"])
@pytest.mark.parametrize("raw", [False, True], ids=["pem", "raw"])
def test_a_device_registers_and_is_listed(
    register: Register, sessions: sessionmaker[Session], key_type: str, raw: bool
) -> None:
    pair = register(ALICE, key_type, raw=raw)
    with sessions() as session:
        [device] = registry.list_devices(session, ALICE)
        assert registry.list_devices(session, BOB) == []
    assert (device.id, device.subject_id, device.key.key_type) == (pair.device_id, ALICE, key_type)
    assert device.key.key_sha256 == pair.key_sha256
    assert device.active
    assert device.last_used_at is None


def test_a_challenge_is_spent_by_its_registration(sessions: sessionmaker[Session], clock: Clock) -> None:
    pair = DeviceKeyPair("p256")
    with sessions() as session:
        challenge = issue_challenge(session, ALICE, clock(), TTL)
        session.commit()
        signature = pair.sign_registration(challenge.id, challenge.challenge, ALICE)
        registration = DeviceRegistration(challenge.id, "phone", "ios", pair.public_pem, signature)
        register_device(session, ALICE, registration, clock())
        session.commit()
        second = DeviceKeyPair("p256")
        again = DeviceRegistration(
            challenge.id,
            "tablet",
            "ios",
            second.public_pem,
            second.sign_registration(challenge.id, challenge.challenge, ALICE),
        )
        with pytest.raises(RegistrationRefused) as refused:
            register_device(session, ALICE, again, clock())
    assert refused.value.field == "challenge_id"


def test_an_expired_challenge_is_refused_and_one_at_its_expiry_is_not(
    sessions: sessionmaker[Session], clock: Clock
) -> None:
    with sessions() as session:
        for delay, accepted in ((TTL, True), (TTL + 1, False)):
            pair = DeviceKeyPair("ed25519")
            challenge = issue_challenge(session, ALICE, clock(), TTL)
            session.commit()
            signature = pair.sign_registration(challenge.id, challenge.challenge, ALICE)
            registration = DeviceRegistration(challenge.id, "phone", "ios", pair.public_pem, signature)
            if accepted:
                register_device(session, ALICE, registration, clock() + delay)
                session.commit()
            else:
                with pytest.raises(RegistrationRefused):
                    register_device(session, ALICE, registration, clock() + delay)


@pytest.mark.parametrize(
    ("outsider", "field"),
    [
        ({"challenge_for": BOB}, "challenge_id"),  # another subject's challenge
        ({"signed_for": BOB}, "signature"),  # a proof made for another subject
        ({"signer": DeviceKeyPair("p256")}, "signature"),  # signed by a key other than the one registered
    ],
    ids=["another-subjects-challenge", "signed-for-another-subject", "another-key-signed"],
)
def test_a_proof_that_is_not_this_subjects_or_this_keys_is_refused(
    sessions: sessionmaker[Session], clock: Clock, outsider: dict[str, object], field: str
) -> None:
    with sessions() as session:
        with pytest.raises(RegistrationRefused) as refused:
            _attempt(session, clock, DeviceKeyPair("p256"), **outsider)  # type: ignore[arg-type]
        session.rollback()
        assert session.scalar(select(func.count()).select_from(devices)) == 0
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"public_key": DeviceKeyPair("p256").public_pem.replace("A", "B", 3)}, "public_key"),
        ({"name": "  "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "tab\there"}, "name"),
        ({"platform": "symbian"}, "platform"),
        ({"signature": "%%%"}, "signature"),
    ],
)
def test_malformed_fields_are_refused_naming_them(
    sessions: sessionmaker[Session], clock: Clock, fields: dict[str, Any], field: str
) -> None:
    with sessions() as session, pytest.raises(DeviceError) as refused:
        _attempt(session, clock, DeviceKeyPair("p256"), **fields)
    assert refused.value.field == field


def test_a_wrong_key_type_is_refused_naming_the_key(sessions: sessionmaker[Session], clock: Clock) -> None:
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    pem = p384.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    with sessions() as session, pytest.raises(InvalidDeviceInput) as refused:
        _attempt(session, clock, DeviceKeyPair("p256"), public_key=pem)
    assert refused.value.field == "public_key"


def test_one_key_binds_one_device(register: Register, sessions: sessionmaker[Session], clock: Clock) -> None:
    pair = register(ALICE, "ed25519")
    for subject in (ALICE, BOB):
        with sessions() as session, pytest.raises(DeviceKeyTaken) as refused:
            _attempt(session, clock, pair, subject=subject, challenge_for=subject, signed_for=subject)
        assert refused.value.field == "public_key"


def test_concurrent_registrations_with_one_challenge_bind_one_device(
    sessions: sessionmaker[Session], clock: Clock
) -> None:
    with sessions() as session:
        challenge = issue_challenge(session, ALICE, clock(), TTL)
        session.commit()
    outcomes: list[str] = []
    lock = threading.Lock()

    def register_one() -> None:
        pair = DeviceKeyPair("p256")
        signature = pair.sign_registration(challenge.id, challenge.challenge, ALICE)
        registration = DeviceRegistration(challenge.id, "phone", "ios", pair.public_pem, signature)
        with sessions() as session:
            try:
                register_device(session, ALICE, registration, clock())
                session.commit()
                outcome = "bound"
            except RegistrationRefused:
                outcome = "refused"
            except Exception as error:  # SQLite may answer "database is locked" to a racing writer
                outcome = type(error).__name__
        with lock:
            outcomes.append(outcome)

    run_concurrently(register_one, 4)
    assert outcomes.count("bound") == 1, outcomes
    with sessions() as session:
        assert len(registry.list_devices(session, ALICE)) == 1


def test_a_subject_holds_a_bounded_number_of_active_devices(
    register: Register, sessions: sessionmaker[Session], clock: Clock
) -> None:
    pairs = [register(ALICE, "ed25519") for _ in range(MAX_ACTIVE_DEVICES)]
    with sessions() as session:
        with pytest.raises(TooManyDevices):
            _attempt(session, clock, DeviceKeyPair("ed25519"))
        session.rollback()
        registry.revoke_device(session, ALICE, pairs[0].device_id, clock(), actor=ACTOR)
        session.commit()
        _attempt(session, clock, DeviceKeyPair("ed25519"))


def test_devices_are_renamed_and_revoked_by_their_subject_only(
    register: Register, sessions: sessionmaker[Session], clock: Clock
) -> None:
    pair = register(ALICE, "p256")
    with sessions() as session:
        for subject in (BOB, "idn_nobody"):
            for act in (
                lambda subject=subject: registry.get_device(session, subject, pair.device_id),
                lambda subject=subject: registry.rename_device(session, subject, pair.device_id, "mine"),
                lambda subject=subject: registry.revoke_device(
                    session, subject, pair.device_id, clock(), actor=ACTOR
                ),
            ):
                with pytest.raises(DeviceNotFound) as refused:
                    act()
                assert refused.value.field == "device_id"
        session.rollback()
        assert (
            registry.rename_device(session, ALICE, pair.device_id, "  Alice's phone ").name == "Alice's phone"
        )
        revoked = registry.revoke_device(session, ALICE, pair.device_id, clock(), actor=ACTOR)
        session.commit()
        assert revoked.revoked_at == clock()
        assert not revoked.active
        clock.now += 60
        assert (
            registry.revoke_device(session, ALICE, pair.device_id, clock(), actor=ACTOR).revoked_at
            == revoked.revoked_at
        )
