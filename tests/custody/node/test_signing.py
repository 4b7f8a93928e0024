"""Tests of a node's signing rounds over its real key store, policy, session book and audit log, in process.

What must hold whatever the coordinator sends: a nonce is stored before its commitment leaves the node and
consumed before its share does; a session signs at most once; round two signs only the intent, key and
request that round one bound the nonce to, under the node's own commitment; the policy is asked at both
rounds and records what is signed; stale or pre-restart sessions can never complete.
"""

import hashlib
import json
import secrets
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from httpx import Response

from chain.intents import TreasuryTx
from custody.frost import (
    PublicKeyPackage,
    SignatureShare,
    SigningPackage,
    aggregate,
    round1_commit,
    verify_signature,
    verify_signature_share,
)
from custody.node.records.shares import load_key
from custody.node.runtime import NodeRuntime
from custody.node.signing.service import NONCE_PREFIX
from custody.node.signing.sessions import nonce_name
from custody.policy.approvals import sign_approval
from custody.protocol.errors import NodeError, SessionUsed
from custody.protocol.signing import Commitment, IntentEnvelope, Round1Request, Round2Request
from tests.custody.node.conftest import NONCE_TTL_SECONDS, Clock, LocalNode, open_local_node
from tests.helpers.custody_nodes import (
    TEST_CHAIN_ID,
    TEST_CONTRACT,
    TEST_KEY_ID,
    TEST_KEY_VERSION,
    CustodyGroup,
    Key,
    anchor_intent,
    request_id,
)
from tests.helpers.sign_requests import round1_request, round2_request
from tests.helpers.threads import run_concurrently

COORDINATOR = "tpw-coordinator"


def session_id() -> str:
    return secrets.token_hex(16)


def round1_body(session: str, request: str, intent: IntentEnvelope, **fields: Any) -> dict[str, Any]:
    return round1_request(session, request, intent, **fields).model_dump(mode="json")


def round2_body(
    session: str, request: str, intent: IntentEnvelope, commitments: dict[int, dict[str, str]], **fields: Any
) -> dict[str, Any]:
    wire = {node: Commitment(**commitment) for node, commitment in commitments.items()}
    return round2_request(session, request, intent, wire, **fields).model_dump(mode="json")


def post(node: LocalNode, path: str, body: dict[str, Any]) -> Response:
    return node.client.post(f"/v1/sign/{path}", json=body)


def problem_of(response: Response) -> str:
    assert response.headers["content-type"] == "application/problem+json"
    problem_type: str = response.json()["type"]
    return problem_type.rsplit(":", 1)[1]


def open_session(
    nodes: dict[int, LocalNode], signers: list[int], intent: IntentEnvelope, session: str, request: str
) -> dict[int, dict[str, str]]:
    commitments = {}
    for node_id in signers:
        response = post(nodes[node_id], "round1", round1_body(session, request, intent))
        assert response.status_code == 200, response.text
        answer = response.json()
        assert answer["identifier"] == node_id
        commitments[node_id] = {"hiding": answer["hiding"], "binding": answer["binding"]}
    return commitments


def nonce_names(node: LocalNode) -> list[str]:
    return [nonce_name(session) for session in node.runtime.sessions.nonce_holders()]


def nonce_record(runtime: NodeRuntime, session: str) -> dict[str, object]:
    """The nonce record session `session` holds (sealed in the node's state database), opened."""
    sealed = runtime.sessions.sealed_nonce(session)
    assert sealed is not None
    record: dict[str, object] = json.loads(runtime.keystore.unseal(nonce_name(session), sealed))
    return record


def signing_package(commitments: dict[int, dict[str, str]], message: bytes) -> SigningPackage:
    """The package a coordinator builds of the signers' wire commitments and the intent's digest."""
    return SigningPackage({node: Commitment(**wire).decode() for node, wire in commitments.items()}, message)


def test_two_nodes_sign_an_intent_and_their_shares_make_the_group_signature(
    local_nodes: dict[int, LocalNode], dealer_key: Key
) -> None:
    intent, session, request = anchor_intent(), session_id(), request_id()
    commitments = open_session(local_nodes, [1, 3], intent, session, request)
    _, digest = intent.decode()
    package = signing_package(commitments, digest)

    shares = {}
    for node_id in (1, 3):
        response = post(local_nodes[node_id], "round2", round2_body(session, request, intent, commitments))
        assert response.status_code == 200, response.text
        assert response.json()["identifier"] == node_id
        shares[node_id] = SignatureShare.from_bytes(bytes.fromhex(response.json()["share"]))
        assert verify_signature_share(package, node_id, shares[node_id], dealer_key[1])

    signature = aggregate(package, shares, dealer_key[1])
    assert verify_signature(dealer_key[1].group_public_key, digest, signature)


