"""Tests of the spend history: idempotent records, window edges, first-seen binding, survival of kill -9."""

import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from custody.policy.errors import RequestConflict, SpendHistoryError
from custody.policy.history import SCHEMA_VERSION, SignedRecord, SpendHistory
from tests.helpers.policy import KEY, L1, L2, T0, TUSD, request_id

REPO_ROOT = Path(__file__).resolve().parents[3]
DIGEST = b"\xd1" * 32
OTHER_DIGEST = b"\xd2" * 32
UINT256_MAX = 2**256 - 1


def spend(
    label: str,
    amount: int,
    at: int,
    *,
    key_id: str = KEY,
    chain_id: int = L1,
    asset: str = TUSD,
    intent_type: str = "TreasuryTx",
    digest: bytes = DIGEST,
) -> SignedRecord:
    return SignedRecord(
        request_id=request_id(label),
        digest=digest,
        key_id=key_id,
        chain_id=chain_id,
        intent_type=intent_type,
        asset=asset,
        amount=amount,
        signed_at=at,
    )


def test_record_is_idempotent_per_request(history: SpendHistory) -> None:
    first = spend("a", 7, T0)
    assert history.record(first) is True
    assert history.record(first) is False
    assert history.spent(KEY, L1, TUSD, T0 - 1) == 7
    assert history.count(KEY, L1, "TreasuryTx", T0 - 1) == 1
    assert history.signed(request_id("a")) == first
    assert history.signed(request_id("never")) is None


def test_a_retry_moves_the_record_to_when_it_was_signed_again(history: SpendHistory) -> None:
    """A request signed again later counts once, in the window of its latest signing: a share released a
    day after the first one must count in that day's window (the group bound needs it)."""
    history.record(spend("a", 7, T0))
    assert history.record(spend("a", 7, T0 + 90_000)) is False  # a retry a day later: still one record
    assert history.spent(KEY, L1, TUSD, T0 - 1) == 7
    assert history.spent(KEY, L1, TUSD, T0 + 1) == 7  # counted in the later window, once
    assert history.record(spend("a", 7, T0 + 10)) is False  # an earlier stamp never moves it back
    record = history.signed(request_id("a"))
    assert record is not None
    assert record.signed_at == T0 + 90_000


@pytest.mark.parametrize("change", [{"digest": OTHER_DIGEST}, {"key_id": "another-key"}])
def test_same_request_for_another_intent_or_key_is_a_conflict(history: SpendHistory, change: dict) -> None:
    history.record(spend("a", 7, T0))
    with pytest.raises(RequestConflict) as caught:
        history.record(spend("a", 7, T0, **change))
    assert caught.value.request_id == request_id("a")
    assert history.spent(KEY, L1, TUSD, T0 - 1) == 7


def test_window_counts_strictly_after_since(history: SpendHistory) -> None:
    history.record(spend("a", 1, T0))
    history.record(spend("b", 10, T0 + 100))
    assert history.spent(KEY, L1, TUSD, since=T0 - 1) == 11
    assert history.spent(KEY, L1, TUSD, since=T0) == 10  # a row exactly at `since` has left the window
    assert history.spent(KEY, L1, TUSD, since=T0 + 99) == 10
    assert history.spent(KEY, L1, TUSD, since=T0 + 100) == 0
    assert history.count(KEY, L1, "TreasuryTx", since=T0) == 1


def test_rows_from_the_future_still_count(history: SpendHistory) -> None:
    """A clock stepped back must not forget spends: rows stamped after `now` stay in every window."""
    history.record(spend("late", 5, T0 + 10_000))
    assert history.spent(KEY, L1, TUSD, since=T0 - 86_400) == 5


def test_sums_are_separate_per_key_chain_asset_and_type(history: SpendHistory) -> None:
    history.record(spend("a", 1, T0))
    history.record(spend("b", 2, T0, key_id="other"))
    history.record(spend("c", 4, T0, chain_id=L2))
    history.record(spend("d", 8, T0, asset="0x0000000000000000000000000000000000000000"))
    history.record(spend("e", 0, T0, asset="", intent_type="Anchor"))
    assert history.spent(KEY, L1, TUSD, T0 - 1) == 1
    assert history.spent("other", L1, TUSD, T0 - 1) == 2
    assert history.spent(KEY, L2, TUSD, T0 - 1) == 4
    assert history.count(KEY, L1, "TreasuryTx", T0 - 1) == 2
    assert history.count(KEY, L1, "Anchor", T0 - 1) == 1


