"""The audit log's seq -> offset index: pages equal the log's records, appends by anyone are picked up, a page
reads only its own bytes, and a missing, torn, stale or garbage index is rebuilt from the log."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from custody.audit import AuditLog
from custody.audit.index import ENTRY_BYTES, AuditIndex, index_path_for
from custody.errors import AuditLogCorrupt
from tests.custody.test_audit import lines_of, make_log, spawn_python, write_lines

RECORDS = 40


@pytest.fixture
def log_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.jsonl"


def seqs(index: AuditIndex, after: int, limit: int) -> list[int]:
    return [record.seq for record in index.read(after, limit)]


def test_pages_are_exactly_the_logs_records(log_path: Path) -> None:
    log = make_log(log_path, RECORDS)
    index = AuditIndex.open(log_path)
    everything = list(log.records())
    for after, limit in [(0, 1), (0, 7), (5, 10), (33, 10), (39, 5), (40, 3), (100, 3)]:
        assert index.read(after, limit) == everything[after : after + limit]
    assert index.count() == RECORDS
    assert index_path_for(log_path).stat().st_size == RECORDS * ENTRY_BYTES
    assert stat.S_IMODE(index_path_for(log_path).stat().st_mode) == 0o600


def test_records_appended_by_other_writers_are_indexed_on_the_next_read(log_path: Path) -> None:
    make_log(log_path, 3)
    index = AuditIndex.open(log_path)
    assert seqs(index, 0, 10) == [1, 2, 3]
    AuditLog.open_file(log_path).append(actor="api-keys-cli", action="api-key.created")  # another writer
    child = spawn_python(
        "from custody.audit import AuditLog\n"
        f"AuditLog.open_file({str(log_path)!r}).append(actor='other-process', action='x')\n"
    )
    assert child.wait(timeout=60) == 0
    assert [(r.seq, r.actor) for r in index.read(2, 10)] == [
        (3, "node-1"),
        (4, "api-keys-cli"),
        (5, "other-process"),
    ]


def test_a_page_reads_its_own_bytes_not_the_whole_log(log_path: Path) -> None:
    """Line 1 garbled (same length) after the index was made: pages at the end are still served, since
    nothing before them is read; a page that covers line 1 finds it corrupt."""
    make_log(log_path, RECORDS)
    index = AuditIndex.open(log_path)
    lines = lines_of(log_path)
    lines[0] = b"#" * (len(lines[0]) - 1) + b"\n"
    write_lines(log_path, lines)
    assert seqs(index, RECORDS - 3, 10) == [RECORDS - 2, RECORDS - 1, RECORDS]
    with pytest.raises(AuditLogCorrupt, match="line 1"):
        index.read(0, 2)


def test_a_missing_or_torn_index_is_rebuilt(log_path: Path) -> None:
    make_log(log_path, RECORDS)
    AuditIndex.open(log_path)
    index_file = index_path_for(log_path)
    index_file.unlink()
    assert seqs(AuditIndex.open(log_path), 0, 3) == [1, 2, 3]
    with index_file.open("ab") as torn:  # a crash in the middle of an entry
        torn.write(b"\x00\x00\x01")
    index = AuditIndex.open(log_path)
    assert index_file.stat().st_size == RECORDS * ENTRY_BYTES
    assert seqs(index, RECORDS - 2, 5) == [RECORDS - 1, RECORDS]


@pytest.mark.parametrize(
    "garbage",
    [os.urandom(ENTRY_BYTES * 5), b"\x00" * ENTRY_BYTES * (RECORDS + 10), b"\xff" * ENTRY_BYTES],
    # Named ids: an id made of the random bytes differs per collection, and pytest-xdist refuses to run
    # when its workers collect different test ids.
    ids=["random", "zeros-longer-than-log", "ones-one-entry"],
)
def test_a_garbage_index_is_rebuilt_at_open(log_path: Path, garbage: bytes) -> None:
    log = make_log(log_path, RECORDS)
    index_path_for(log_path).write_bytes(garbage)
    index = AuditIndex.open(log_path)
    assert index.read(0, RECORDS) == list(log.records())


def test_a_log_restored_from_an_older_copy_is_reindexed(log_path: Path, tmp_path: Path) -> None:
    """The index got ahead of the log (the log lost its tail, or an older copy was put back)."""
    make_log(log_path, 10)
    backup = log_path.read_bytes()
    log = AuditLog.open_file(log_path)
    for n in range(20):
        log.append(actor="api", action="later", details={"n": n})
    index = AuditIndex.open(log_path)
    assert index.count() == 30
    log_path.write_bytes(backup)
    AuditLog.open_file(log_path).append(actor="someone-else", action="after-restore", details={"a": "b" * 90})
    assert AuditIndex.open(log_path).count() == 11  # at start: verified, found stale, rebuilt
    assert [(r.seq, r.action) for r in index.read(9, 5)] == [(10, "sign.round2"), (11, "after-restore")]


def test_a_torn_final_line_is_served_only_once_repaired(log_path: Path) -> None:
    make_log(log_path, 3)
    index = AuditIndex.open(log_path)
    with log_path.open("ab") as log:
        log.write(b'{"v":1,"seq":4,"ti')  # an append cut off by a crash
    assert seqs(index, 0, 10) == [1, 2, 3]
    AuditLog.open_file(log_path).remove_torn_tail(actor="operator")
    assert [(r.seq, r.action) for r in index.read(3, 10)] == [(4, "audit.torn-tail-removed")]


def test_pages_read_while_others_append_are_always_whole_and_in_order(log_path: Path) -> None:
    make_log(log_path, 1)
    index = AuditIndex.open(log_path)
    writers = 4
    per_writer = 50

    def append_many(name: str) -> None:
        log = AuditLog.open_file(log_path)
        for n in range(per_writer):
            log.append(actor=name, action="x", details={"n": n}, durable=False)

    threads = [threading.Thread(target=append_many, args=(f"w{i}",)) for i in range(writers)]
    for thread in threads:
        thread.start()
    served = 0
    while any(thread.is_alive() for thread in threads) or served < 1 + writers * per_writer:
        page = index.read(served, 7)
        assert [record.seq for record in page] == list(range(served + 1, served + 1 + len(page)))
        served += len(page)
    for thread in threads:
        thread.join()
    assert served == 1 + writers * per_writer
    assert AuditLog.open_file(log_path).verify().ok
