"""A node's key-ceremony sessions as the coordinator meets them over the API: only the coordinator may
drive them, each session id is used once, rounds run in order, refusals are audited with their culprits,
an abort is explained in a signed account, and a restarted node abandons what it left open."""

import asyncio

import httpx
import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from custody.audit import AuditLog
from custody.envelope import Binding, SignedBroadcast, verify_broadcast
from custody.node.ceremonies.service import KeyCeremonies
from custody.node.ceremonies.sessions import SESSION_PREFIX
from custody.node.ceremonies.sharing import SharingRequest
from custody.node.http.transport import tls_extension
from custody.tls import CertificateAuthority
from tests.helpers.key_group import KeyGroup

SESSION = "0123456789abcdef0123456789abcdef"
START = {"session_id": SESSION, "key_id": "treasury", "threshold": 2, "participants": [1, 2, 3]}


@pytest.fixture
def group(tmp_path):
    group = KeyGroup(tmp_path, 3)
    yield group
    group.close()


def post(
    group: KeyGroup, node: int, path: str, body: dict, *, peer_der: bytes | None = None
) -> httpx.Response:
    """One request to node `node`'s key routes, as the coordinator or as the holder of `peer_der`."""
    app = group.app(node, None if peer_der is None else tls_extension(peer_der))

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
            return await client.post(path, json=body)

    return asyncio.run(send())


def test_another_nodes_certificate_cannot_drive_a_ceremony(group):
    node_certificate = CertificateAuthority.create().issue_node(2).certificate.public_bytes(Encoding.DER)
    answer = post(group, 1, "/v1/keys/dkg/round1", START, peer_der=node_certificate)
    assert answer.status_code == 403
    assert group.keystores[1].list(SESSION_PREFIX) == []
    [refusal] = group.audits[1].records()
    assert (refusal.actor, refusal.action) == ("tpw-node-2", "peer.refused")


def test_a_session_id_is_used_once(group):
    assert post(group, 1, "/v1/keys/dkg/round1", START).status_code == 200
    again = post(group, 1, "/v1/keys/dkg/round1", {**START, "key_id": "other"})
    assert again.status_code == 409
    assert again.json()["type"] == "urn:tpwallet:custody:session-exists"


def test_rounds_run_in_order(group):
    unknown = post(group, 1, "/v1/keys/dkg/round3", {"session_id": SESSION, "round2": {"2": {}}})
    assert unknown.status_code == 404
    post(group, 1, "/v1/keys/dkg/round1", START)
    early = post(group, 1, "/v1/keys/dkg/confirm", {"session_id": SESSION, "confirmations": {"2": {}}})
    assert early.status_code == 409
    assert "needs pending" in early.json()["detail"]
    wrong_kind = post(group, 1, "/v1/keys/refresh/round2", {"session_id": SESSION, "round1": {"2": {}}})
    assert wrong_kind.status_code == 409


def test_requests_that_cannot_be_right_are_refused(group):
    for body in (
        {**START, "participants": [2, 3]},
        {**START, "participants": [1, 2, 9]},
        {**START, "threshold": 4},
        {**START, "participants": [1, 1, 2]},
    ):
        answer = post(group, 1, "/v1/keys/dkg/round1", body)
        assert answer.status_code == 400, body
    assert group.keystores[1].list(SESSION_PREFIX) == []


def test_an_abort_is_audited_and_explained_in_a_signed_account(group):
    broadcasts = {str(node): post(group, node, "/v1/keys/dkg/round1", START).json() for node in (1, 2, 3)}
    broadcasts["2"]["payload"] = broadcasts["3"]["payload"]
    refused = post(group, 1, "/v1/keys/dkg/round2", {"session_id": SESSION, "round1": broadcasts})
    assert refused.status_code == 422
    assert refused.json()["culprits"] == [2]

    async def account() -> dict:
        transport = httpx.ASGITransport(app=group.app(1))
        async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
            return (await client.get(f"/v1/keys/sessions/{SESSION}")).json()

    message = SignedBroadcast.from_json(asyncio.run(account()))
    payload = verify_broadcast(message, Binding("session", SESSION, "outcome", 1), group.roster.node(1).keys)
    assert b'"culprits":[2]' in payload
    assert b'"phase":"aborted"' in payload
    [record] = [record for record in group.audits[1].records() if record.action == "keys.dkg.round2.refused"]
    assert record.details["culprits"] == [2]
    assert record.actor == "tpw-coordinator"
    assert record.subject == f"session:{SESSION}"


def test_a_restarted_node_abandons_the_ceremonies_it_left_open(group):
    group.services[1].dkg.round1(SharingRequest(SESSION, "treasury", [1, 2, 3], 2))
    assert group.keystores[1].get_json(f"{SESSION_PREFIX}{SESSION}")["state"]["coefficients"]
    restarted_audit = AuditLog.open_file(group.root / "restarted-audit.jsonl")
    KeyCeremonies(
        node_id=1,
        identity=group.identities[1],
        roster=group.roster,
        keystore=group.keystores[1],
        audit=restarted_audit,
    )
    tombstone = group.keystores[1].get_json(f"{SESSION_PREFIX}{SESSION}")
    assert tombstone["phase"] == "aborted"
    assert "coefficients" not in tombstone["state"]
    [record] = restarted_audit.records()
    assert record.action == "keys.abandoned"
    assert record.details == {"sessions": [SESSION]}


def test_a_session_left_waiting_expires_and_its_secret_state_is_deleted(group):
    group.services[1].dkg.round1(SharingRequest(SESSION, "treasury", [1, 2, 3], 2))
    group.now += 301
    later = post(group, 1, "/v1/keys/dkg/round2", {"session_id": SESSION, "round1": {"1": {}}})
    assert later.status_code == 409
    assert later.json()["type"] == "urn:tpwallet:custody:session-used"
    tombstone = group.keystores[1].get_json(f"{SESSION_PREFIX}{SESSION}")
    assert tombstone == {**tombstone, "phase": "expired", "state": {}}
    assert any(record.action == "keys.expired" for record in group.audits[1].records())
