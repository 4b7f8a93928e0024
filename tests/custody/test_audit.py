"""Tests of the hash-chained audit log: appends, every kind of tampering located, concurrency, checkpoints."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from custody.audit import (
    CHECKPOINT_ACTION,
    GENESIS_HASH,
    TORN_TAIL_ACTION,
    AuditLog,
    AuditRecord,
    FindingKind,
    verify,
)
from custody.errors import AuditError, AuditLogCorrupt, InvalidAuditRecord

REPO_ROOT = Path(__file__).resolve().parents[2]
RECORDS = 6


def ticking_clock() -> Iterator[datetime]:
    moment = datetime(2025, 1, 1, tzinfo=UTC)
    while True:
        moment += timedelta(seconds=1)
        yield moment


def make_log(path: Path, count: int = RECORDS) -> AuditLog:
    ticks = ticking_clock()
    log = AuditLog.open_file(path, clock=lambda: next(ticks))
    for index in range(count):
        log.append(actor="node-1", action="sign.round2", subject=f"session-{index}", details={"index": index})
    return log


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(lines))


def rechain(records: list[AuditRecord], genesis: str = GENESIS_HASH) -> list[bytes]:
    """What someone without the signing key can do: recompute every hash and link after a change."""
    rewritten, prev = [], genesis
    for record in records:
        relinked = replace(record, prev_hash=prev, hash="")
        relinked = replace(relinked, hash=relinked.computed_hash())
        rewritten.append(relinked.to_line() + b"\n")
        prev = relinked.hash
    return rewritten


def spawn_python(code: str) -> subprocess.Popen[str]:
    """Run `code` in a child interpreter that imports the project from the repository root."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True
    )


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.jsonl"


# -- appending ------------------------------------------------------------------------------------------


