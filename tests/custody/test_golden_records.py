"""Golden bytes of custody files other than key stores: audit log lines, audit head statements, the roster,
node state statements and the coordinator's node-states file.

Ed25519 signatures are deterministic, and every key, time and fingerprint here is fixed, so each file is the
same on every run and is compared byte for byte with its golden copy, then read back.
"""

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from custody.audit import AuditLog, AuditRecord, checkpoint_message
from custody.audit.head import HeadStatement
from custody.coordinator.state_book import load_statements, save_statements
from custody.envelope import NodeIdentity
from custody.protocol.signing import StateStatement
from custody.protocol.state import sign_statement, statement_bytes, statement_verifies
from custody.roster import Roster, RosterNode
from tests.helpers.golden import assert_golden

GOLDEN = Path(__file__).parent / "golden"
NODE_IDS = (1, 2, 3)
COORDINATOR_TLS = "c0" * 32
HEAD_TIME = "2026-01-02T03:04:05.678901Z"


def identity(node_id: int) -> NodeIdentity:
    """Node `node_id`'s fixed identity keys."""
    return NodeIdentity(
        Ed25519PrivateKey.from_private_bytes(bytes([node_id]) * 32),
        X25519PrivateKey.from_private_bytes(bytes([node_id + 0x40]) * 32),
    )


@pytest.fixture(scope="module")
def roster() -> Roster:
    nodes = [
        RosterNode(
            node_id,
            f"https://node{node_id}.custody.test:{8440 + node_id}",
            identity(node_id).public_keys(),
            f"{node_id:02x}" * 32,
        )
        for node_id in NODE_IDS
    ]
    return Roster(nodes, COORDINATOR_TLS)


def fixed_clock() -> Iterator[datetime]:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    while True:
        yield moment
        moment += timedelta(seconds=1, microseconds=1)


def test_audit_log_lines_and_checkpoints_are_golden(tmp_path: Path) -> None:
    clock = fixed_clock()
    log = AuditLog.open_file(tmp_path / "audit.jsonl", clock=lambda: next(clock))
    signer = identity(1).signing_key
    log.append(
        actor="node-1",
        action="key.dkg.finished",
        subject="key:golden-key",
        details={"participants": [1, 2, 3], "threshold": 2, "note": "naïve ünïcode", "none": None},
    )
    log.append(
        actor="coordinator",
        action="sign.share",
        subject="request:req-golden",
        details={"amount": "1000000000000000000", "approved": True, "nested": {"b": 1, "a": [2]}},
    )
    checkpoint = log.checkpoint(signer, actor="node-1")
    log.append(actor="node-1", action="sign.share", subject="request:req-after")

    stored = assert_golden(GOLDEN / "audit" / "audit.jsonl", (tmp_path / "audit.jsonl").read_bytes())

    records = [AuditRecord.parse(line) for line in stored.splitlines()]
    assert [record.to_line() for record in records] == stored.splitlines()
    assert records == list(log.records())
    assert records[2] == checkpoint
    assert checkpoint_message(2, records[1].hash) == (
        b"tpwallet-audit-checkpoint/v1\x00" + (2).to_bytes(8, "big") + bytes.fromhex(records[1].hash)
    )
    assert log.verify([signer.public_key()]).ok


def test_an_audit_head_statement_is_golden(tmp_path: Path) -> None:
    """The statement ``tpw-custody audit export-head`` prints, over the head of the golden log."""
    shutil.copy(GOLDEN / "audit" / "audit.jsonl", tmp_path / "audit.jsonl")
    head = list(AuditLog.open_file(tmp_path / "audit.jsonl").records())[-1]
    statement = HeadStatement.sign(identity(1).signing_key, 1, head, HEAD_TIME)

    stored = assert_golden(GOLDEN / "audit" / "head.json", json.dumps(statement.to_json()).encode() + b"\n")

    decoded = HeadStatement.parse(stored)
    assert decoded == statement
    decoded.verify(identity(1).signing_key.public_key())


def test_the_roster_file_is_golden(roster: Roster, tmp_path: Path) -> None:
    roster.save(tmp_path / "roster.json")

    stored = assert_golden(GOLDEN / "roster-v2.json", (tmp_path / "roster.json").read_bytes())
    digest = assert_golden(GOLDEN / "roster-v2.sha256", roster.digest().hex().encode() + b"\n")

    loaded = Roster.load(GOLDEN / "roster-v2.json")
    assert loaded == roster
    assert loaded.digest().hex() == digest.decode().strip()
    assert loaded.to_json() == json.loads(stored)


def test_a_node_state_statement_is_golden() -> None:
    """The bytes a node signs for its state counter, and the statement it answers with every share."""
    signed = assert_golden(
        GOLDEN / "state" / "statement-bytes.hex", statement_bytes(2, 42).hex().encode() + b"\n"
    )
    statement = sign_statement(identity(2), 2, 42)
    stored = assert_golden(GOLDEN / "state" / "statement.json", statement.model_dump_json().encode() + b"\n")

    assert bytes.fromhex(signed.decode()) == b"TPWallet custody state counter v1" + bytes([0, 2]) + (
        42
    ).to_bytes(8, "big")
    decoded = StateStatement.model_validate_json(stored)
    assert decoded == statement
    assert statement_verifies(decoded, identity(2).public_keys())


def test_the_coordinators_node_states_file_is_golden(roster: Roster, tmp_path: Path) -> None:
    statements = {node_id: sign_statement(identity(node_id), node_id, 10 * node_id) for node_id in NODE_IDS}
    save_statements(tmp_path / "node-states.json", statements, roster)

    assert_golden(GOLDEN / "state" / "node-states.json", (tmp_path / "node-states.json").read_bytes())

    assert load_statements(GOLDEN / "state" / "node-states.json", roster) == statements
