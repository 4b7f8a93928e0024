"""Replay: a journaled book reopened from its snapshot and journal tail is the book that was built.

The main test runs the writer in its own process and kills it with SIGKILL in the middle of the flow:
every batch it acknowledged must be in the journal, and the reopened book must hash the same as a clean
engine fed the journal's commands from the first.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from matching.engine import Engine, state_hash
from matching.journal import JournaledBook
from matching.journal.log import Journal
from tests.matching.flows import random_flow

ROOT = Path(__file__).resolve().parents[3]


def clean_hash(commands: int, seed: int, length: int) -> str:
    engine = Engine()
    for cmd in random_flow(seed, length)[:commands]:
        engine.process(cmd)
    return state_hash(engine)


def test_reopen_replays_snapshot_and_tail(tmp_path: Path) -> None:
    flow = random_flow(11, 900)
    book = JournaledBook.open(tmp_path, snapshot_every=200)
    for start in range(0, len(flow), 50):
        book.submit(flow[start : start + 50])
    expected = book.state_hash()
    book.close()
    assert len(list(tmp_path.glob("snapshot-*.json"))) == 2  # the newest two are kept
    reopened = JournaledBook.open(tmp_path, snapshot_every=200)
    assert reopened.last_seq == 900
    assert reopened.snapshot_seq == 800
    assert reopened.replayed == 100
    assert reopened.state_hash() == expected == clean_hash(900, 11, 900)


def test_a_damaged_snapshot_falls_back_to_an_older_one(tmp_path: Path) -> None:
    flow = random_flow(12, 500)
    book = JournaledBook.open(tmp_path, snapshot_every=100)
    book.submit(flow[:250])
    book.submit(flow[250:])
    expected = book.state_hash()
    book.close()
    newest = sorted(tmp_path.glob("snapshot-*.json"))[-1]
    newest.write_bytes(newest.read_bytes().replace(b'"clock":', b'"clock":1'))
    reopened = JournaledBook.open(tmp_path)
    assert reopened.snapshot_seq == 250
    assert reopened.state_hash() == expected


def test_a_torn_tail_is_truncated_and_numbering_goes_on(tmp_path: Path) -> None:
    flow = random_flow(13, 40)
    book = JournaledBook.open(tmp_path)
    book.submit(flow[:30])
    book.close()
    with open(tmp_path / "journal.log", "ab") as f:
        f.write(b"\x30\x00\x00\x00partial")  # a batch the crash cut short: never acknowledged
    journal = Journal(tmp_path / "journal.log")
    assert journal.torn_bytes == 11
    journal.close()
    book = JournaledBook.open(tmp_path)
    book.submit(flow[30:])
    assert book.last_seq == 40
    book.close()
    assert JournaledBook.open(tmp_path).state_hash() == clean_hash(40, 13, 40)


@pytest.mark.slow
def test_kill_9_mid_flow_loses_no_acknowledged_command(tmp_path: Path) -> None:
    seed, length = 21, 60_000
    writer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.matching.journal.writer",
            str(tmp_path),
            str(seed),
            str(length),
            "2000",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    acked = 0
    assert writer.stdout is not None
    for line in writer.stdout:
        if line.startswith("acked "):
            acked = int(line.split()[1])
        if acked >= 9_000:
            break
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    assert writer.returncode == -signal.SIGKILL
    assert 9_000 <= acked < length, "the writer must die mid-flow"

    book = JournaledBook.open(tmp_path)
    assert book.last_seq >= acked  # every acknowledged command survived
    assert book.snapshot_seq > 0  # a snapshot, and only the tail after it replayed
    assert book.replayed < 2_000 + 64
    journal = Journal(tmp_path / "journal.log")
    assert [cmd for _, cmd in journal.records] == random_flow(seed, length)[: book.last_seq]
    journal.close()
    assert book.state_hash() == clean_hash(book.last_seq, seed, length)
