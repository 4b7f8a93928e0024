"""`/v1/devices` through HTTP on SQLite and PostgreSQL, for a signed-in customer: registration with proof of
possession, list, rename, revoke, and routes needing a device-signed request; the support desk's operator
path; every refusal a problem document naming its field or header, and the outsiders refused: no session, a
revoked session, an API key instead of a session, another customer's device, a replayed, stale or forged
signature, a key without `devices:admin` on the operator path."""

from collections.abc import Callable
from dataclasses import replace

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.settings import ApiSettings
from risk.devices.canonical import DEVICE_ID_HEADER, NONCE_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER
from tests.api.devices.conftest import CHECKED_ROUTE, FOR_SUBJECT_ROUTE, SIGNED_ROUTE, Customer, SupportDesk
from tests.api.identity.conftest import Clock
from tests.helpers.device_keys import DeviceKeyPair
from tests.helpers.problems import fields_of, problem_of
from tests.helpers.risk_audit import chained_records


def _refused(response: httpx.Response, reason: str, header: str) -> None:
    document = problem_of(response, 401, "device-signature-refused")
    assert document["reason"] == reason
    assert fields_of(document) == [header]
    assert response.headers["www-authenticate"].startswith("TPW-Device")


@pytest.mark.parametrize("key_type", ["p256", "ed25519"])
@pytest.mark.parametrize("raw", [False, True], ids=["pem", "raw"])
def test_a_device_registers_signs_and_is_revoked(alice: Customer, key_type: str, raw: bool) -> None:
    pair = alice.register(key_type, raw)
    [listed] = alice.get().json()["data"]
    assert listed["id"] == pair.device_id
    assert (listed["subject_id"], listed["key_type"], listed["status"]) == (alice.subject, key_type, "active")
    assert listed["public_key"] == pair.public_pem
    assert listed["key_sha256"] == pair.key_sha256

    accepted = alice.signed_post(pair, {"amount": "1000"})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["device_id"] == pair.device_id
    assert accepted.json()["body"] == {
        "amount": "1000"
    }  # the route still reads the body the signature hashed
    assert alice.get(f"/{pair.device_id}").json()["last_used_at"] is not None

    renamed = alice.patch(f"/{pair.device_id}", {"name": "Work phone"})
    assert renamed.json()["name"] == "Work phone"
    revoked = alice.delete(f"/{pair.device_id}")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    assert alice.delete(f"/{pair.device_id}").json()["revoked_at"] == revoked.json()["revoked_at"]
    _refused(alice.signed_post(pair, {"amount": "1000"}), "revoked", DEVICE_ID_HEADER)


def test_a_replayed_signed_request_is_refused(alice: Customer) -> None:
    pair = alice.register()
    first = alice.signed_post(pair, {"amount": "1000"})
    assert first.status_code == 200, first.text
    copy = first.request
    replayed = alice.client.post(SIGNED_ROUTE, content=copy.content, headers=dict(copy.headers))
    _refused(replayed, "replayed", NONCE_HEADER)
    alice.clock.now += 60  # still within the tolerance: the nonce is remembered as long as it could pass
    replayed = alice.client.post(SIGNED_ROUTE, content=copy.content, headers=dict(copy.headers))
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
    alice: Customer, target: str, sent_body: bytes | None
) -> None:
    pair = alice.register("ed25519")
    signed = pair.signed_headers("POST", target, b'{"amount": "1000"}', alice.clock.now)
    headers = alice.headers(**signed) | {"Content-Type": "application/json"}
    response = alice.client.post(SIGNED_ROUTE, content=sent_body or b'{"amount": "1000"}', headers=headers)
    _refused(response, "bad-signature", SIGNATURE_HEADER)


