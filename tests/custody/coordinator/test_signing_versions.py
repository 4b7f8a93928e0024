"""A coordinator with a stale copy of a key never blames honest nodes (issue 9, point 14).

Every signing request names the key version the coordinator verifies against; nodes holding another
generation refuse with a typed ``key-version-mismatch``, which is a refusal, not a blame. When nodes refuse
the version, or every share fails verification, the coordinator first re-reads the key the nodes state, and
blames nobody if it was its own copy that was stale. The nodes here are in memory (real FROST rounds with
dealer keys) so each path is pinned down exactly; `test_signing_faults.py` shows the refusal with real
node processes.
"""

import asyncio
from pathlib import Path
from typing import Any

import pytest

from custody.audit import AuditLog
from custody.coordinator.errors import SigningFailed
from custody.coordinator.signing import SigningCoordinator
from custody.frost import (
    PublicKeyPackage,
    verify_signature,
)
from custody.protocol.errors import KeyVersionMismatch
from custody.protocol.ids import key_version
from tests.helpers.custody_nodes import TEST_KEY_ID, anchor_intent, request_id
from tests.helpers.frost_signing import fixed_key
from tests.helpers.memory_signers import VersionedSigners, make_roster

STALE = fixed_key(7)
CURRENT = fixed_key(7, generation=1)  # refreshed: the same group key, new shares
OTHER = fixed_key(8)  # another group key altogether
MISMATCH = KeyVersionMismatch.problem_type()


class Statements:
    """The nodes' signed key statements, as `KeyCoordinator.stated_key` reads them: here, a given key."""

    def __init__(self, stated: PublicKeyPackage) -> None:
        self.stated = stated
        self.reads = 0

    async def __call__(self, key_id: str) -> PublicKeyPackage:
        assert key_id == TEST_KEY_ID
        self.reads += 1
        return self.stated


def coordinator(
    tmp_path: Path, nodes: VersionedSigners, statements: Statements | None = None
) -> tuple[SigningCoordinator, AuditLog]:
    audit = AuditLog.open_file(tmp_path / "coordinator.jsonl")
    signing = SigningCoordinator(
        make_roster(3), nodes, {TEST_KEY_ID: STALE[1]}, audit=audit, key_statements=statements
    )
    return signing, audit


def sign_after_reading_the_stated_key(
    tmp_path: Path, nodes: VersionedSigners
) -> tuple[SigningCoordinator, AuditLog]:
    """One signature by `nodes` (holding `CURRENT`) through a coordinator holding `STALE`: it verifies under
    the current key, and the coordinator read the nodes' key statements once to get there."""
    statements = Statements(CURRENT[1])
    signing, audit = coordinator(tmp_path, nodes, statements)
    intent = anchor_intent()

    signature = asyncio.run(signing.sign(TEST_KEY_ID, request_id(), intent))

    assert verify_signature(CURRENT[1].group_public_key, intent.decode()[1], signature)
    assert statements.reads == 1
    return signing, audit


def actions(audit: AuditLog) -> list[tuple[str, dict[str, Any]]]:
    return [(record.action, record.details) for record in audit.records()]


def test_nodes_refuse_a_stale_key_version_and_nobody_is_blamed(tmp_path: Path) -> None:
    nodes = VersionedSigners(CURRENT)
    signing, audit = coordinator(tmp_path, nodes)

    with pytest.raises(SigningFailed) as failure:
        asyncio.run(signing.sign(TEST_KEY_ID, request_id(), anchor_intent()))

    assert set(nodes.versions_named) == {key_version(STALE[1])}
    assert {node: f.problem_type for node, f in failure.value.failures.items()} == dict.fromkeys(
        (1, 2, 3), MISMATCH
    )
    assert failure.value.culprits == []
    assert signing.suspects == frozenset()
    assert not [action for action, _ in actions(audit) if action.startswith("sign.invalid-share")]


def test_a_refused_version_makes_the_coordinator_read_the_stated_key_and_sign_with_it(
    tmp_path: Path,
) -> None:
    signing, audit = sign_after_reading_the_stated_key(tmp_path, VersionedSigners(CURRENT))

    assert signing.public_keys[TEST_KEY_ID] == CURRENT[1]
    assert signing.suspects == frozenset()
    [restated] = [details for action, details in actions(audit) if action == "sign.key-restated"]
    assert restated["stale_version"] == key_version(STALE[1])
    assert restated["key_version"] == key_version(CURRENT[1])


def test_when_every_share_fails_the_stated_key_is_read_before_anyone_is_blamed(tmp_path: Path) -> None:
    """Nodes that sign whatever version is named (an older release) with the current key: every share fails
    against the coordinator's stale copy, so it re-reads the key instead of marking them all suspect."""
    signing, audit = sign_after_reading_the_stated_key(
        tmp_path, VersionedSigners(CURRENT, check_version=False)
    )

    assert signing.suspects == frozenset()
    assert not [action for action, _ in actions(audit) if action == "sign.invalid-share"]


def test_when_the_stated_key_is_the_coordinators_the_failing_nodes_are_blamed_then_cleared(
    tmp_path: Path,
) -> None:
    nodes = VersionedSigners(STALE, cheat=True)
    statements = Statements(STALE[1])
    signing, audit = coordinator(tmp_path, nodes, statements)

    with pytest.raises(SigningFailed) as failure:
        asyncio.run(signing.sign(TEST_KEY_ID, request_id(), anchor_intent()))

    assert statements.reads == 1
    blamed = failure.value.culprits  # the two signers of the first session; the third alone cannot sign
    assert len(blamed) == 2
    assert signing.suspects == set(blamed)
    first, second = blamed
    assert signing.clear_suspect(first, actor="api-key:ops") is True
    assert signing.clear_suspect(first, actor="api-key:ops") is False
    assert signing.suspects == {second}
    cleared = [
        (record.actor, record.subject, record.details)
        for record in audit.records()
        if record.action == "node.suspect-cleared"
    ]
    assert cleared == [
        ("api-key:ops", f"node:{first}", {"was_suspect": True}),
        ("api-key:ops", f"node:{first}", {"was_suspect": False}),
    ]


def test_a_statement_of_another_group_key_is_no_newer_generation_and_is_not_taken(tmp_path: Path) -> None:
    """A node (or a forged statement) claiming the key is now another group key or threshold: a refresh
    keeps both, so the coordinator keeps its copy, signs nothing under the claimed key, and records it."""
    nodes = VersionedSigners(OTHER)
    statements = Statements(OTHER[1])
    signing, audit = coordinator(tmp_path, nodes, statements)

    with pytest.raises(SigningFailed):
        asyncio.run(signing.sign(TEST_KEY_ID, request_id(), anchor_intent()))

    assert statements.reads == 1
    assert signing.public_keys[TEST_KEY_ID] == STALE[1]
    assert set(nodes.versions_named) == {key_version(STALE[1])}
    assert [action for action, _ in actions(audit)].count("sign.key-restatement-refused") == 1
    assert signing.suspects == frozenset()