def test_round_one_stores_the_nonce_bound_to_the_intent_before_answering(
    local_nodes: dict[int, LocalNode],
) -> None:
    intent, session, request = anchor_intent(), session_id(), request_id()
    node = local_nodes[1]

    open_session(local_nodes, [1], intent, session, request)

    assert nonce_names(node) == [NONCE_PREFIX + session]
    record = nonce_record(node.runtime, session)
    assert record["digest"] == intent.decode()[1].hex()
    assert (record["key_id"], record["request_id"]) == (TEST_KEY_ID, request)


def test_round_two_consumes_the_nonce_and_a_replay_is_refused(local_nodes: dict[int, LocalNode]) -> None:
    intent, session, request = anchor_intent(), session_id(), request_id()
    commitments = open_session(local_nodes, [1, 2], intent, session, request)
    body = round2_body(session, request, intent, commitments)

    assert post(local_nodes[1], "round2", body).status_code == 200
    assert nonce_names(local_nodes[1]) == []
    replay = post(local_nodes[1], "round2", body)

    assert replay.status_code == 409
    assert problem_of(replay) == "session-used"


def test_a_session_signs_once_even_when_two_requests_race(local_nodes: dict[int, LocalNode]) -> None:
    intent, session, request = anchor_intent(), session_id(), request_id()
    commitments = open_session(local_nodes, [1, 2], intent, session, request)
    body = Round2Request.model_validate(round2_body(session, request, intent, commitments))
    outcomes: list[object] = []
    barrier = threading.Barrier(4)

    def attempt() -> None:
        barrier.wait()
        try:
            outcomes.append(local_nodes[1].runtime.signing.round2(body, COORDINATOR))
        except NodeError as refusal:
            outcomes.append(refusal)

    run_concurrently(attempt, 4)

    shares = [outcome for outcome in outcomes if not isinstance(outcome, NodeError)]
    assert len(shares) == 1
    assert all(isinstance(outcome, SessionUsed) for outcome in outcomes if outcome not in shares)


def test_round_two_for_an_unknown_session_is_refused(local_nodes: dict[int, LocalNode]) -> None:
    intent, request = anchor_intent(), request_id()
    commitments = open_session(local_nodes, [1, 2], intent, session_id(), request)

    response = post(local_nodes[1], "round2", round2_body(session_id(), request, intent, commitments))

    assert response.status_code == 404
    assert problem_of(response) == "unknown-session"


def test_a_session_id_opens_one_session_only(local_nodes: dict[int, LocalNode]) -> None:
    intent, session, request = anchor_intent(), session_id(), request_id()
    open_session(local_nodes, [1], intent, session, request)
    stored = local_nodes[1].runtime.sessions.sealed_nonce(session)

    again = post(local_nodes[1], "round1", round1_body(session, request, intent))

    assert again.status_code == 409
    assert problem_of(again) == "session-exists"
    assert local_nodes[1].runtime.sessions.sealed_nonce(session) == stored


def test_a_different_intent_for_the_same_commitments_is_refused_and_ends_the_session(
    local_nodes: dict[int, LocalNode],
) -> None:
    intent, session, request = anchor_intent(), session_id(), request_id()
    commitments = open_session(local_nodes, [1, 2], intent, session, request)
    other = anchor_intent()

    response = post(local_nodes[1], "round2", round2_body(session, request, other, commitments))

    assert response.status_code == 409
    assert problem_of(response) == "intent-mismatch"
    assert nonce_names(local_nodes[1]) == []
    honest_retry = post(local_nodes[1], "round2", round2_body(session, request, intent, commitments))
    assert honest_retry.status_code == 409
    assert problem_of(honest_retry) == "session-used"


@pytest.mark.parametrize("change", ["request", "key"])
def test_round_two_must_name_the_request_and_key_of_round_one(
    local_nodes: dict[int, LocalNode], change: str
) -> None:
    intent, session, request = anchor_intent(), session_id(), request_id()
    commitments = open_session(local_nodes, [1, 2], intent, session, request)
    body = round2_body(
        session,
        request_id() if change == "request" else request,
        intent,
        commitments,
        key_id="other-key" if change == "key" else TEST_KEY_ID,
    )

    response = post(local_nodes[1], "round2", body)

    assert response.status_code == 409
    assert problem_of(response) == "intent-mismatch"


def test_a_commitment_listed_otherwise_than_the_node_made_it_is_refused(
    local_nodes: dict[int, LocalNode],
) -> None:
    intent, session, request = anchor_intent(), session_id(), request_id()
    commitments = open_session(local_nodes, [1, 2], intent, session, request)
    own = commitments[1]
    commitments[1] = {"hiding": own["binding"], "binding": own["hiding"]}

    response = post(local_nodes[1], "round2", round2_body(session, request, intent, commitments))

    assert response.status_code == 409
    assert problem_of(response) == "commitment-mismatch"
    assert nonce_names(local_nodes[1]) == []


