"""`api.sqlite_writer`: this process's writers to one SQLite file take turns on a lock, so a burst of write
transactions never ends in "database is locked" (the 500 the load benchmark met on SQLite), even with no
busy timeout at all; readers are not held up by a writer."""

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from api.sqlite_writer import SerialWriterConnection

THREADS = 8
TRANSACTIONS = 40


def _connect(path: Path, factory: type[sqlite3.Connection]) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=0, check_same_thread=False, factory=factory)
    connection.execute("PRAGMA journal_mode=WAL")
    return connection


def _burst(path: Path, factory: type[sqlite3.Connection]) -> list[BaseException]:
    with _connect(path, sqlite3.Connection) as setup:
        setup.execute("CREATE TABLE IF NOT EXISTS t (n INTEGER)")
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer() -> None:
        connection = _connect(path, factory)
        start.wait()
        try:
            for n in range(TRANSACTIONS):
                try:
                    connection.execute("INSERT INTO t (n) VALUES (?)", (n,))
                    connection.execute("UPDATE t SET n = n + 1 WHERE n = ?", (n,))
                    connection.commit()
                except sqlite3.OperationalError as error:
                    errors.append(error)
                    connection.rollback()
        finally:
            connection.close()

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(lambda _: writer(), range(THREADS)))
    return errors


def test_concurrent_writers_take_turns_instead_of_failing(tmp_path: Path) -> None:
    assert _burst(tmp_path / "serial.db", SerialWriterConnection) == []
    with sqlite3.connect(tmp_path / "serial.db") as check:
        assert check.execute("SELECT count(*) FROM t").fetchone() == (THREADS * TRANSACTIONS,)


def test_without_the_lock_the_same_burst_fails(tmp_path: Path) -> None:
    """The control: plain connections with no busy timeout collide (what the lock prevents)."""
    errors = _burst(tmp_path / "plain.db", sqlite3.Connection)
    assert errors
    assert all("locked" in str(error) for error in errors)


def test_a_reader_is_not_held_up_by_an_open_write(tmp_path: Path) -> None:
    path = tmp_path / "read.db"
    writer = _connect(path, SerialWriterConnection)
    reader = _connect(path, SerialWriterConnection)
    try:
        writer.execute("CREATE TABLE t (n INTEGER)")
        writer.commit()
        writer.execute("INSERT INTO t (n) VALUES (1)")  # a write transaction left open, holding the lock
        assert reader.execute("SELECT count(*) FROM t").fetchone() == (0,)
    finally:
        writer.rollback()
        writer.close()
        reader.close()


def test_a_failed_first_statement_gives_the_lock_back(tmp_path: Path) -> None:
    path = tmp_path / "fail.db"
    first = _connect(path, SerialWriterConnection)
    second = _connect(path, SerialWriterConnection)
    try:
        with pytest.raises(sqlite3.OperationalError):
            first.execute("INSERT INTO missing (n) VALUES (1)")
        second.execute("CREATE TABLE t (n INTEGER)")
        second.execute("INSERT INTO t (n) VALUES (1)")  # would wait 30 s if the lock were still held
        second.commit()
    finally:
        first.close()
        second.close()
