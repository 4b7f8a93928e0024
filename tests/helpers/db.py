"""Database URL fixtures for tests that run on both SQLite and PostgreSQL.

`database_url` is parametrized over the two backends: a fresh SQLite file per test, and a fresh PostgreSQL
schema per test (dropped afterwards) on the server at `TPW_TEST_PG_URL`. The PostgreSQL variant is marked
`pg` and is skipped, with the reason, only when no server answers at that address; a server that answers but
refuses us (wrong password, missing database) fails the test, so a broken setup is never mistaken for a
missing one. Import the fixtures into a conftest.py to use them.

`migrated_database_url` is `database_url` already brought to the migrations' head, for tests whose app
would otherwise run the whole Alembic chain at start, once per test (seconds on PostgreSQL on two shared
cores, the suite's largest cost). The schema comes from the real chain, run once per test session (per
pytest-xdist worker): SQLite copies the migrated file, PostgreSQL replays the exact statements the chain sent.
The app still runs `upgrade_database` at start, which finds the head and does nothing; tests of the chain
itself (tests/api/test_migrations.py, the packages' test_migration.py) keep starting from an empty database.

On PostgreSQL the replay is the slow part (a second or so of DDL on two busy cores), so each process keeps
the next migrated schema ready, made by a background thread while the current test runs; `fill` swaps it
in under the test's schema name (`ALTER SCHEMA ... RENAME`, instant), so the test's URL never changes.
Dropping a test's schema afterwards goes to the same thread. Nothing differs for the test: it gets a
schema of its own at the head, as before, only sooner.
"""

import atexit
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine, create_engine, event, func, make_url, select, text
from sqlalchemy.orm import Session

from api.db import make_engine
from api.migrate import upgrade_database

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


def worker_name() -> str:
    """This pytest-xdist worker's name (`gw0`, ...), or `main` without xdist: in names of shared resources, so
    a leftover tells which worker made it."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database file of this test's own, not yet created."""
    return f"sqlite:///{tmp_path / 'db' / 'api.db'}"


class SchemaWorker:
    """This process's background PostgreSQL work: test schemas dropped after their test, and the next
    migrated schema prepared ahead (`take_migrated`). One thread, so the work never competes with itself."""

    def __init__(self) -> None:
        self._admin = create_engine(pg_server_url())
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-schemas")
        self._script: str | None = None
        self._next: Future[str] | None = None
        atexit.register(self.close)

    def drop_later(self, schema: str) -> None:
        self._thread.submit(self._drop, schema)

    def take_migrated(self, script: str) -> str:
        """A schema at the head (the one prepared ahead, else one made now); the next is started."""
        self._script = script
        ready = self._next.result() if self._next is not None else self._prepare()
        self._next = self._thread.submit(self._prepare)
        return ready

    def _prepare(self) -> str:
        assert self._script is not None
        schema = f"tpw_ready_{worker_name()}_{uuid.uuid4().hex[:16]}"
        with self._admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            connection.execute(text(f'SET LOCAL search_path TO "{schema}"'))
            connection.exec_driver_sql(self._script)
        return schema

    def _drop(self, schema: str) -> None:
        with self._admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))

    def close(self) -> None:
        """At exit: finish the queued drops, and drop the schema prepared for a test that never came."""
        self._thread.shutdown(wait=True)
        if self._next is not None and self._next.exception() is None:
            self._drop(self._next.result())
        self._admin.dispose()


@cache
def schema_worker() -> SchemaWorker:
    return SchemaWorker()


def search_path_of(url: str) -> str:
    """The schema a `pg_url` URL names (its `-csearch_path=` option)."""
    options = make_url(url).query["options"]
    assert isinstance(options, str), options
    assert options.startswith("-csearch_path="), options
    return options.removeprefix("-csearch_path=")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh empty schema, dropped with all in it afterwards (by
    this process's background thread: the next test need not wait for it)."""
    reason = pg_unreachable_reason()
    if reason is not None:
        pytest.skip(reason)
    schema = f"tpw_test_{worker_name()}_{uuid.uuid4().hex[:16]}"
    admin = create_engine(pg_server_url())
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        admin.dispose()
    yield (
        make_url(pg_server_url())
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )
    schema_worker().drop_later(schema)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test that takes this runs once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "pg_url"
    url: str = request.getfixturevalue(fixture)
    return url


class HeadTemplates:
    """The migrations' head, made once per session and handed out per test: a migrated SQLite file to copy,
    and the SQL that migrated a scratch PostgreSQL schema, to run again in a test's own schema."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._sqlite_file: Path | None = None
        self._pg_script: str | None = None

    def fill(self, url: str) -> None:
        """Bring the empty database at `url` (a `database_url`) to the migrations' head."""
        if make_url(url).get_backend_name() == "sqlite":
            target = Path(str(make_url(url).database))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self._sqlite_template(), target)
            return
        schema = search_path_of(url)
        ready = schema_worker().take_migrated(self._pg_recording())
        admin = create_engine(pg_server_url())
        try:
            with admin.begin() as connection:  # the test's empty schema gives way to the migrated one
                connection.execute(text(f'DROP SCHEMA "{schema}"'))
                connection.execute(text(f'ALTER SCHEMA "{ready}" RENAME TO "{schema}"'))
        finally:
            admin.dispose()

    def _sqlite_template(self) -> Path:
        if self._sqlite_file is None:
            path = self._directory / "head.db"
            with engine_on(f"sqlite:///{path}") as engine:
                upgrade_database(engine)
            self._sqlite_file = path
        return self._sqlite_file

    def _pg_recording(self) -> str:
        if self._pg_script is None:
            self._pg_script = record_pg_migration()
        return self._pg_script


def record_pg_migration() -> str:
    """Migrate a scratch PostgreSQL schema to head and return what changed it as one script: every statement
    sent but the reads (the advisory lock, which a test's private schema needs not, and Alembic's looks at the
    catalog), parameters inlined, so one round trip replays it. The statements name no schema (the
    search_path picks it), which is checked, so the script runs in any other empty schema."""
    schema = f"tpw_template_{worker_name()}_{uuid.uuid4().hex[:16]}"
    admin = create_engine(pg_server_url())
    script: list[str] = []
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(pg_server_url()).update_query_dict({"options": f"-csearch_path={schema}"})
        with engine_on(url.render_as_string(hide_password=False)) as engine:

            @event.listens_for(engine, "before_cursor_execute")
            def record(
                _conn: Any, cursor: Any, statement: str, parameters: Any, _ctx: Any, many: bool
            ) -> None:
                if statement.lstrip().upper().startswith("SELECT"):
                    return
                assert not many, f"an executemany, which this recording cannot inline: {statement}"
                script.append(psycopg.ClientCursor(cursor.connection).mogrify(statement, parameters or None))

            upgrade_database(engine)
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    finally:
        admin.dispose()
    named = [statement for statement in script if schema in statement]
    assert not named, f"a migration names its schema, so its statements cannot be replayed elsewhere: {named}"
    return ";\n".join(script)


@pytest.fixture(scope="session")
def head_templates(tmp_path_factory: pytest.TempPathFactory) -> HeadTemplates:
    return HeadTemplates(tmp_path_factory.mktemp("head-templates"))


@pytest.fixture
def migrated_database_url(database_url: str, head_templates: HeadTemplates) -> str:
    """`database_url`, its database already at the migrations' head (see the module's docstring)."""
    head_templates.fill(database_url)
    return database_url


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