def test_signers_must_hold_the_key_and_reach_its_threshold(local_nodes: dict[int, LocalNode]) -> None:
    intent, request = anchor_intent(), request_id()
    first, second = session_id(), session_id()
    with_stranger = open_session(local_nodes, [1, 2], intent, first, request)
    with_stranger[7] = with_stranger.pop(2)
    alone = open_session(local_nodes, [1], intent, second, request)

    stranger = post(local_nodes[1], "round2", round2_body(first, request, intent, with_stranger))
    too_few = post(local_nodes[1], "round2", round2_body(second, request, intent, alone))

    assert (stranger.status_code, too_few.status_code) == (400, 400)
    assert "hold no share" in stranger.json()["detail"]
    assert "threshold" in too_few.json()["detail"]


def test_the_policy_refuses_at_round_one_without_opening_a_session(local_nodes: dict[int, LocalNode]) -> None:
    forbidden = anchor_intent(kind=3)

    response = post(local_nodes[1], "round1", round1_body(session_id(), request_id(), forbidden))

    assert response.status_code == 403
    assert problem_of(response) == "policy-refused"
    assert any("anchor kind 3" in reason for reason in response.json()["reasons"])
    assert nonce_names(local_nodes[1]) == []


def test_a_request_id_names_one_intent(local_nodes: dict[int, LocalNode]) -> None:
    request = request_id()
    open_session(local_nodes, [1], anchor_intent(), session_id(), request)

    response = post(local_nodes[1], "round1", round1_body(session_id(), request, anchor_intent()))

    assert response.status_code == 409
    assert problem_of(response) == "request-conflict"


def test_a_nonce_older_than_its_time_to_live_cannot_sign_and_is_swept(
    local_nodes: dict[int, LocalNode], clock: Clock
) -> None:
    intent, stale, request = anchor_intent(), session_id(), request_id()
    commitments = open_session(local_nodes, [1, 2], intent, stale, request)
    swept = session_id()
    open_session(local_nodes, [2], anchor_intent(), swept, request_id())
    clock.now += NONCE_TTL_SECONDS + 1

    response = post(local_nodes[1], "round2", round2_body(stale, request, intent, commitments))
    expired = local_nodes[2].runtime.signing.expire_stale("test")

    assert response.status_code == 409
    assert problem_of(response) == "session-expired"
    assert sorted(expired) == sorted([stale, swept])
    assert nonce_names(local_nodes[2]) == []


def test_a_restart_abandons_every_open_session(
    group_files: CustodyGroup, local_nodes: dict[int, LocalNode], clock: Clock
) -> None:
    intent, session, request = anchor_intent(), session_id(), request_id()
    commitments = open_session(local_nodes, [1, 2], intent, session, request)

    # The node process dies without closing anything; a new process opens the same directory.
    runtime = open_local_node(group_files, 1, clock)
    try:
        runtime.start()
        assert runtime.sessions.nonce_holders() == []
        body = Round2Request.model_validate(round2_body(session, request, intent, commitments))
        with pytest.raises(SessionUsed):
            runtime.signing.round2(body, COORDINATOR)
    finally:
        runtime.close()


def test_every_step_is_in_the_audit_log_with_the_coordinator_as_actor(
    local_nodes: dict[int, LocalNode],
) -> None:
    intent, session, request = anchor_intent(), session_id(), request_id()
    commitments = open_session(local_nodes, [1, 2], intent, session, request)
    body = round2_body(session, request, intent, commitments)
    post(local_nodes[1], "round2", body)
    post(local_nodes[1], "round2", body)

    log = local_nodes[1].runtime.audit
    records = [record for record in log.records() if record.subject == f"session:{session}"]

    assert [record.action for record in records] == ["sign.round1", "sign.round2", "sign.round2.replay"]
    assert {record.actor for record in records} == {COORDINATOR}
    assert records[1].details["digest"] == "0x" + intent.decode()[1].hex()
    assert records[1].details["signers"] == [1, 2]
    assert log.verify().ok