def test_excluding_leaves_one_request_out(history: SpendHistory) -> None:
    history.record(spend("a", 3, T0))
    history.record(spend("b", 4, T0))
    assert history.spent(KEY, L1, TUSD, T0 - 1, excluding=request_id("a")) == 4
    assert history.count(KEY, L1, "TreasuryTx", T0 - 1, excluding=request_id("b")) == 1
    assert history.spent(KEY, L1, TUSD, T0 - 1, excluding=request_id("none")) == 7


def test_uint256_amounts_are_exact(history: SpendHistory) -> None:
    history.record(spend("a", UINT256_MAX, T0))
    history.record(spend("b", UINT256_MAX, T0))
    assert history.spent(KEY, L1, TUSD, T0 - 1) == 2 * UINT256_MAX


def test_first_seen_is_set_once_and_bound_to_the_digest(history: SpendHistory) -> None:
    rid = request_id("r")
    assert history.first_seen(rid, DIGEST, T0) == T0
    assert history.first_seen(rid, DIGEST, T0 + 500) == T0
    with pytest.raises(RequestConflict):
        history.first_seen(rid, OTHER_DIGEST, T0 + 600)
    assert history.first_seen(rid, DIGEST, T0 + 700) == T0


def test_transaction_rolls_back_on_error(history: SpendHistory) -> None:
    def record_then_fail() -> None:
        with history.transaction():
            history.record(spend("a", 1, T0))
            with history.transaction():  # re-entrant: the inner block joins the outer transaction
                history.record(spend("b", 1, T0))
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError, match="abort"):
        record_then_fail()
    assert history.signed(request_id("a")) is None
    assert history.signed(request_id("b")) is None
    assert history.spent(KEY, L1, TUSD, T0 - 1) == 0


def test_history_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    with SpendHistory.open(path) as history:
        history.record(spend("a", 42, T0))
        history.first_seen(request_id("r"), DIGEST, T0 - 5)
    with SpendHistory.open(path) as reopened:
        assert reopened.spent(KEY, L1, TUSD, T0 - 1) == 42
        assert reopened.first_seen(request_id("r"), DIGEST, T0 + 99) == T0 - 5
        assert reopened.record(spend("a", 42, T0)) is False


def test_database_is_wal_with_full_sync(history: SpendHistory) -> None:
    connection = sqlite3.connect(history.path)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        connection.close()
    assert history._connection.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_unknown_schema_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA user_version=99")
    connection.close()
    with pytest.raises(SpendHistoryError, match="schema 99"):
        SpendHistory.open(path)


def test_unopenable_path_is_a_history_error(tmp_path: Path) -> None:
    with pytest.raises(SpendHistoryError):
        SpendHistory.open(tmp_path / "no-such-dir" / "state.sqlite")


def test_threads_sharing_one_history(history: SpendHistory) -> None:
    def write(thread: int) -> None:
        for index in range(20):
            history.record(spend(f"{thread}-{index}", 1, T0))

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert history.spent(KEY, L1, TUSD, T0 - 1) == 80


WRITER = """
import hashlib, sys
from custody.policy.history import SignedRecord, SpendHistory
history = SpendHistory.open(sys.argv[1])
index = 0
while True:
    rid = hashlib.sha256(b"kill %d" % index).digest()
    history.first_seen(rid, b"\\x01" * 32, 1000 + index)
    history.record(SignedRecord(rid, b"\\x01" * 32, "k", 31337, "TreasuryTx", "asset", index, 1000 + index))
    print(index, flush=True)
    index += 1
"""


def test_history_survives_a_sigkilled_writer(tmp_path: Path) -> None:
    """Every record the writer acknowledged is there after kill -9, and the database is intact."""
    path = tmp_path / "state.sqlite"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    acknowledged: list[int] = []
    for round_ in range(2):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path)],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        lines = [child.stdout.readline() for _ in range(25 + 10 * round_)]
        child.send_signal(signal.SIGKILL)
        lines += child.stdout.read().splitlines()
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        acknowledged = [int(line) for line in lines if line.strip()]

        connection = sqlite3.connect(path)
        try:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            connection.close()
        with SpendHistory.open(path) as reopened:
            # the child restarts at index 0 each round: already-recorded requests are retries, not new spends
            # at most one more record than acknowledged: committed, then killed before it printed
            last = max(acknowledged)
            expected = sum(range(last + 1))
            assert reopened.spent("k", 31337, "asset", since=0) in (expected, expected + last + 1)
            for index in acknowledged:
                record = reopened.signed(hashlib.sha256(b"kill %d" % index).digest())
                assert record is not None
                assert record.amount == index
                assert record.signed_at == 1000 + index
