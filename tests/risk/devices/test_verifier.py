"""Signed requests: accepted from the subject's active device with a fresh timestamp and a new nonce, and
refused, naming the header, when anything signed was changed, the timestamp is stale, the nonce was seen
(sequentially or concurrently), or the device is another subject's or revoked. SQLite and PostgreSQL."""

import threading
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from risk.devices import registry
from risk.devices.canonical import DEVICE_ID_HEADER, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from risk.devices.errors import (
    BadSignature,
    DeviceRevoked,
    ReplayedNonce,
    SignatureMissing,
    SignatureRefused,
    StaleTimestamp,
    UnknownDevice,
)
from risk.devices.schema import nonces
from risk.devices.verifier import RequestVerifier, SignedRequest, VerifiedDevice
from tests.helpers.device_keys import DeviceKeyPair, new_nonce
from tests.helpers.threads import run_concurrently
from tests.risk.devices.conftest import ACTOR, ALICE, BOB, Clock, Register

TOLERANCE = 120
BODY = b'{"amount":"1000","currency":"EUR"}'
TARGET = "/v1/payment_intents?expand=latest_charge"


def _signed(pair: DeviceKeyPair, at: int, fresh_nonce: str | None = None, **changes: object) -> SignedRequest:
    headers = pair.signed_headers("POST", TARGET, BODY, at, fresh_nonce)
    request = SignedRequest(
        "POST",
        TARGET,
        BODY,
        headers[DEVICE_ID_HEADER],
        headers[TIMESTAMP_HEADER],
        headers[NONCE_HEADER],
        headers[SIGNATURE_HEADER],
    )
    return replace(request, **changes)  # type: ignore[arg-type]


def _verify(
    sessions: sessionmaker[Session], clock: Clock, request: SignedRequest, subject: str = ALICE
) -> VerifiedDevice:
    with sessions() as session:
        verified = RequestVerifier(TOLERANCE, clock).verify(session, subject, request)
        session.commit()
        return verified


def _refused(
    sessions: sessionmaker[Session], clock: Clock, request: SignedRequest, subject: str = ALICE
) -> SignatureRefused:
    with pytest.raises(SignatureRefused) as refused:
        _verify(sessions, clock, request, subject)
    return refused.value


@pytest.mark.parametrize("key_type", ["p256", "ed25519"])
def test_a_request_signed_by_the_subjects_device_is_accepted(
    register: Register, sessions: sessionmaker[Session], clock: Clock, key_type: str
) -> None:
    pair = register(ALICE, key_type)
    verified = _verify(sessions, clock, _signed(pair, clock()))
    assert (verified.device_id, verified.subject_id, verified.key_type) == (pair.device_id, ALICE, key_type)
    with sessions() as session:
        assert registry.get_device(session, ALICE, pair.device_id).last_used_at == clock()


@pytest.mark.parametrize(
    "change",
    [
        {"method": "PUT"},
        {"target": "/v1/payment_intents?expand=customer"},
        {"target": "/v1/payment_intents"},
        {"body": BODY.replace(b"1000", b"9000")},
        {"body": b""},
    ],
    ids=["method", "query", "path", "body", "no-body"],
)
def test_a_changed_request_is_refused_as_a_bad_signature(
    register: Register, sessions: sessionmaker[Session], clock: Clock, change: dict[str, Any]
) -> None:
    pair = register(ALICE, "p256")
    refused = _refused(sessions, clock, _signed(pair, clock(), **change))
    assert isinstance(refused, BadSignature)
    assert refused.field == SIGNATURE_HEADER


@pytest.mark.parametrize("key_type", ["p256", "ed25519"])
def test_a_changed_timestamp_nonce_or_signature_is_refused(
    register: Register, sessions: sessionmaker[Session], clock: Clock, key_type: str
) -> None:
    pair = register(ALICE, key_type)
    good = _signed(pair, clock())
    signature = good.signature or ""
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    for tampered in (
        replace(good, timestamp=str(clock() - 1)),
        replace(good, nonce=new_nonce()),
        replace(good, signature=flipped),
    ):
        refused = _refused(sessions, clock, tampered)
        assert isinstance(refused, BadSignature), tampered
    _verify(sessions, clock, good)  # none of the refusals spent its nonce


def test_another_device_of_the_subject_cannot_claim_a_signature(
    register: Register, sessions: sessionmaker[Session], clock: Clock
) -> None:
    pair, other = register(ALICE, "p256"), register(ALICE, "p256")
    refused = _refused(sessions, clock, _signed(pair, clock(), device_id=other.device_id))
    assert isinstance(refused, BadSignature)