def test_the_policy_has_the_last_word_at_round_two(tmp_path: Path, dealer_key: Key) -> None:
    """Two sessions both pass round one under a velocity of one signature; only the first may sign."""
    policy = (
        "version: 1\ndefault:\n  chains:\n    31337:\n      contracts:\n"
        f'        "{TEST_CONTRACT}": [Anchor]\n'
        "      anchor: {kinds: [1], velocity: {max_signatures: 1, window_seconds: 3600}}\n"
    )
    group = CustodyGroup(tmp_path / "group", {TEST_KEY_ID: dealer_key}, policy_yaml=policy)
    clock = Clock()
    runtimes = {node_id: open_local_node(group, node_id, clock) for node_id in (1, 2)}
    try:
        sessions = []
        for _ in range(2):
            intent, session, request = anchor_intent(), session_id(), request_id()
            commitments = {}
            for node_id, runtime in runtimes.items():
                answer = runtime.signing.round1(
                    Round1Request.model_validate(round1_body(session, request, intent)), COORDINATOR
                )
                commitments[node_id] = {"hiding": answer.hiding, "binding": answer.binding}
            sessions.append(Round2Request.model_validate(round2_body(session, request, intent, commitments)))

        runtimes[1].signing.round2(sessions[0], COORDINATOR)
        with pytest.raises(NodeError) as refusal:
            runtimes[1].signing.round2(sessions[1], COORDINATOR)

        assert refusal.value.problem == "policy-refused"
        assert "velocity" in refusal.value.detail
        assert runtimes[1].sessions.sealed_nonce(sessions[1].session_id) is None
    finally:
        for runtime in runtimes.values():
            runtime.close()


def test_operator_approvals_reach_the_policy(tmp_path: Path, dealer_key: Key) -> None:
    operator = Account.from_key(hashlib.sha256(b"node test operator").digest())
    treasury = Account.from_key(hashlib.sha256(b"node test treasury").digest()).address
    policy = f"""\
version: 1
operators: {{alice: "{operator.address}"}}
default:
  chains:
    {TEST_CHAIN_ID}:
      contracts: {{"{treasury}": [TreasuryTx]}}
      treasury_tx:
        destinations: any
        max_deadline_horizon_seconds: 86400
        velocity: {{max_signatures: 10, window_seconds: 3600}}
        assets:
          "0x0000000000000000000000000000000000000000":
            per_tx_limit: 1000
            rolling_24h_limit: 1000
            approvals: {{above: 10, required: 1, operators: [alice]}}
"""
    group = CustodyGroup(tmp_path / "group", {TEST_KEY_ID: dealer_key}, policy_yaml=policy)
    clock = Clock(int(time.time()))
    runtime = open_local_node(group, 1, clock)
    try:
        tx = TreasuryTx(
            to=operator.address,
            token="0x0000000000000000000000000000000000000000",
            amount=500,
            data=b"",
            nonce=0,
            deadline=clock.now + 600,
        )
        intent = IntentEnvelope.of(tx, TEST_CHAIN_ID, treasury)
        request = request_id()
        unapproved = Round1Request.model_validate(round1_body(session_id(), request, intent))
        approval = sign_approval(
            operator, tx.digest(TEST_CHAIN_ID, treasury), bytes.fromhex(request[2:]), TEST_CHAIN_ID, treasury
        )
        approved = Round1Request.model_validate(
            round1_body(session_id(), request, intent, approvals=[approval.to_json()])
        )

        with pytest.raises(NodeError) as refusal:
            runtime.signing.round1(unapproved, COORDINATOR)
        answer = runtime.signing.round1(approved, COORDINATOR)

        assert refusal.value.problem == "policy-refused"
        assert "approval" in refusal.value.detail
        assert answer.identifier == 1
    finally:
        runtime.close()


def test_a_rewritten_share_is_used_from_the_next_request_on(
    local_nodes: dict[int, LocalNode], group_files: CustodyGroup, dealer_key: Key
) -> None:
    """A refresh or repair rewrites ``share/<key_id>`` under a running node: the next round must use it, and
    refuse the version it no longer holds (a typed refusal naming the version it does hold)."""

    def node_1_signs(version: str, public: PublicKeyPackage) -> bool:
        intent, session, request = anchor_intent(), session_id(), request_id()
        response = post(local_nodes[1], "round1", round1_body(session, request, intent, key_version=version))
        assert response.status_code == 200, response.text
        _, other = round1_commit(7)  # node 1 checks only its own commitment
        commitments = {
            1: {name: response.json()[name] for name in ("hiding", "binding")},
            2: Commitment.of(other).model_dump(),
        }
        body = round2_body(session, request, intent, commitments, key_version=version)
        answer = post(local_nodes[1], "round2", body)
        package = signing_package(commitments, intent.decode()[1])
        share = SignatureShare.from_bytes(bytes.fromhex(answer.json()["share"]))
        return verify_signature_share(package, 1, share, public)

    assert node_1_signs(TEST_KEY_VERSION, dealer_key[1])
    group_files.corrupt_share(1)
    with group_files.open_keystore(1) as store:
        rewritten = load_key(store, TEST_KEY_ID)

    stale = post(local_nodes[1], "round1", round1_body(session_id(), request_id(), anchor_intent()))
    assert stale.status_code == 409
    assert problem_of(stale) == "key-version-mismatch"
    assert stale.json()["held_versions"] == [rewritten.version]
    assert node_1_signs(rewritten.version, rewritten.public_key_package)
    assert not node_1_signs(rewritten.version, dealer_key[1])
