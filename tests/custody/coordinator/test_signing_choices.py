"""Tests of the coordinator's choices (which nodes, when to start over, whom to blame) over in-memory signers.

`FakeSigners` runs real FROST rounds with a dealer key, one behaviour per node set by the test: down, policy
refusal, down in round two only, a wrong share, an answer in another participant's name. The process tests
show the same paths over mutual TLS; these pin down the decisions quickly and exactly.
"""

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from custody.audit import AuditLog
from custody.coordinator.errors import NodeRefused, NodeUnavailable, SigningFailed
from custody.coordinator.signing import SigningCoordinator
from custody.frost import (
    verify_signature,
)
from custody.protocol.signing import (
    IntentEnvelope,
    Round1Request,
    Round1Response,
    Round2Request,
    Round2Response,
)
from custody.roster import RosterNode
from tests.helpers.custody_nodes import TEST_KEY_ID, Key, anchor_intent, request_id
from tests.helpers.frost_signing import fixed_key
from tests.helpers.memory_signers import MemorySigners, make_roster, wrong_share


class FakeSigners(MemorySigners):
    """The nodes of a group, in memory: honest FROST signers unless `behaviour` says otherwise."""

    def __init__(self, key: Key) -> None:
        super().__init__(key)
        self.behaviour: dict[int, str] = {}
        self.calls: list[tuple[str, int, str]] = []
        self.round2_commitments: list[dict[int, Any]] = []

    async def round1(self, node: RosterNode, request: Round1Request) -> Round1Response:
        self.calls.append(("round1", node.node_id, request.session_id))
        behaviour = self.behaviour.get(node.node_id)
        if behaviour == "down":
            raise NodeUnavailable(node.node_id, "cannot reach it")
        if behaviour == "refuses":
            problem = {
                "type": "urn:tpwallet:custody:policy-refused",
                "detail": "no",
                "reasons": ["not today"],
            }
            raise NodeRefused(node.node_id, 403, problem)
        answer = await super().round1(node, request)
        if behaviour == "impostor":
            return answer.model_copy(update={"identifier": node.node_id + 10})
        return answer

    async def round2(self, node: RosterNode, request: Round2Request) -> Round2Response:
        self.calls.append(("round2", node.node_id, request.session_id))
        self.round2_commitments.append(dict(request.commitments))
        if self.behaviour.get(node.node_id) == "dies-in-round2":
            raise NodeUnavailable(node.node_id, "connection reset")
        answer = await super().round2(node, request)
        return wrong_share(answer) if self.behaviour.get(node.node_id) == "cheats" else answer

    def nodes_called(self, round_name: str) -> list[int]:
        return [node for name, node, _ in self.calls if name == round_name]

    def sessions(self) -> list[str]:
        return list(dict.fromkeys(session for _, _, session in self.calls))


@pytest.fixture
def signers() -> FakeSigners:
    return FakeSigners(fixed_key(7, min_signers=2, max_signers=3))


@pytest.fixture
def audit(tmp_path: Path) -> AuditLog:
    return AuditLog.open_file(tmp_path / "coordinator-audit.jsonl")


@pytest.fixture
def coordinator(signers: FakeSigners, audit: AuditLog, monkeypatch: pytest.MonkeyPatch) -> SigningCoordinator:
    """A coordinator that tries nodes in roster order, so each test knows who is asked first."""
    monkeypatch.setattr("custody.coordinator.signing.random.shuffle", lambda nodes: None)
    return SigningCoordinator(make_roster(3), signers, {TEST_KEY_ID: signers.public_key}, audit=audit)


def sign(coordinator: SigningCoordinator, intent: IntentEnvelope | None = None) -> Any:
    return asyncio.run(coordinator.sign(TEST_KEY_ID, request_id(), intent or anchor_intent()))


def actions(audit: AuditLog) -> list[tuple[str, dict[str, Any]]]:
    return [(record.action, record.details) for record in audit.records()]


