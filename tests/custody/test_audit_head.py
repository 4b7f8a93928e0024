"""Signed heads of an audit log: what a checkpoint inside the log cannot show (a cut or rewrite after it),
a head kept elsewhere does."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from custody.audit import AuditLog, FileAuditStore, FindingKind, verify
from custody.audit.head import HeadStatement, InvalidHeadStatement, check_against_heads, state_head
from tests.custody.test_audit import make_log, rechain, write_lines

IDENTITY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


def checked(path: Path, head: HeadStatement) -> list[FindingKind]:
    verdict = verify(path, trusted_keys=[IDENTITY.public_key()])
    return [p.kind for p in check_against_heads(verdict, FileAuditStore(path).entries(), [head]).findings]


@pytest.fixture
def log_with_head(tmp_path: Path) -> tuple[Path, AuditLog, HeadStatement]:
    """Six records, a checkpoint, three more records, and the head stated after them."""
    path = tmp_path / "audit.jsonl"
    log = make_log(path)
    log.checkpoint(IDENTITY, actor="node-1")
    for index in range(3):
        log.append(actor="node-1", action="sign.round2", subject=f"after-{index}")
    return path, log, state_head(log, IDENTITY, 1)


def test_an_intact_log_holds_its_stated_head(log_with_head: tuple[Path, AuditLog, HeadStatement]) -> None:
    path, log, head = log_with_head
    log.append(actor="node-1", action="sign.round2", subject="later")

    assert head.seq == 10
    head.verify(IDENTITY.public_key())
    assert checked(path, head) == []


def test_a_log_cut_back_after_its_checkpoint_is_caught_by_the_head(
    log_with_head: tuple[Path, AuditLog, HeadStatement],
) -> None:
    path, log, head = log_with_head
    records = list(log.records())
    write_lines(path, [r.to_line() + b"\n" for r in records[:8]])  # the last two records removed

    assert verify(path, trusted_keys=[IDENTITY.public_key()]).ok  # the checkpoint alone cannot tell
    assert checked(path, head) == [FindingKind.TRUNCATED]


def test_a_log_rewritten_after_its_checkpoint_is_caught_by_the_head(
    log_with_head: tuple[Path, AuditLog, HeadStatement],
) -> None:
    path, log, head = log_with_head
    records = list(log.records())
    records[8] = replace(records[8], subject="something else")
    write_lines(path, rechain(records))  # hashes recomputed: the chain itself is intact again

    assert verify(path, trusted_keys=[IDENTITY.public_key()]).ok  # the checkpoint before it still holds
    assert checked(path, head) == [FindingKind.REWRITTEN]


def test_a_head_statement_parses_strictly_and_verifies_its_signature(tmp_path: Path) -> None:
    record = next(make_log(tmp_path / "a.jsonl", 1).records())
    head = HeadStatement.sign(IDENTITY, 1, record, "2026-01-01T00:00:00.000000Z")
    assert HeadStatement.parse(json.dumps(head.to_json())) == head
    with pytest.raises(InvalidHeadStatement, match="not validly signed"):
        replace(head, seq=head.seq + 1).verify(IDENTITY.public_key())
    with pytest.raises(InvalidHeadStatement, match="another key"):
        head.verify(Ed25519PrivateKey.generate().public_key())
    for broken in (
        {**head.to_json(), "seq": "1"},
        {**head.to_json(), "extra": 1},
        {**head.to_json(), "time": "now"},
    ):
        with pytest.raises(InvalidHeadStatement):
            HeadStatement.from_json(broken)
