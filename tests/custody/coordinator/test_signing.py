"""Tests of `SigningCoordinator.sign` against a running 2-of-3 group of real node processes over mutual TLS.

The group runs for the whole module; a test that stops, kills or freezes a node brings it back.
"""

import asyncio
import os
import secrets
import signal
import time
from collections.abc import Iterator

import pytest

from custody.audit import AuditLog
from custody.coordinator.client import NodeClient
from custody.coordinator.errors import NodeRefused, SigningFailed, UnknownGroupKey
from custody.coordinator.signing import SigningCoordinator
from custody.frost import Signature, is_onchain_verifiable, verify_signature
from custody.protocol.signing import Commitment, IntentEnvelope
from custody.roster import Roster, RosterNode
from tests.helpers.custody_nodes import TEST_KEY_ID, CustodyGroup, anchor_intent, request_id
from tests.helpers.sign_requests import commitments_of, round1_request, round2_request


@pytest.fixture
def fixed_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the coordinator try nodes in roster order (1, 2, 3) instead of a random one."""
    monkeypatch.setattr("custody.coordinator.signing.random.shuffle", lambda nodes: None)


def coordinator_audit(group: CustodyGroup) -> list[dict[str, object]]:
    log = AuditLog.open_file(group.root / "coordinator" / "audit.jsonl")
    return [{"action": r.action, "subject": r.subject, **r.details} for r in log.records()]


def verifies(group: CustodyGroup, intent: IntentEnvelope, signature: Signature) -> bool:
    _, public = group.keys[TEST_KEY_ID]
    return verify_signature(public.group_public_key, intent.decode()[1], signature)


@pytest.fixture
def frozen_node_1(running_group: CustodyGroup) -> Iterator[None]:
    """Node 1 stopped with SIGSTOP: it accepts connections (the kernel does) but never answers."""
    process = running_group.nodes[1].process
    assert process is not None
    assert process.pid is not None
    os.kill(process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(process.pid, signal.SIGCONT)


def test_the_coordinator_signs_with_a_threshold_of_nodes(running_group: CustodyGroup) -> None:
    intent, request = anchor_intent(), request_id()

    async def sign() -> Signature:
        async with running_group.coordinator() as coordinator:
            return await coordinator.sign(TEST_KEY_ID, request, intent)

    signature = asyncio.run(sign())

    assert verifies(running_group, intent, signature)
    assert is_onchain_verifiable(running_group.keys[TEST_KEY_ID][1].group_public_key)
    completed = coordinator_audit(running_group)[-1]
    assert completed["action"] == "sign.completed"
    assert completed["request_id"] == request
    assert len(completed["signers"]) == 2  # type: ignore[arg-type]
    assert completed["signature"] == signature.to_bytes().hex()


def test_a_dead_node_is_skipped_and_then_avoided(running_group: CustodyGroup, fixed_order: None) -> None:
    intents = [anchor_intent() for _ in range(3)]

    async def sign_all() -> list[Signature]:
        async with running_group.coordinator() as coordinator:
            return [await coordinator.sign(TEST_KEY_ID, request_id(), intent) for intent in intents]

    with running_group.revived():
        running_group.kill(1)
        signatures = asyncio.run(sign_all())

    assert all(verifies(running_group, i, s) for i, s in zip(intents, signatures, strict=True))
    completed = [entry for entry in coordinator_audit(running_group) if entry["action"] == "sign.completed"]
    first, *later = completed[-3:]
    assert first["signers"] == [2, 3]
    assert first["skipped"]["1"]["kind"] == "unavailable"  # type: ignore[index]
    assert all(entry["signers"] == [2, 3] and entry["skipped"] == {} for entry in later)


def test_too_few_live_nodes_fail_with_each_nodes_story(running_group: CustodyGroup) -> None:
    async def sign() -> Signature:
        async with running_group.coordinator(timeout=1) as coordinator:
            return await coordinator.sign(TEST_KEY_ID, request_id(), anchor_intent())

    with running_group.revived():
        running_group.kill(2)
        running_group.kill(3)
        with pytest.raises(SigningFailed) as failure:
            asyncio.run(sign())

    assert failure.value.threshold == 2
    assert sorted(failure.value.failures) == [2, 3]
    assert {f.kind for f in failure.value.failures.values()} == {"unavailable"}
    assert coordinator_audit(running_group)[-1]["action"] == "sign.failed"


def test_a_hung_node_costs_at_most_the_timeout(
    running_group: CustodyGroup, fixed_order: None, frozen_node_1: None
) -> None:
    intent = anchor_intent()

    async def sign() -> tuple[Signature, float]:
        async with running_group.coordinator(timeout=0.5) as coordinator:
            started = time.monotonic()
            signature = await coordinator.sign(TEST_KEY_ID, request_id(), intent)
            return signature, time.monotonic() - started

    signature, elapsed = asyncio.run(sign())

    assert verifies(running_group, intent, signature)
    assert 0.5 <= elapsed < 5.0
    completed = coordinator_audit(running_group)[-1]
    assert completed["signers"] == [2, 3]
    assert "no answer within 0.5 s" in completed["skipped"]["1"]["detail"]  # type: ignore[index]


def test_a_policy_refusal_is_reported_with_the_nodes_reasons(running_group: CustodyGroup) -> None:
    async def sign() -> SigningFailed:
        async with running_group.coordinator() as coordinator:
            with pytest.raises(SigningFailed) as failure:
                await coordinator.sign(TEST_KEY_ID, request_id(), anchor_intent(kind=3))
            assert coordinator.suspects == frozenset()
            return failure.value

    failure = asyncio.run(sign())

    assert sorted(failure.failures) == [1, 2, 3]
    for refusal in failure.failures.values():
        assert refusal.kind == "refused"
        assert refusal.problem_type.endswith("policy-refused")
        assert any("anchor kind 3" in reason for reason in refusal.reasons)


def test_a_server_presenting_another_nodes_certificate_is_not_trusted(
    running_group: CustodyGroup, fixed_order: None
) -> None:
    """Node 1's address answers with a certificate the roster does not pin for node 1."""
    entries = {node.node_id: node for node in running_group.roster}
    entries[1] = RosterNode(1, entries[1].url, entries[1].keys, entries[2].tls_sha256)
    entries[2] = RosterNode(2, entries[2].url, entries[2].keys, running_group.roster.node(1).tls_sha256)
    swapped = Roster(entries.values())
    intent = anchor_intent()

    async def sign() -> tuple[SigningFailed, frozenset[int]]:
        async with NodeClient(running_group.client_context()) as client:
            audit = AuditLog.open_file(running_group.root / "coordinator" / "audit.jsonl")
            coordinator = SigningCoordinator(swapped, client, running_group.public_keys(), audit=audit)
            with pytest.raises(SigningFailed) as failure:
                await coordinator.sign(TEST_KEY_ID, request_id(), intent)
            return failure.value, coordinator.suspects

    failure, suspects = asyncio.run(sign())

    assert {node: f.kind for node, f in failure.failures.items()} == {1: "misbehaved", 2: "misbehaved"}
    assert "did not present the certificate the roster pins" in failure.failures[1].detail
    assert suspects == {1, 2}
    flagged = [e for e in coordinator_audit(running_group) if e["action"] == "sign.node-misbehaved"]
    assert {node for e in flagged[-2:] for node in e["nodes"]} == {1, 2}  # type: ignore[attr-defined]


