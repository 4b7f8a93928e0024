"""Keyset lists of the custody store under concurrent inserts, on SQLite and PostgreSQL: a client paging
through sees every request that existed when it began exactly once, in order, never one twice, while other
threads keep storing requests; keys list by id. No nodes: rows are stored as the service stores them."""

import secrets
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from api.auth import ApiClient
from api.custody import store
from api.custody.schemas import SignRequestCreate
from api.db import make_engine, make_session_factory
from api.migrate import upgrade_database
from api.models import CustodyKey
from tests.helpers.custody_api import treasury_tx

KEY_ID = "lists"
DESK = ApiClient("00000000000000d1", "desk", frozenset({"custody:sign"}))
OTHER = ApiClient("00000000000000d2", "other", frozenset({"custody:sign"}))
EXISTING = 24
PAGE = 5


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    upgrade_database(engine)
    factory = make_session_factory(engine)
    with factory() as session:
        now = datetime.now(UTC)
        session.add(
            CustodyKey(
                key_id=KEY_ID, public_key_package=b"", created_by="admin", created_at=now, updated_at=now
            )
        )
        session.commit()
    yield factory
    engine.dispose()


def store_request(sessions: sessionmaker[Session], client: ApiClient = DESK) -> str:
    request_id = "0x" + secrets.token_hex(32)
    body = SignRequestCreate.model_validate({"key_id": KEY_ID, "intent": treasury_tx(1)})
    with sessions() as session:
        store.add_request(session, request_id, body, b"\x00" * 32, client)
    return request_id


def test_paging_while_others_insert_serves_each_existing_request_once_in_order(
    sessions: sessionmaker[Session],
) -> None:
    existing = [store_request(sessions, DESK if n % 3 else OTHER) for n in range(EXISTING)]
    stop = threading.Event()
    inserted: list[str] = []

    def insert_meanwhile() -> None:
        while not stop.is_set():
            inserted.append(store_request(sessions))

    writers = [threading.Thread(target=insert_meanwhile) for _ in range(2)]
    for writer in writers:
        writer.start()
    served: list[tuple[datetime, str]] = []
    try:
        with sessions() as session:
            after = None
            while True:
                page = store.list_requests(
                    session, status="pending", created_by=None, after=after, limit=PAGE
                )
                served += [(row.created_at, row.id) for row in page]
                if len(page) < PAGE or len(served) >= EXISTING + 40:
                    break
                after = served[-1]
    finally:
        stop.set()
        for writer in writers:
            writer.join()
    ids = [request_id for _, request_id in served]
    assert len(ids) == len(set(ids))  # never one twice
    assert served == sorted(served)  # one order throughout
    assert ids[:EXISTING] == existing  # every one that existed, once, in the order made
    assert set(ids[EXISTING:]) <= set(inserted)


def test_a_caller_lists_its_own_and_keys_list_by_id(sessions: sessionmaker[Session]) -> None:
    mine = [store_request(sessions, DESK) for _ in range(3)]
    store_request(sessions, OTHER)
    with sessions() as session:
        first = store.list_requests(session, status=None, created_by=DESK.key_id, after=None, limit=2)
        rest = store.list_requests(
            session, status=None, created_by=DESK.key_id, after=(first[-1].created_at, first[-1].id), limit=2
        )
        assert [row.id for row in [*first, *rest]] == mine
        assert store.list_requests(session, status="signed", created_by=None, after=None, limit=10) == []

        now = datetime.now(UTC)
        for key_id in ("b-key", "a-key"):
            session.add(
                CustodyKey(
                    key_id=key_id, public_key_package=b"", created_by="a", created_at=now, updated_at=now
                )
            )
        session.commit()
        assert [k.key_id for k in store.list_keys(session, after=None, limit=2)] == ["a-key", "b-key"]
        assert [k.key_id for k in store.list_keys(session, after="b-key", limit=2)] == [KEY_ID]