@pytest.mark.parametrize(
    ("skew", "accepted"),
    [
        (-TOLERANCE, True),
        (TOLERANCE, True),
        (-TOLERANCE - 1, False),
        (TOLERANCE + 1, False),
        (-86_400, False),
    ],
)
def test_timestamps_are_accepted_within_the_tolerance_either_way(
    register: Register, sessions: sessionmaker[Session], clock: Clock, skew: int, accepted: bool
) -> None:
    pair = register(ALICE, "ed25519")
    request = _signed(pair, clock() + skew)
    if accepted:
        _verify(sessions, clock, request)
    else:
        refused = _refused(sessions, clock, request)
        assert isinstance(refused, StaleTimestamp)
        assert refused.field == TIMESTAMP_HEADER


def test_a_replay_is_refused_and_stays_refused_once_its_nonce_is_swept(
    register: Register, sessions: sessionmaker[Session], clock: Clock
) -> None:
    pair = register(ALICE, "p256")
    request = _signed(pair, clock())
    _verify(sessions, clock, request)
    refused = _refused(sessions, clock, request)
    assert isinstance(refused, ReplayedNonce)
    assert refused.field == NONCE_HEADER
    clock.now += TOLERANCE
    assert isinstance(_refused(sessions, clock, request), ReplayedNonce)
    clock.now += 1  # the timestamp leaves the window: the next accepted request sweeps the nonce
    assert isinstance(_refused(sessions, clock, request), StaleTimestamp)
    _verify(sessions, clock, _signed(pair, clock()))
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(nonces)) == 1


def test_one_nonce_per_device_and_the_same_nonce_on_two_devices(
    register: Register, sessions: sessionmaker[Session], clock: Clock
) -> None:
    pair, other = register(ALICE, "p256"), register(ALICE, "ed25519")
    nonce = new_nonce()
    _verify(sessions, clock, _signed(pair, clock(), nonce))
    _verify(sessions, clock, _signed(other, clock(), nonce))
    refused = _refused(sessions, clock, _signed(pair, clock() + 1, nonce))  # a new signature, an old nonce
    assert isinstance(refused, ReplayedNonce)


def test_concurrent_copies_of_a_request_are_accepted_once(
    register: Register, sessions: sessionmaker[Session], clock: Clock
) -> None:
    pair = register(ALICE, "p256")
    request = _signed(pair, clock())
    outcomes: list[str] = []
    lock = threading.Lock()

    def send() -> None:
        try:
            _verify(sessions, clock, request)
            outcome = "accepted"
        except ReplayedNonce:
            outcome = "replayed"
        except Exception as error:  # SQLite may answer "database is locked" to a racing writer
            outcome = type(error).__name__
        with lock:
            outcomes.append(outcome)

    run_concurrently(send, 6)
    assert outcomes.count("accepted") == 1, outcomes


def test_another_subjects_device_is_unknown_to_the_subject(
    register: Register, sessions: sessionmaker[Session], clock: Clock
) -> None:
    bobs = register(BOB, "p256")
    refused = _refused(sessions, clock, _signed(bobs, clock()), subject=ALICE)
    assert isinstance(refused, UnknownDevice)
    assert refused.field == DEVICE_ID_HEADER
    unknown = DeviceKeyPair("p256", device_id="dev_" + "0" * 24)
    assert isinstance(_refused(sessions, clock, _signed(unknown, clock())), UnknownDevice)
    _verify(sessions, clock, _signed(bobs, clock()), subject=BOB)


def test_a_revoked_devices_signatures_are_refused(
    register: Register, sessions: sessionmaker[Session], clock: Clock
) -> None:
    pair = register(ALICE, "ed25519")
    _verify(sessions, clock, _signed(pair, clock()))
    with sessions() as session:
        registry.revoke_device(session, ALICE, pair.device_id, clock(), actor=ACTOR)
        session.commit()
    refused = _refused(sessions, clock, _signed(pair, clock()))
    assert isinstance(refused, DeviceRevoked)
    assert refused.field == DEVICE_ID_HEADER


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"device_id": None}, DEVICE_ID_HEADER),
        ({"device_id": "dev_XYZ"}, DEVICE_ID_HEADER),
        ({"timestamp": None}, TIMESTAMP_HEADER),
        ({"timestamp": "-5"}, TIMESTAMP_HEADER),
        ({"timestamp": "1e9"}, TIMESTAMP_HEADER),
        ({"nonce": None}, NONCE_HEADER),
        ({"nonce": "short"}, NONCE_HEADER),
        ({"nonce": "has space in it!!"}, NONCE_HEADER),
        ({"signature": None}, SIGNATURE_HEADER),
        ({"signature": "not+base64url"}, SIGNATURE_HEADER),
    ],
)
def test_missing_or_malformed_headers_are_named(
    register: Register, sessions: sessionmaker[Session], clock: Clock, change: dict[str, Any], field: str
) -> None:
    pair = register(ALICE, "p256")
    refused = _refused(sessions, clock, _signed(pair, clock(), **change))
    assert isinstance(refused, SignatureMissing)
    assert refused.field == field
