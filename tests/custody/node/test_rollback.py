"""A node whose state database is restored from a backup finds out and refuses to sign until an operator
acknowledges it (issue 9, point 13): copy a node's state database, sign, restore the copy, sign again.

Real node processes; the evidence of the rollback is the node's own signed state counter, which the
coordinator kept from the node's round-two answer and presents in round one.
"""

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from custody.audit import AuditLog
from custody.cli import cli
from custody.coordinator.client import NodeClient
from custody.coordinator.errors import NodeRefused
from custody.coordinator.signing import SigningCoordinator
from custody.coordinator.state_book import load_statements, save_statements
from custody.protocol.signing import Round1Request, StateStatement
from tests.helpers.custody_nodes import TEST_KEY_ID, TEST_KEY_VERSION, CustodyGroup, anchor_intent, request_id

STATE_FILES = ("", "-wal", "-shm")


def copy_state(source: Path, target: Path) -> None:
    """Copy a stopped node's SQLite state database with its WAL files (whichever exist)."""
    for suffix in STATE_FILES:
        Path(str(target) + suffix).unlink(missing_ok=True)
        origin = Path(str(source) + suffix)
        if origin.exists():
            shutil.copy2(origin, Path(str(target) + suffix))


async def sign_once(group: CustodyGroup, states: dict[int, StateStatement]) -> dict[int, StateStatement]:
    """One signature by a fresh coordinator handed `states`; the statements it holds afterwards."""
    async with NodeClient(group.client_context()) as client:
        audit = AuditLog.open_file(group.root / "coordinator" / "audit.jsonl")
        coordinator = SigningCoordinator(
            group.roster, client, group.public_keys(), audit=audit, states=states
        )
        await coordinator.sign(TEST_KEY_ID, request_id(), anchor_intent())
        return coordinator.state_statements


async def round1(group: CustodyGroup, node_id: int, state: StateStatement | None) -> None:
    async with NodeClient(group.client_context()) as client:
        body = Round1Request(
            session_id=f"rollback-{request_id()[-20:]}",
            key_id=TEST_KEY_ID,
            key_version=TEST_KEY_VERSION,
            request_id=request_id(),
            intent=anchor_intent(),
            state=state,
        )
        await client.round1(group.roster.node(node_id), body)


def test_a_restored_state_database_is_detected_and_refused_until_acknowledged(
    group_files: CustodyGroup, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("custody.coordinator.signing.random.shuffle", lambda nodes: None)  # nodes 1, 2 first
    group = group_files
    state_path = group.layout.node(1).settings.state_path
    backup = tmp_path / "backup" / "state.sqlite"
    backup.parent.mkdir()
    with group:
        group.start()
        states = asyncio.run(sign_once(group, {}))
        assert states[1].counter == 1

        group.stop(1)  # an operator's backup of node 1
        copy_state(state_path, backup)
        group.restart(1)
        states = asyncio.run(sign_once(group, states))
        assert states[1].counter == 2

        group.stop(1)  # ... restored: the second signature is forgotten
        copy_state(backup, state_path)
        group.restart(1)

        with pytest.raises(NodeRefused) as refused:
            asyncio.run(round1(group, 1, states[1]))
        assert refused.value.status == 409
        assert refused.value.problem_type.endswith(":state-rolled-back")
        with pytest.raises(NodeRefused):  # the alarm is durable: a coordinator without the statement too
            asyncio.run(round1(group, 1, None))
        after = asyncio.run(sign_once(group, states))  # the group signs on without node 1
        assert after[1].counter == 2
        actions = [record.action for record in AuditLog.open_file(group.nodes[1].audit_path).records()]
        assert actions.count("sign.round1.rolled-back") == 3

        result = CliRunner(mix_stderr=False).invoke(
            cli, ["node", "acknowledge-rollback", "--dir", str(group.root), "--node", "1"]
        )
        assert result.exit_code == 0, result.stderr
        assert "state counter 1 -> 2" in result.stdout
        asyncio.run(round1(group, 1, states[1]))  # signs again
        final = asyncio.run(sign_once(group, after))
        assert final[1].counter == 3
        actions = [record.action for record in AuditLog.open_file(group.nodes[1].audit_path).records()]
        assert "node.rollback-acknowledged" in actions


def test_a_statement_the_node_did_not_sign_is_ignored(running_group: CustodyGroup) -> None:
    """A forged counter, or another node's real one relabelled, cannot make an intact node refuse."""
    forged = StateStatement(node_id=1, counter=10**9, signature="ab" * 64)
    asyncio.run(round1(running_group, 1, forged))
    states = asyncio.run(sign_once(running_group, {}))
    foreign = next(statement for node_id, statement in states.items() if node_id != 1)  # two signed
    asyncio.run(round1(running_group, 1, foreign.model_copy(update={"node_id": 1, "counter": 10**9})))


def test_the_coordinator_keeps_the_statements_across_a_restart(
    running_group: CustodyGroup, tmp_path: Path
) -> None:
    """Saved after a signature and read back by the next coordinator: only statements that verify."""
    path = tmp_path / "coordinator" / "node-states.json"
    assert load_statements(path, running_group.roster) == {}  # nothing saved yet
    states = asyncio.run(sign_once(running_group, {}))
    assert save_statements(path, states, running_group.roster) == states
    assert load_statements(path, running_group.roster) == states
    assert path.stat().st_mode & 0o777 == 0o600
    older = {node_id: states[node_id] for node_id in states}
    newer = asyncio.run(sign_once(running_group, states))  # another API process, further on
    assert save_statements(path, newer, running_group.roster) == newer
    assert save_statements(path, older, running_group.roster) == newer  # an older set never wins
    states = newer

    raw = json.loads(path.read_text())
    raw[0]["counter"] += 1  # a statement edited after the node signed it
    path.write_text(json.dumps(raw))
    kept = load_statements(path, running_group.roster)
    assert kept == {node_id: s for node_id, s in states.items() if node_id != raw[0]["node_id"]}

    path.write_text("not json")
    assert load_statements(path, running_group.roster) == {}