def test_the_query_string_is_signed_as_sent(alice: Customer) -> None:
    pair = alice.register()
    target = f"{SIGNED_ROUTE}?note=a%20b&n=1"
    accepted = alice.signed_post(pair, {}, target=target)
    assert accepted.status_code == 200, accepted.text
    tampered = pair.signed_headers("POST", target, b"{}", alice.clock.now)
    sent = alice.client.post(
        f"{SIGNED_ROUTE}?note=a%20b&n=2", content=b"{}", headers=alice.headers(**tampered)
    )
    _refused(sent, "bad-signature", SIGNATURE_HEADER)


@pytest.mark.parametrize("direction", [-1, 1], ids=["stale", "future"])
def test_stale_and_future_timestamps_are_refused(
    alice: Customer, settings: ApiSettings, direction: int
) -> None:
    pair = alice.register()
    tolerance = settings.device_signature_tolerance_seconds
    at_the_edge = alice.signed_post(pair, {}, alice.clock.now + direction * tolerance)
    assert at_the_edge.status_code == 200, at_the_edge.text
    response = alice.signed_post(pair, {}, alice.clock.now + direction * (tolerance + 1))
    _refused(response, "stale", TIMESTAMP_HEADER)


def test_a_signed_request_held_back_past_the_tolerance_is_stale(
    alice: Customer, clock: Clock, settings: ApiSettings
) -> None:
    pair = alice.register()
    content = b"{}"
    signed = pair.signed_headers("POST", SIGNED_ROUTE, content, clock.now)
    clock.now += settings.device_signature_tolerance_seconds + 1  # captured, sent later
    headers = alice.headers(**signed) | {"Content-Type": "application/json"}
    _refused(alice.client.post(SIGNED_ROUTE, content=content, headers=headers), "stale", TIMESTAMP_HEADER)


def test_a_route_needing_a_signature_refuses_a_request_without_one(alice: Customer) -> None:
    response = alice.client.post(SIGNED_ROUTE, json={}, headers=alice.headers())
    _refused(response, "missing", DEVICE_ID_HEADER)


def test_another_customers_device_is_unknown_to_the_customer(alice: Customer, bob: Customer) -> None:
    bobs = bob.register()
    _refused(alice.signed_post(bobs, {}), "unknown-device", DEVICE_ID_HEADER)
    for response in (
        alice.get(f"/{bobs.device_id}"),
        alice.patch(f"/{bobs.device_id}", {"name": "mine"}),
        alice.delete(f"/{bobs.device_id}"),
    ):
        problem_of(response, 404, "device-not-found")
    assert alice.get().json()["data"] == []
    assert bob.get(f"/{bobs.device_id}").json()["status"] == "active"
    assert bob.signed_post(bobs, {}).status_code == 200
    alices = alice.register()
    _refused(bob.signed_post(alices, {}), "unknown-device", DEVICE_ID_HEADER)  # Alice's phone, Bob's session


def test_the_device_signal_tells_new_from_known_fingerprints(alice: Customer) -> None:
    pair = alice.register()
    phone = {"User-Agent": "TPWallet/3.1 (iPhone)", "Accept-Language": "en-GB"}
    seen = [
        alice.signed_post(pair, {}, extra_headers=headers).json()
        for headers in (phone, phone, {"User-Agent": "TPWallet/3.1 (Android)"}, phone)
    ]
    signals = [(answer["is_new_device"], answer["fingerprint_changed"]) for answer in seen]
    assert signals == [(True, False), (False, False), (True, True), (False, True)]


def test_the_device_signal_is_unavailable_without_a_key(
    app: FastAPI, settings: ApiSettings, alice: Customer
) -> None:
    pair = alice.register()
    settings.device_fingerprint_key_path.unlink()
    with TestClient(app) as restarted:  # the key is read at start: a server started without one
        again = Customer(replace(alice.browser, client=restarted))
        problem_of(again.signed_post(pair, {}), 503, "device-signal-unavailable")
        checked = again.signed_post(pair, {}, target=CHECKED_ROUTE)  # the combined check goes on without
    assert checked.status_code == 200, checked.text
    assert (checked.json()["device_id"], checked.json()["is_new_device"]) == (pair.device_id, None)


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
    alice: Customer, fields: dict[str, str], field: str, status: int, problem: str
) -> None:
    body = alice.registration(DeviceKeyPair("p256"), overrides=fields)
    document = problem_of(alice.post("", body), status, problem)
    assert fields_of(document) == [field]


