"""Real node processes and their audit logs: checkpoints on a timer and at shutdown, the signed head they
hand out, and a key-store secret that never sits in the process's environment."""

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from custody.audit import CHECKPOINT_ACTION, AuditLog, FileAuditStore, verify
from custody.audit.head import HeadStatement, check_against_heads
from custody.coordinator.audit_heads import collect_heads
from custody.coordinator.ceremony import RelayedMessage
from custody.coordinator.client import NodeClient
from tests.helpers.custody_nodes import TEST_KEK_HEX, TEST_KEY_ID, CustodyGroup, Key

CHECKPOINT_SECONDS = 0.2


@pytest.fixture(scope="module")
def ticking_group(tmp_path_factory: pytest.TempPathFactory, dealer_key: Key) -> Iterator[CustodyGroup]:
    """A group whose nodes checkpoint their audit logs every CHECKPOINT_SECONDS."""
    env = {"TPW_NODE_AUDIT_CHECKPOINT_SECONDS": str(CHECKPOINT_SECONDS)}
    root = tmp_path_factory.mktemp("ticking-group")
    with CustodyGroup(root, {TEST_KEY_ID: dealer_key}, extra_env=env) as group:
        group.start([1])
        yield group


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_a_running_node_checkpoints_its_log_on_a_timer(ticking_group: CustodyGroup) -> None:
    node = ticking_group.nodes[1]
    log = AuditLog.open_file(node.audit_path)

    wait_for(lambda: any(record.action == CHECKPOINT_ACTION for record in log.records()))

    started = next(record for record in log.records() if record.action == "node.started")
    checkpoint = next(record for record in log.records() if record.action == CHECKPOINT_ACTION)
    assert checkpoint.details["seq"] >= started.seq
    verdict = verify(node.audit_path, trusted_keys=[node.roster_entry.keys.verifying_key()])
    assert verdict.ok, verdict.summary()
    assert verdict.checkpointed_seq is not None


def test_an_idle_node_adds_no_checkpoint_after_its_last(ticking_group: CustodyGroup) -> None:
    log = AuditLog.open_file(ticking_group.nodes[1].audit_path)
    wait_for(lambda: list(log.records())[-1].action == CHECKPOINT_ACTION)
    count = len(list(log.records()))

    time.sleep(CHECKPOINT_SECONDS * 3)  # several timer ticks with nothing new to sign

    assert len(list(log.records())) == count


def test_the_node_hands_out_a_signed_head_that_catches_a_later_truncation(
    ticking_group: CustodyGroup,
) -> None:
    node = ticking_group.nodes[1]

    async def fetch() -> HeadStatement:
        async with NodeClient(ticking_group.client_context()) as client:
            answer = await client.call(node.roster_entry, "GET", "/v1/audit/head", None, RelayedMessage)
        return HeadStatement.from_json(answer.root)

    head = asyncio.run(fetch())
    head.verify(node.roster_entry.keys.verifying_key())
    assert head.node_id == 1
    records = list(AuditLog.open_file(node.audit_path).records())
    assert any(r.seq == head.seq and r.hash == head.head_hash for r in records)

    copy = node.audit_path.with_name("cut.jsonl")
    lines = node.audit_path.read_bytes().splitlines(keepends=True)
    copy.write_bytes(b"".join(lines[: head.seq - 1]))  # cut back to just before the stated head
    alone = verify(copy, trusted_keys=[node.roster_entry.keys.verifying_key()])
    against = check_against_heads(alone, FileAuditStore(copy).entries(), [head])

    assert not against.ok
    assert any(str(p.kind) == "truncated" and p.seq == head.seq for p in against.findings)


def test_the_key_store_secret_is_not_in_the_node_environment(ticking_group: CustodyGroup) -> None:
    process = ticking_group.nodes[1].process
    assert process is not None
    assert process.pid is not None

    environ = Path(f"/proc/{process.pid}/environ").read_bytes()

    assert TEST_KEK_HEX.encode() not in environ
    variables = {entry.split(b"=", 1)[0] for entry in environ.split(b"\0") if entry}
    assert b"TPW_CUSTODY_KEK" not in variables
    assert b"TPW_CUSTODY_PASSPHRASE" not in variables
    assert b"TPW_CUSTODY_KEK_FILE" in variables


def test_the_coordinator_collects_and_keeps_every_node_s_head(running_group: CustodyGroup) -> None:
    async def collect() -> dict[int, HeadStatement]:
        async with NodeClient(running_group.client_context()) as client:
            audit = AuditLog.open_file(running_group.root / "coordinator" / "heads.jsonl")
            return await collect_heads(client, running_group.roster, audit)

    heads = asyncio.run(collect())

    assert sorted(heads) == [1, 2, 3]
    for node_id, head in heads.items():
        node = running_group.nodes[node_id]
        alone = verify(node.audit_path)
        assert check_against_heads(alone, FileAuditStore(node.audit_path).entries(), [head]).ok
    kept = list(AuditLog.open_file(running_group.root / "coordinator" / "heads.jsonl").records())[-1]
    assert kept.action == "audit.heads"
    assert HeadStatement.from_json(kept.details["heads"]["2"]) == heads[2]
    assert kept.details["missing"] == {}