def test_honest_nodes_sign_in_one_session_with_the_same_commitments_for_all(
    coordinator: SigningCoordinator, signers: FakeSigners
) -> None:
    intent = anchor_intent()

    signature = sign(coordinator, intent)

    assert verify_signature(signers.public_key.group_public_key, intent.decode()[1], signature)
    assert len(signers.sessions()) == 1
    assert signers.nodes_called("round1") == [1, 2]
    assert sorted(signers.nodes_called("round2")) == [1, 2]
    first, second = signers.round2_commitments
    assert first == second
    assert sorted(first) == [1, 2]


def test_a_cheater_is_named_and_honest_nodes_sign_without_it(
    coordinator: SigningCoordinator, signers: FakeSigners, audit: AuditLog
) -> None:
    signers.behaviour[2] = "cheats"
    intent = anchor_intent()

    signature = sign(coordinator, intent)

    assert verify_signature(signers.public_key.group_public_key, intent.decode()[1], signature)
    assert coordinator.suspects == {2}
    logged = actions(audit)
    assert [action for action, _ in logged] == ["sign.invalid-share", "sign.completed"]
    assert logged[0][1]["nodes"] == [2]
    assert logged[1][1]["signers"] == [1, 3]
    assert logged[1][1]["signature"] == signature.to_bytes().hex()
    assert len(signers.sessions()) == 2


def test_suspects_are_never_asked_again_and_are_reported(
    coordinator: SigningCoordinator, signers: FakeSigners
) -> None:
    signers.behaviour[2] = "cheats"
    sign(coordinator)
    signers.calls.clear()
    signers.behaviour[3] = "down"

    with pytest.raises(SigningFailed) as failure:
        sign(coordinator)

    assert 2 not in signers.nodes_called("round1")
    assert failure.value.suspects == [2]
    assert {node: f.kind for node, f in failure.value.failures.items()} == {3: "unavailable"}
    coordinator.clear_suspect(2)
    assert coordinator.suspects == frozenset()


def test_a_node_lost_in_round_two_ends_the_session_and_another_starts_without_it(
    coordinator: SigningCoordinator, signers: FakeSigners
) -> None:
    signers.behaviour[1] = "dies-in-round2"

    sign(coordinator)

    first, second = signers.sessions()
    in_second = [(name, node) for name, node, session in signers.calls if session == second]
    assert in_second == [("round1", 2), ("round1", 3), ("round2", 2), ("round2", 3)]
    assert first != second


def test_a_node_refusing_in_round_one_is_replaced_within_the_session(
    coordinator: SigningCoordinator, signers: FakeSigners, audit: AuditLog
) -> None:
    signers.behaviour[1] = "refuses"

    sign(coordinator)

    assert len(signers.sessions()) == 1
    assert signers.nodes_called("round1") == [1, 2, 3]
    completed = actions(audit)[-1][1]
    assert completed["signers"] == [2, 3]
    assert completed["skipped"]["1"]["reasons"] == ["not today"]
    assert coordinator.suspects == frozenset()


def test_a_dead_node_costs_once_then_waits_its_turn(
    coordinator: SigningCoordinator, signers: FakeSigners
) -> None:
    signers.behaviour[1] = "down"

    for _ in range(3):
        sign(coordinator)
    coordinator.retry_after_seconds = 0
    sign(coordinator)

    assert Counter(signers.nodes_called("round1"))[1] == 2


def test_a_node_answering_as_another_participant_becomes_suspect(
    coordinator: SigningCoordinator, signers: FakeSigners
) -> None:
    signers.behaviour[1] = "impostor"

    sign(coordinator)

    assert coordinator.suspects == {1}


def test_when_every_node_refuses_the_failure_carries_their_reasons(
    coordinator: SigningCoordinator, signers: FakeSigners, audit: AuditLog
) -> None:
    signers.behaviour.update({1: "refuses", 2: "refuses", 3: "refuses"})

    with pytest.raises(SigningFailed) as failure:
        sign(coordinator)

    assert failure.value.threshold == 2
    assert all(f.reasons == ("not today",) for f in failure.value.failures.values())
    assert "node 1: refused" in str(failure.value)
    assert actions(audit)[-1][0] == "sign.failed"