def test_a_p384_key_is_refused_naming_the_key(alice: Customer) -> None:
    public = ec.generate_private_key(ec.SECP384R1()).public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    body = alice.registration(DeviceKeyPair("p256"), overrides={"public_key": pem.decode()})
    assert fields_of(problem_of(alice.post("", body), 422, "validation-error")) == ["public_key"]


def test_a_challenge_registers_once_and_a_key_binds_once(alice: Customer) -> None:
    pair = DeviceKeyPair("ed25519")
    body = alice.registration(pair)
    assert alice.post("", body, key="register-1").status_code == 201
    replay = alice.post("", body, key="register-1")  # the same Idempotency-Key: the first answer again
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    again = problem_of(alice.post("", body), 422, "device-registration-refused")
    assert fields_of(again) == ["challenge_id"]
    taken = problem_of(alice.post("", alice.registration(pair)), 409, "device-conflict")
    assert fields_of(taken) == ["public_key"]


def test_a_challenge_of_another_customer_does_not_register(alice: Customer, bob: Customer) -> None:
    pair = DeviceKeyPair("p256")
    bobs_body = bob.registration(pair)
    document = problem_of(alice.post("", bobs_body), 422, "device-registration-refused")
    assert fields_of(document) == ["challenge_id"]


def test_one_idempotency_key_serves_each_customer_apart(alice: Customer, bob: Customer) -> None:
    alices = alice.post("/challenges", key="same-key").json()
    bobs = bob.post("/challenges", key="same-key").json()
    assert (alices["subject_id"], bobs["subject_id"]) == (alice.subject, bob.subject)
    assert alices["id"] != bobs["id"]


def test_the_combined_check_answers_the_device_and_its_signal(alice: Customer) -> None:
    pair = alice.register("ed25519")
    first = alice.signed_post(pair, {"amount": "10.00"}, target=CHECKED_ROUTE)
    assert first.status_code == 200, first.text
    assert first.json() == {"device_id": pair.device_id, "subject_id": alice.subject, "is_new_device": True}
    second = alice.signed_post(pair, {"amount": "10.00"}, target=CHECKED_ROUTE)
    assert second.json()["is_new_device"] is False
    copy = second.request
    replayed = alice.client.post(CHECKED_ROUTE, content=copy.content, headers=dict(copy.headers))
    _refused(replayed, "replayed", NONCE_HEADER)


def test_a_stolen_then_revoked_session_is_refused(alice: Customer, client: TestClient) -> None:
    pair = alice.register()
    stolen = dict(alice.browser.session)
    assert client.post("/v1/auth/logout", headers=alice.browser.bearer()).status_code == 204
    thief = Customer(replace(alice.browser, session=stolen))
    for response in (
        thief.get(),
        thief.post("/challenges"),
        thief.delete(f"/{pair.device_id}"),
        thief.signed_post(pair, {}),  # a valid device signature does not stand in for the session
    ):
        problem_of(response, 401, "session-refused")
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_an_api_key_or_no_token_is_not_a_customer_session(
    alice: Customer, support: SupportDesk, client: TestClient
) -> None:
    for headers in ({}, support.headers()):
        for response in (
            client.get("/v1/devices", headers=headers),
            client.post("/v1/devices/challenges", headers=headers | {"Idempotency-Key": "k1"}),
        ):
            problem_of(response, 401, "session-refused")


