"""`/v1/devices` through HTTP on SQLite and PostgreSQL: registration with proof of possession, list,
rename, revoke, and a route needing a device-signed request; every refusal a problem document naming its
field or header, and the outsiders refused: no key, a key without `devices:admin`, another subject's
device, a replayed or forged signature."""

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.settings import ApiSettings
from api.subject import SUBJECT_HEADER
from risk.devices.canonical import DEVICE_ID_HEADER, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from tests.api.devices.conftest import ALICE, BOB, SIGNED_ROUTE, Operator
from tests.helpers.device_keys import DeviceKeyPair


def _problem(response: httpx.Response, status: int, problem: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    document: dict[str, Any] = response.json()
    assert document["type"] == f"urn:tpwallet:problem:{problem}"
    return document


def _field(document: dict[str, Any]) -> str:
    [error] = document["errors"]
    return str(error["field"])


def _refused(response: httpx.Response, reason: str, header: str) -> None:
    document = _problem(response, 401, "device-signature-refused")
    assert document["reason"] == reason
    assert _field(document) == header
    assert response.headers["www-authenticate"].startswith("TPW-Device")


@pytest.mark.parametrize("key_type", ["p256", "ed25519"])
@pytest.mark.parametrize("raw", [False, True], ids=["pem", "raw"])
def test_a_device_registers_signs_and_is_revoked(operator: Operator, key_type: str, raw: bool) -> None:
    pair = operator.register(key_type, raw)
    [listed] = operator.get().json()["data"]
    assert listed["id"] == pair.device_id
    assert (listed["subject_id"], listed["key_type"], listed["status"]) == (ALICE, key_type, "active")
    assert listed["public_key"] == pair.public_pem
    assert listed["key_sha256"] == pair.key_sha256

    accepted = operator.signed_post(pair, {"amount": "1000"}, int(time.time()))
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["device_id"] == pair.device_id
    assert accepted.json()["body"] == {
        "amount": "1000"
    }  # the route still reads the body the signature hashed
    assert operator.get(f"/{pair.device_id}").json()["last_used_at"] is not None

    renamed = operator.patch(f"/{pair.device_id}", {"name": "Work phone"})
    assert renamed.json()["name"] == "Work phone"
    revoked = operator.delete(f"/{pair.device_id}")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    assert operator.delete(f"/{pair.device_id}").json()["revoked_at"] == revoked.json()["revoked_at"]
    _refused(operator.signed_post(pair, {"amount": "1000"}, int(time.time())), "revoked", DEVICE_ID_HEADER)


def test_a_replayed_signed_request_is_refused(operator: Operator) -> None:
    pair = operator.register()
    now = int(time.time())
    first = operator.signed_post(pair, {"amount": "1000"}, now)
    assert first.status_code == 200, first.text
    copy = first.request
    replayed = operator.client.post(SIGNED_ROUTE, content=copy.content, headers=dict(copy.headers))
    _refused(replayed, "replayed", NONCE_HEADER)


@pytest.mark.parametrize(
    ("target", "sent_body"),
    [
        (SIGNED_ROUTE, b'{"amount": "9000"}'),  # the body changed after signing
        (f"{SIGNED_ROUTE}?capture=manual", None),  # signed for a query the request does not carry
        ("/v1/payment_intents", None),  # signed for another path
    ],
    ids=["body", "query", "path"],
)
def test_a_request_that_is_not_what_was_signed_is_refused(
    operator: Operator, target: str, sent_body: bytes | None
) -> None:
    pair = operator.register("ed25519")
    signed = pair.signed_headers("POST", target, b'{"amount": "1000"}', int(time.time()))
    headers = operator.headers(**signed) | {"Content-Type": "application/json"}
    response = operator.client.post(SIGNED_ROUTE, content=sent_body or b'{"amount": "1000"}', headers=headers)
    _refused(response, "bad-signature", SIGNATURE_HEADER)


def test_the_query_string_is_signed_as_sent(operator: Operator) -> None:
    pair = operator.register()
    target = f"{SIGNED_ROUTE}?note=a%20b&n=1"
    accepted = operator.signed_post(pair, {}, int(time.time()), target=target)
    assert accepted.status_code == 200, accepted.text
    tampered = pair.signed_headers("POST", target, b"{}", int(time.time()))
    sent = operator.client.post(
        f"{SIGNED_ROUTE}?note=a%20b&n=2", content=b"{}", headers=operator.headers(**tampered)
    )
    _refused(sent, "bad-signature", SIGNATURE_HEADER)


@pytest.mark.parametrize("direction", [-1, 1], ids=["stale", "future"])
def test_stale_and_future_timestamps_are_refused(
    operator: Operator, settings: ApiSettings, direction: int
) -> None:
    pair = operator.register()
    skew = direction * (settings.device_signature_tolerance_seconds + 5)
    response = operator.signed_post(pair, {}, int(time.time()) + skew)
    _refused(response, "stale", TIMESTAMP_HEADER)


def test_a_route_needing_a_signature_refuses_a_request_without_one(operator: Operator) -> None:
    response = operator.client.post(SIGNED_ROUTE, json={}, headers=operator.headers())
    _refused(response, "missing", DEVICE_ID_HEADER)


def test_another_subjects_device_is_unknown_to_the_subject(operator: Operator) -> None:
    bobs = operator.acting_for(BOB).register()
    _refused(operator.signed_post(bobs, {}, int(time.time())), "unknown-device", DEVICE_ID_HEADER)
    for response in (
        operator.get(f"/{bobs.device_id}"),
        operator.patch(f"/{bobs.device_id}", {"name": "mine"}),
        operator.delete(f"/{bobs.device_id}"),
    ):
        _problem(response, 404, "device-not-found")
    assert operator.get().json()["data"] == []
    assert operator.acting_for(BOB).get(f"/{bobs.device_id}").json()["status"] == "active"


def test_the_device_signal_tells_new_from_known_fingerprints(operator: Operator) -> None:
    pair = operator.register()
    phone = {"User-Agent": "TPWallet/3.1 (iPhone)", "Accept-Language": "en-GB"}
    seen = [
        operator.signed_post(pair, {}, int(time.time()), extra_headers=headers).json()
        for headers in (phone, phone, {"User-Agent": "TPWallet/3.1 (Android)"}, phone)
    ]
    signals = [(answer["is_new_device"], answer["fingerprint_changed"]) for answer in seen]
    assert signals == [(True, False), (False, False), (True, True), (False, True)]


def test_the_device_signal_is_unavailable_without_a_key(
    app: FastAPI, settings: ApiSettings, operator: Operator
) -> None:
    pair = operator.register()
    settings.device_fingerprint_key_path.unlink()
    with TestClient(app) as restarted:  # the key is read at start: a server started without one
        response = Operator(restarted, operator.token).signed_post(pair, {}, int(time.time()))
    _problem(response, 503, "device-signal-unavailable")


@pytest.mark.parametrize(
    ("fields", "field", "status", "problem"),
    [
        ({"public_key": "AAAA"}, "public_key", 422, "validation-error"),
        ({"platform": "symbian"}, "platform", 422, "validation-error"),
        ({"name": ""}, "name", 422, "validation-error"),
        ({"signature": "AAAA"}, "signature", 422, "device-registration-refused"),
        ({"challenge_id": "dch_" + "0" * 24}, "challenge_id", 422, "device-registration-refused"),
    ],
)
def test_bad_registrations_are_refused_naming_the_field(
    operator: Operator, fields: dict[str, str], field: str, status: int, problem: str
) -> None:
    body = operator.registration(DeviceKeyPair("p256"), overrides=fields)
    document = _problem(operator.post("", body), status, problem)
    assert _field(document) == field


def test_a_p384_key_is_refused_naming_the_key(operator: Operator) -> None:
    public = ec.generate_private_key(ec.SECP384R1()).public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    body = operator.registration(DeviceKeyPair("p256"), overrides={"public_key": pem.decode()})
    assert _field(_problem(operator.post("", body), 422, "validation-error")) == "public_key"


def test_a_challenge_registers_once_and_a_key_binds_once(operator: Operator) -> None:
    pair = DeviceKeyPair("ed25519")
    body = operator.registration(pair)
    assert operator.post("", body, key="register-1").status_code == 201
    replay = operator.post("", body, key="register-1")  # the same Idempotency-Key: the first answer again
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    again = _problem(operator.post("", body), 422, "device-registration-refused")
    assert _field(again) == "challenge_id"
    taken = _problem(operator.post("", operator.registration(pair)), 409, "device-conflict")
    assert _field(taken) == "public_key"


def test_a_challenge_of_another_subject_does_not_register(operator: Operator) -> None:
    pair = DeviceKeyPair("p256")
    bobs_body = operator.acting_for(BOB).registration(pair)
    document = _problem(operator.post("", bobs_body), 422, "device-registration-refused")
    assert _field(document) == "challenge_id"


def test_one_idempotency_key_serves_each_subject_apart(operator: Operator) -> None:
    alice = operator.post("/challenges", key="same-key").json()
    bob = operator.acting_for(BOB).post("/challenges", key="same-key").json()
    assert (alice["subject_id"], bob["subject_id"]) == (ALICE, BOB)
    assert alice["id"] != bob["id"]


def test_only_an_operator_key_with_devices_admin_acts_for_a_subject(
    operator_key: Callable[..., Operator],
) -> None:
    nobody = operator_key()
    response = nobody.get()
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    document = _problem(operator_key("payments:write", "ledger:read").get(), 403, "forbidden")
    assert "devices:admin" in document["detail"]
    for subject, status in ((None, 422), ("bad subject!", 422), ("x" * 65, 422)):
        document = _problem(
            operator_key("devices:admin").acting_for(subject).get(), status, "validation-error"
        )
        assert _field(document) == SUBJECT_HEADER
