"""Tests of the session book: sessions and their sealed nonces in the node's state database.

A nonce is handed out at most once, a closed session never holds one, and a session's steps commit (or roll
back) together with the policy bookkeeping of the same transaction.
"""

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from custody.node.signing.sessions import SessionBook, SessionBookError, SessionState
from custody.policy.engine import NO_ASSET
from custody.policy.history import SignedRecord, SpendHistory

NOW = 1_900_000_000


@pytest.fixture
def state(tmp_path: Path) -> Iterator[SpendHistory]:
    with SpendHistory.open(tmp_path / "state.sqlite") as opened:
        yield opened


@pytest.fixture
def book(state: SpendHistory) -> SessionBook:
    return SessionBook(state)


def open_session(book: SessionBook, session: str, *, at: int = NOW, nonce: bytes = b"sealed") -> bool:
    return book.open(session, "treasury", "0x" + "ab" * 32, "cd" * 32, at, nonce)


def test_a_session_id_opens_once(book: SessionBook) -> None:
    assert open_session(book, "s1")
    assert not open_session(book, "s1", nonce=b"another")
    assert book.sealed_nonce("s1") == b"sealed"
    record = book.get("s1")
    assert record is not None
    assert (record.state, record.holds_nonce, record.closed_at) == (SessionState.OPEN, True, None)
    assert book.get("unknown") is None


def test_a_nonce_is_taken_once_and_the_session_closes_with_it(book: SessionBook) -> None:
    open_session(book, "s1")
    assert book.take_nonce("s1", SessionState.REFUSED, NOW + 1) == b"sealed"
    assert book.take_nonce("s1", SessionState.REFUSED, NOW + 2) is None
    record = book.get("s1")
    assert record is not None
    assert (record.state, record.holds_nonce, record.closed_at) == (SessionState.REFUSED, False, NOW + 1)
    book.set_state("s1", SessionState.SIGNED)
    assert book.get("s1").state is SessionState.SIGNED  # type: ignore[union-attr]
    assert book.nonce_holders() == []


def test_threads_racing_for_one_nonce_get_it_once(book: SessionBook) -> None:
    open_session(book, "s1")
    taken: list[bytes | None] = []
    barrier = threading.Barrier(8)

    def take() -> None:
        barrier.wait()
        taken.append(book.take_nonce("s1", SessionState.SIGNED, NOW))

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken, key=lambda value: value is not None) == [None] * 7 + [b"sealed"]


def test_two_connections_racing_for_one_nonce_get_it_once(state: SpendHistory, tmp_path: Path) -> None:
    """As two processes sharing the database would: SQLite's write lock serialises them."""
    SessionBook(state).open("s1", "treasury", "0x" + "ab" * 32, "cd" * 32, NOW, b"sealed")
    taken: list[bytes | None] = []
    barrier = threading.Barrier(4)

    def take() -> None:
        with SpendHistory.open(tmp_path / "state.sqlite") as other:
            barrier.wait()
            taken.append(SessionBook(other).take_nonce("s1", SessionState.SIGNED, NOW))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [value for value in taken if value is not None] == [b"sealed"]


def test_a_session_and_a_spend_commit_or_roll_back_together(state: SpendHistory, book: SessionBook) -> None:
    spend = SignedRecord(b"\x01" * 32, b"\x02" * 32, "treasury", 31337, "Anchor", NO_ASSET, 0, NOW)
    open_session(book, "kept")
    open_session(book, "rolled-back")

    def fail_before_the_commit() -> None:
        with state.transaction():
            book.take_nonce("rolled-back", SessionState.SIGNED, NOW)
            state.record(spend)
            raise RuntimeError("a failure before the commit")

    with pytest.raises(RuntimeError):
        fail_before_the_commit()
    assert book.sealed_nonce("rolled-back") == b"sealed"
    assert state.signed(spend.request_id) is None
    with state.transaction():
        assert book.take_nonce("kept", SessionState.SIGNED, NOW) == b"sealed"
        state.record(spend)
    assert book.sealed_nonce("kept") is None
    assert state.signed(spend.request_id) is not None


def test_closing_every_open_session_drops_their_nonces(book: SessionBook) -> None:
    for index, opened_at in enumerate((NOW - 100, NOW - 10, NOW)):
        open_session(book, f"s{index}", at=opened_at)
    book.take_nonce("s1", SessionState.SIGNED, NOW)

    assert book.close_all_open(SessionState.EXPIRED, NOW, opened_before=NOW - 50) == ["s0"]
    assert book.open_sessions() == ["s2"]
    assert book.nonce_holders() == ["s2"]
    assert book.close_all_open(SessionState.ABANDONED, NOW + 1) == ["s2"]
    assert book.nonce_holders() == []
    assert book.get("s2").state is SessionState.ABANDONED  # type: ignore[union-attr]
    assert book.forget_closed(NOW + 1) == 2  # s0 and s1 closed at NOW; s2 at NOW + 1 stays
    assert book.get("s2") is not None


def test_sessions_close_into_a_final_state_only(book: SessionBook) -> None:
    open_session(book, "s1")
    for close in (
        lambda: book.take_nonce("s1", SessionState.OPEN, NOW),
        lambda: book.close_session("s1", SessionState.OPEN, NOW),
        lambda: book.close_all_open(SessionState.OPEN, NOW),
        lambda: book.set_state("s1", SessionState.OPEN),
    ):
        with pytest.raises(SessionBookError):
            close()
    assert book.sealed_nonce("s1") == b"sealed"