def test_the_support_desk_reads_and_revokes_a_customers_device(
    alice: Customer, bob: Customer, support: SupportDesk
) -> None:
    pair = alice.register()
    [listed] = support.get(alice.subject).json()["data"]
    assert listed["id"] == pair.device_id
    assert support.get(alice.subject, f"/{pair.device_id}").json()["status"] == "active"
    problem_of(support.get(bob.subject, f"/{pair.device_id}"), 404, "device-not-found")
    problem_of(support.delete(bob.subject, f"/{pair.device_id}"), 404, "device-not-found")
    revoked = support.delete(alice.subject, f"/{pair.device_id}")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["status"] == "revoked"
    assert alice.get(f"/{pair.device_id}").json()["status"] == "revoked"
    _refused(alice.signed_post(pair, {}), "revoked", DEVICE_ID_HEADER)


def test_only_an_operator_key_with_devices_admin_reaches_the_support_path(
    alice: Customer, operator_key: Callable[..., SupportDesk]
) -> None:
    pair = alice.register()
    nobody = operator_key()
    response = nobody.get(alice.subject)
    problem_of(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")
    document = problem_of(operator_key("payments:write", "ledger:read").get(alice.subject), 403, "forbidden")
    assert "devices:admin" in document["detail"]
    as_customer = alice.client.get(f"/v1/subjects/{alice.subject}/devices", headers=alice.browser.bearer())
    assert as_customer.status_code == 401  # a customer session is not an operator key
    weak = operator_key("payments:write")
    problem_of(weak.delete(alice.subject, f"/{pair.device_id}"), 403, "forbidden")
    assert alice.get(f"/{pair.device_id}").json()["status"] == "active"
    admin = operator_key("devices:admin")
    for subject in ("bad%20subject!", "x" * 65):
        assert fields_of(problem_of(admin.get(subject), 422, "validation-error")) == ["subject_id"]
    bad_device = problem_of(admin.get(alice.subject, "/dev_nope"), 422, "validation-error")
    assert fields_of(bad_device) == ["device_id"]


def test_a_route_naming_its_subject_verifies_that_subjects_device(alice: Customer, bob: Customer) -> None:
    pair = alice.register()
    target = f"{FOR_SUBJECT_ROUTE}/{alice.subject}"
    content = b'{"amount": "25.00"}'
    signed = pair.signed_headers("POST", target, content, alice.clock.now)
    accepted = alice.client.post(target, content=content, headers=signed)  # no session at all
    assert accepted.json() == {"device_id": pair.device_id, "subject_id": alice.subject}
    _refused(alice.client.post(target, content=content, headers=signed), "replayed", NONCE_HEADER)
    for_bob = f"{FOR_SUBJECT_ROUTE}/{bob.subject}"
    signed = pair.signed_headers("POST", for_bob, content, alice.clock.now)
    _refused(alice.client.post(for_bob, content=content, headers=signed), "unknown-device", DEVICE_ID_HEADER)
    _refused(alice.client.post(target, content=content), "missing", DEVICE_ID_HEADER)


def test_every_revocation_is_audited_naming_who_revoked(
    alice: Customer, support: SupportDesk, settings: ApiSettings
) -> None:
    by_support, by_alice = alice.register(), alice.register("ed25519")
    assert support.delete(alice.subject, f"/{by_support.device_id}").status_code == 200
    assert support.delete(alice.subject, f"/{by_support.device_id}").status_code == 200  # again: no record
    assert alice.delete(f"/{by_alice.device_id}").status_code == 200
    records = chained_records(settings.database_url, [by_support.device_id, by_alice.device_id])
    assert [(record.subject, record.action, record.details) for record in records] == [
        (by_support.device_id, "risk.device.revoked", {"subject_id": alice.subject}),
        (by_alice.device_id, "risk.device.revoked", {"subject_id": alice.subject}),
    ]
    assert records[0].actor.startswith("key:")
    assert records[1].actor.startswith("session:ses_")