def test_an_unknown_key_is_refused_before_any_node_is_asked(running_group: CustodyGroup) -> None:
    async def sign() -> Signature:
        async with running_group.coordinator() as coordinator:
            return await coordinator.sign("cold-storage", request_id(), anchor_intent())

    with pytest.raises(UnknownGroupKey):
        asyncio.run(sign())


async def committed_session(
    client: NodeClient, group: CustodyGroup, intent: IntentEnvelope, signers: list[int]
) -> tuple[str, str, dict[int, Commitment]]:
    session, request = secrets.token_hex(16), request_id()
    body = round1_request(session, request, intent)
    answers = await asyncio.gather(*(client.round1(group.roster.node(n), body) for n in signers))
    return session, request, commitments_of(answers)


@pytest.mark.parametrize(
    ("signers", "replayed", "problem"),
    [([1, 2], True, "session-used"), ([2, 3], False, "intent-mismatch")],
    ids=["a-replayed-round-two", "another-intent-for-the-same-commitments"],
)
def test_a_second_round_two_for_a_session_is_refused(
    running_group: CustodyGroup, signers: list[int], replayed: bool, problem: str
) -> None:
    """Round two of a session a node has signed already (replayed), or with an intent other than the one
    its commitments were made for: the node refuses it."""
    intent = anchor_intent()
    node = running_group.roster.node(signers[0])

    async def second_round_two() -> NodeRefused:
        async with NodeClient(running_group.client_context()) as client:
            session, request, commitments = await committed_session(client, running_group, intent, signers)
            if replayed:
                first = await client.round2(node, round2_request(session, request, intent, commitments))
                assert first.identifier == node.node_id
            body = round2_request(session, request, intent if replayed else anchor_intent(), commitments)
            with pytest.raises(NodeRefused) as refusal:
                await client.round2(node, body)
            return refusal.value

    refusal = asyncio.run(second_round_two())

    assert refusal.status == 409
    assert refusal.problem_type.endswith(problem)