def test_append_chains_records_and_verify_accepts(log_path: Path) -> None:
    log = make_log(log_path)
    records = list(log.records())
    assert [r.seq for r in records] == list(range(1, RECORDS + 1))
    assert records[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(records):
        assert after.prev_hash == before.hash
    for record in records:
        expected = hashlib.sha256(json.dumps(record.body(), sort_keys=True, separators=(",", ":")).encode())
        assert record.hash == expected.hexdigest()
    assert records[0].time == "2025-01-01T00:00:01.000000Z"
    assert records[2].details == {"index": 2}

    result = verify(log_path)
    assert result.ok
    assert (result.count, result.head_seq, result.head_hash) == (RECORDS, RECORDS, records[-1].hash)
    assert result.findings == []
    assert "OK" in result.summary()
    assert result.to_json()["ok"] is True


def test_append_returns_what_is_stored(log_path: Path) -> None:
    log = AuditLog.open_file(log_path)
    appended = log.append(
        actor="api", action="withdrawal.requested", subject="w-1", details={"amount": 10**30}
    )
    assert list(log.records()) == [appended]
    assert appended.details == {"amount": 10**30}


def test_log_file_is_private(log_path: Path) -> None:
    previous = os.umask(0)
    try:
        make_log(log_path, 1)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(log_path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "details",
    [
        {"price": 1.5},
        {"nested": [1, {"x": float("nan")}]},
        {1: "non-string key"},
        {"when": datetime.now(UTC)},
    ],
)
def test_details_must_be_float_free_json(log_path: Path, details: dict) -> None:
    log = AuditLog.open_file(log_path)
    with pytest.raises(InvalidAuditRecord):
        log.append(actor="api", action="x", details=details)
    assert not log_path.exists()


def test_actor_and_action_are_required_and_time_is_aware(log_path: Path) -> None:
    with pytest.raises(InvalidAuditRecord):
        AuditLog.open_file(log_path).append(actor="", action="x")
    with pytest.raises(InvalidAuditRecord):
        AuditLog.open_file(log_path).append(actor="a", action="")
    naive = AuditLog.open_file(log_path, clock=lambda: datetime(2025, 1, 1))
    with pytest.raises(InvalidAuditRecord):
        naive.append(actor="a", action="x")


def test_long_records_chain_across_tail_reads(log_path: Path) -> None:
    log = AuditLog.open_file(log_path)
    for index in range(3):
        log.append(actor="node", action="big", subject="s" * (30_000 + index), details={"blob": "é" * 9000})
    assert verify(log_path).ok
    assert len(list(log.records())) == 3


def test_unicode_and_control_characters_round_trip(log_path: Path) -> None:
    log = AuditLog.open_file(log_path)
    record = log.append(actor="opérateur", action="note", subject="line\nbreak", details={"k\u2028": "\x00"})
    assert list(log.records()) == [record]
    assert len(lines_of(log_path)) == 1
    assert verify(log_path).ok


# -- tampering, each kind located -----------------------------------------------------------------------


def test_edited_record_is_located(log_path: Path) -> None:
    make_log(log_path)
    lines = lines_of(log_path)
    lines[2] = lines[2].replace(b'"index":2', b'"index":9')
    write_lines(log_path, lines)

    result = verify(log_path)
    assert not result.ok
    assert [(p.kind, p.line, p.seq) for p in result.findings] == [(FindingKind.EDITED, 3, 3)]


def test_rewritten_record_with_recomputed_hash_is_located(log_path: Path) -> None:
    log = make_log(log_path)
    records = list(log.records())
    forged = replace(records[2], subject="someone else", hash="")
    forged = replace(forged, hash=forged.computed_hash())
    lines = lines_of(log_path)
    lines[2] = forged.to_line() + b"\n"
    write_lines(log_path, lines)

    findings = verify(log_path).findings
    assert [(p.kind, p.line, p.seq) for p in findings] == [(FindingKind.REWRITTEN, 3, 3)]


@pytest.mark.parametrize("removed", [0, 2, 4])
def test_removed_record_is_located(log_path: Path, removed: int) -> None:
    make_log(log_path)
    lines = lines_of(log_path)
    del lines[removed]
    write_lines(log_path, lines)

    findings = verify(log_path).findings
    assert [(p.kind, p.line) for p in findings] == [(FindingKind.REMOVED, removed + 1)]
    assert f"seq {removed + 1} missing" in findings[0].message


def test_reordered_records_are_located(log_path: Path) -> None:
    make_log(log_path)
    lines = lines_of(log_path)
    lines[2], lines[3] = lines[3], lines[2]
    write_lines(log_path, lines)

    findings = verify(log_path).findings
    assert findings[0].kind == FindingKind.REORDERED
    assert findings[0].line == 3
    assert {p.kind for p in findings} == {FindingKind.REORDERED}


def test_duplicated_record_is_located(log_path: Path) -> None:
    make_log(log_path)
    lines = lines_of(log_path)
    write_lines(log_path, [*lines, lines[1]])

    findings = verify(log_path).findings
    assert [(p.kind, p.line, p.seq) for p in findings] == [(FindingKind.DUPLICATED, RECORDS + 1, 2)]


def test_malformed_line_is_located_without_noise(log_path: Path) -> None:
    make_log(log_path)
    lines = lines_of(log_path)
    lines[3] = b"this is not json\n"
    write_lines(log_path, lines)

    findings = verify(log_path).findings
    assert [(p.kind, p.line) for p in findings] == [(FindingKind.MALFORMED, 4)]


def test_non_canonical_line_is_malformed(log_path: Path) -> None:
    make_log(log_path)
    lines = lines_of(log_path)
    lines[1] = json.dumps(json.loads(lines[1]), indent=None).encode() + b"\n"  # same content, with spaces
    write_lines(log_path, lines)
    findings = verify(log_path).findings
    assert [(p.kind, p.line) for p in findings] == [(FindingKind.MALFORMED, 2)]
    assert "canonical" in findings[0].message


def test_first_record_must_start_at_genesis(log_path: Path) -> None:
    log = make_log(log_path, 2)
    write_lines(log_path, rechain(list(log.records()), genesis="11" * 32))
    findings = verify(log_path).findings
    assert [(p.kind, p.line) for p in findings] == [(FindingKind.CHAIN_BROKEN, 1)]


def test_append_refuses_to_chain_after_a_tampered_tail(log_path: Path) -> None:
    log = make_log(log_path)
    lines = lines_of(log_path)
    lines[-1] = lines[-1].replace(b"node-1", b"node-9")
    write_lines(log_path, lines)
    with pytest.raises(AuditLogCorrupt, match="fails its hash"):
        log.append(actor="node-1", action="x")
    assert lines_of(log_path) == lines

    lines[-1] = b"garbage\n"
    write_lines(log_path, lines)
    with pytest.raises(AuditLogCorrupt, match="malformed"):
        log.append(actor="node-1", action="x")
    assert lines_of(log_path) == lines


# -- torn final line ------------------------------------------------------------------------------------


def test_truncated_last_line_is_reported_then_repaired_visibly(log_path: Path) -> None:
    log = make_log(log_path)
    data = log_path.read_bytes()
    torn = data[: len(data) - 40]
    log_path.write_bytes(torn)
    torn_bytes = torn[torn.rfind(b"\n") + 1 :]

    result = verify(log_path)
    assert [(p.kind, p.line) for p in result.findings] == [(FindingKind.TRUNCATED, RECORDS)]
    assert (result.count, result.head_seq) == (RECORDS - 1, RECORDS - 1)
    with pytest.raises(AuditLogCorrupt, match="torn"):
        log.append(actor="node-1", action="x")
    with pytest.raises(AuditLogCorrupt, match="torn"):
        list(log.records())

    repair = log.remove_torn_tail(actor="operator")
    assert repair is not None
    assert repair.action == TORN_TAIL_ACTION
    assert repair.seq == RECORDS
    assert repair.details["sha256"] == hashlib.sha256(torn_bytes).hexdigest()
    assert repair.details["length"] == len(torn_bytes)
    assert verify(log_path).ok
    log.append(actor="node-1", action="after.repair")
    assert verify(log_path).ok
    assert log.remove_torn_tail(actor="operator") is None


def test_a_log_that_is_only_a_torn_line_can_be_repaired(log_path: Path) -> None:
    log_path.write_bytes(b'{"action":"half')
    log = AuditLog.open_file(log_path)
    repair = log.remove_torn_tail(actor="operator")
    assert repair is not None
    assert repair.seq == 1
    assert verify(log_path).ok


# -- checkpoints ----------------------------------------------------------------------------------------


def test_checkpoint_signs_the_head(log_path: Path) -> None:
    identity = Ed25519PrivateKey.generate()
    log = make_log(log_path)
    checkpoint = log.checkpoint(identity, actor="node-1")
    assert checkpoint.action == CHECKPOINT_ACTION
    assert checkpoint.details["seq"] == RECORDS
    result = verify(log_path, trusted_keys=[identity.public_key()])
    assert result.ok
    assert result.checkpointed_seq == RECORDS

    log.append(actor="node-1", action="later")
    later = verify(log_path, trusted_keys=[identity.public_key()])
    assert later.ok
    assert later.checkpointed_seq == RECORDS


def test_whole_log_rewrite_is_caught_by_the_checkpoint(log_path: Path) -> None:
    identity = Ed25519PrivateKey.generate()
    log = make_log(log_path)
    log.checkpoint(identity, actor="node-1")
    records = list(log.records())
    records[1] = replace(records[1], details={"index": 1, "to": "attacker"})
    trusted = [identity.public_key()]

    write_lines(log_path, rechain(records))
    assert verify(log_path).findings[0].kind == FindingKind.CHECKPOINT_INVALID

    new_head = AuditRecord.parse(rechain(records[:-1])[-1].rstrip(b"\n"))
    checkpoint = records[-1]
    records[-1] = replace(checkpoint, details={**checkpoint.details, "head_hash": new_head.hash})
    write_lines(log_path, rechain(records))  # the old signature over a new head
    findings = verify(log_path, trusted_keys=trusted).findings
    assert [(p.kind, p.line) for p in findings] == [
        (FindingKind.CHECKPOINT_INVALID, RECORDS + 1),
        (FindingKind.CHECKPOINT_MISSING, None),
    ]
    assert "signature" in findings[0].message

    write_lines(log_path, rechain(records[:-1]))  # drop the checkpoint altogether
    assert verify(log_path).ok  # the chain alone cannot tell ...
    missing = verify(log_path, trusted_keys=trusted)  # ... the writer's key can
    assert [p.kind for p in missing.findings] == [FindingKind.CHECKPOINT_MISSING]

    write_lines(log_path, rechain(records[:-1]))
    forger = AuditLog.open_file(log_path)
    forger.checkpoint(Ed25519PrivateKey.generate(), actor="node-1")
    untrusted = verify(log_path, trusted_keys=trusted)
    assert {p.kind for p in untrusted.findings} == {
        FindingKind.CHECKPOINT_UNTRUSTED,
        FindingKind.CHECKPOINT_MISSING,
    }


def test_checkpoint_of_an_empty_log_is_refused(log_path: Path) -> None:
    with pytest.raises(AuditError):
        AuditLog.open_file(log_path).checkpoint(Ed25519PrivateKey.generate(), actor="node-1")


def test_verify_of_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(AuditError):
        verify(tmp_path / "nothing.jsonl")


# -- concurrency and crashes ----------------------------------------------------------------------------

APPENDER = """
from custody.audit import AuditLog
log = AuditLog.open_file({path!r})
for index in range({count}):
    record = log.append(actor={actor!r}, action="load", subject=str(index), details={{"pad": "x" * 3000}})
    print(record.seq, flush=True)
"""


def test_two_processes_appending_keep_the_chain(log_path: Path) -> None:
    children = [
        spawn_python(APPENDER.format(path=str(log_path), count=40, actor=f"proc-{i}")) for i in range(2)
    ]
    seqs = [child.communicate(timeout=120)[0].split() for child in children]
    assert all(child.returncode == 0 for child in children)

    result = verify(log_path)
    assert result.ok, result.summary()
    assert result.count == 80
    assert sorted(int(s) for s in seqs[0] + seqs[1]) == list(range(1, 81))
    actors = [r.actor for r in AuditLog.open_file(log_path).records()]
    assert actors.count("proc-0") == actors.count("proc-1") == 40


def run_in_threads(work: Callable[[int], None], count: int) -> None:
    """`work(0)` to `work(count - 1)`, each in its own thread, all at once; returns when every one is done."""
    threads = [threading.Thread(target=work, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_threads_appending_keep_the_chain(log_path: Path) -> None:
    log = AuditLog.open_file(log_path)

    def append_many(thread: int) -> None:
        for index in range(25):
            log.append(actor=f"thread-{thread}", action="concurrent", subject=str(index))

    run_in_threads(append_many, 4)
    result = verify(log_path)
    assert result.ok, result.summary()
    assert result.count == 100


def test_concurrent_appends_share_fsyncs_and_each_waits_for_one_after_its_write(
    log_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Group commit: no append returns before an fsync that started after its own write has finished, and
    appends waiting together need fewer fsyncs than records."""
    log = AuditLog.open_file(log_path)
    log.append(actor="setup", action="first")  # the file exists: no directory fsync below
    real_fsync = os.fsync
    fsyncs: list[int] = []
    size_at_sync: list[int] = []

    def slow_fsync(fd: int) -> None:
        size_at_sync.append(os.fstat(fd).st_size)
        threading.Event().wait(0.005)  # a slow disk lets appends pile up behind one fsync
        real_fsync(fd)
        fsyncs.append(size_at_sync[len(fsyncs)])

    monkeypatch.setattr("custody.audit.store.os.fsync", slow_fsync)
    synced_when_returned: list[tuple[int, int]] = []
    lock = threading.Lock()

    def append_many(thread: int) -> None:
        for index in range(10):
            record = log.append(actor=f"thread-{thread}", action="concurrent", subject=str(index))
            end = _end_of(log_path, record.seq)
            with lock:
                synced_when_returned.append((end, max(fsyncs, default=0)))

    run_in_threads(append_many, 6)
    result = verify(log_path)
    assert result.ok, result.summary()
    assert result.count == 61
    assert all(end <= synced for end, synced in synced_when_returned)  # durable when acknowledged
    assert len(fsyncs) < 60


def _end_of(path: Path, seq: int) -> int:
    """The byte offset just past record `seq` (the file's records are seq 1, 2, ... in order)."""
    return sum(len(line) for line in lines_of(path)[:seq])


def test_a_deferred_append_is_written_at_once_and_synced_by_the_next_durable_one(
    log_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = AuditLog.open_file(log_path)
    log.append(actor="setup", action="first")
    real_fsync = os.fsync
    fsyncs: list[int] = []

    def counting_fsync(fd: int) -> None:
        fsyncs.append(os.fstat(fd).st_size)
        real_fsync(fd)

    monkeypatch.setattr("custody.audit.store.os.fsync", counting_fsync)
    deferred = log.append(actor="node-1", action="sign.round1", subject="s", durable=False)
    assert fsyncs == []
    assert [r.seq for r in AuditLog.open_file(log_path).records()] == [1, deferred.seq]  # readable at once
    durable = log.append(actor="node-1", action="sign.round2", subject="s")
    assert fsyncs == [log_path.stat().st_size]  # one fsync, after both records were written
    assert durable.prev_hash == deferred.hash
    assert verify(log_path).ok


def test_a_writer_chains_after_records_another_writer_appended(log_path: Path) -> None:
    """Each writer remembers the last record it wrote; another's append in between is noticed and chained."""
    first, second = AuditLog.open_file(log_path), AuditLog.open_file(log_path)
    a = first.append(actor="a", action="one")
    b = second.append(actor="b", action="two")
    c = first.append(actor="a", action="three")
    assert (b.prev_hash, c.prev_hash) == (a.hash, b.hash)
    assert verify(log_path).ok


def test_kill_9_mid_append_loses_no_acknowledged_record(log_path: Path) -> None:
    for round_ in range(3):
        child = spawn_python(APPENDER.format(path=str(log_path), count=10**6, actor=f"round-{round_}"))
        assert child.stdout is not None
        acknowledged = [child.stdout.readline() for _ in range(20 + 7 * round_)]
        child.send_signal(signal.SIGKILL)
        acknowledged += child.stdout.read().splitlines()
        child.wait(timeout=30)

        result = verify(log_path)
        assert {p.kind for p in result.findings} <= {FindingKind.TRUNCATED}
        assert result.head_seq is not None
        assert result.head_seq >= int(acknowledged[-1])
        AuditLog.open_file(log_path).remove_torn_tail(actor="operator")
        assert verify(log_path).ok


# -- properties over random positions -------------------------------------------------------------------


@pytest.fixture(scope="module")
def pristine_log(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("audit") / "audit.jsonl"
    log = make_log(path, 8)
    log.append(
        actor="api", action="note", subject="unicode", details={"text": 'naïve\n"quoted"', "list": [1]}
    )
    return path.read_bytes()


def verify_bytes(data: bytes) -> list[tuple[FindingKind, int | None]]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "audit.jsonl"
        path.write_bytes(data)
        return [(p.kind, p.line) for p in verify(path).findings]


@given(data=st.data())
def test_any_byte_edit_is_found_at_its_line(pristine_log: bytes, data: st.DataObject) -> None:
    lines = pristine_log.splitlines(keepends=True)
    index = data.draw(st.integers(0, len(lines) - 1), label="line")
    position = data.draw(st.integers(0, len(lines[index]) - 2), label="byte")  # not the newline itself
    original = lines[index][position]
    new_byte = data.draw(st.integers(0, 255).filter(lambda b: b != original), label="new byte")
    edited = bytearray(lines[index])
    edited[position] = new_byte
    lines[index] = bytes(edited)

    findings = verify_bytes(b"".join(lines))
    assert findings, "an edited byte went unnoticed"
    assert findings[0][1] == index + 1


@given(data=st.data())
def test_any_removed_record_but_the_last_is_found(pristine_log: bytes, data: st.DataObject) -> None:
    lines = pristine_log.splitlines(keepends=True)
    index = data.draw(st.integers(0, len(lines) - 2), label="removed line")
    del lines[index]
    assert verify_bytes(b"".join(lines)) == [(FindingKind.REMOVED, index + 1)]


@given(data=st.data())
def test_any_swap_is_found_at_the_earlier_line(pristine_log: bytes, data: st.DataObject) -> None:
    lines = pristine_log.splitlines(keepends=True)
    first = data.draw(st.integers(0, len(lines) - 2), label="first")
    second = data.draw(st.integers(first + 1, len(lines) - 1), label="second")
    lines[first], lines[second] = lines[second], lines[first]
    findings = verify_bytes(b"".join(lines))
    assert findings[0] == (FindingKind.REORDERED, first + 1)


@given(cut=st.integers(1, 200))
def test_any_truncation_inside_the_last_line_is_reported(pristine_log: bytes, cut: int) -> None:
    last_length = len(pristine_log.splitlines(keepends=True)[-1])
    data = pristine_log[: len(pristine_log) - min(cut, last_length - 1)]
    assert verify_bytes(data) == [(FindingKind.TRUNCATED, 9)]
