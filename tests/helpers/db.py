"""Database URL fixtures for tests that run on both SQLite and PostgreSQL.

`database_url` is parametrized over the two backends: a fresh SQLite file per test, and a fresh PostgreSQL
schema per test (dropped afterwards) on the server at `TPW_TEST_PG_URL`. The PostgreSQL variant is marked
`pg` and is skipped, with the reason, only when no server answers at that address; a server that answers but
refuses us (wrong password, missing database) fails the test, so a broken setup is never mistaken for a
missing one. Import the fixtures into a conftest.py to use them.
"""

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, make_url, select, text
from sqlalchemy.orm import Session

from api.db import make_engine

PG_URL_ENV = "TPW_TEST_PG_URL"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_PROBE_TIMEOUT_SECONDS = 1.0
PG_DEFAULT_PORT = 5432


def pg_server_url() -> str:
    """The PostgreSQL URL tests use: `TPW_TEST_PG_URL`, else the local default."""

    return os.environ.get(PG_URL_ENV, DEFAULT_PG_URL)


@cache
def pg_unreachable_reason() -> str | None:
    """Why no PostgreSQL server answers at `pg_server_url()`, or None when one accepts a connection."""
    url = make_url(pg_server_url())
    host = url.host or "127.0.0.1"
    port = url.port or PG_DEFAULT_PORT
    try:
        with socket.create_connection((host, port), timeout=PG_PROBE_TIMEOUT_SECONDS):
            return None
    except OSError as error:
        return f"no PostgreSQL server answers at {host}:{port} ({PG_URL_ENV}): {type(error).__name__}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database file of this test's own, not yet created."""
    return f"sqlite:///{tmp_path / 'db' / 'api.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh empty schema, dropped with all in it afterwards."""
    reason = pg_unreachable_reason()
    if reason is not None:
        pytest.skip(reason)
    schema = f"tpw_test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(pg_server_url())
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield (
            make_url(pg_server_url())
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test that takes this runs once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(fixture)
    return url


@contextmanager
def engine_on(url: str) -> Iterator[Engine]:
    """An engine of its own (not the app's), disposed of when the block ends."""
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@contextmanager
def session_on(url: str) -> Iterator[Session]:
    """A session on an engine of its own (not the app's), disposed of when the block ends."""
    with engine_on(url) as engine, Session(engine) as session:
        yield session


def count_rows(url: str, model: type[Any]) -> int:
    """How many rows `model`'s table holds now, read on a connection of its own (not the app's)."""
    with session_on(url) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0
