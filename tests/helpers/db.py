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

Even ahead of time, that replay (and the DROP after it) was the suite's largest PostgreSQL cost: CPU on the
same two cores the tests run on, for each of the PostgreSQL API tests. So a migrated schema its test is done
with is recycled (`SchemaWorker.release`) when its structure is still exactly the head's: compared, object by
object, with a pristine head schema the process keeps (`HeadTemplate`), then emptied (every row deleted, the
migrations' own rows copied back from the pristine one, sequences set back to its values) and renamed for
the next test. That is a tenth of the replay (TRUNCATE would cost as much as the replay: it makes new files
for every table and index). Anything in doubt (a structure the test changed, a lock a leftover connection
holds, no right to turn triggers off for the cleanup) drops the schema instead, as before.
"""

import atexit
import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Connection, Engine, create_engine, event, func, make_url, select, text
from sqlalchemy.exc import SQLAlchemyError
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


# What makes two schemas the same for a test: every relation, column (type, default, identity), constraint,
# index, trigger (but the foreign keys' internal ones, named by OID: their constraints are compared),
# function, type and sequence, read with the schema first on the search_path so that definitions name no
# schema. One row of text per object; `structure_of` masks the schema's own name where one still shows.
STRUCTURE_SQL = """
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = :schema)
SELECT concat_ws(' ', 'rel', c.relname, c.relkind, c.relpersistence)
  FROM pg_class c, ns WHERE c.relnamespace = ns.oid
UNION ALL
SELECT concat_ws(' ', 'col', c.relname, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod),
                 a.attnotnull, a.attisdropped, a.attidentity, a.attgenerated, pg_get_expr(d.adbin, d.adrelid))
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN ns ON c.relnamespace = ns.oid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE a.attnum > 0
UNION ALL
SELECT concat_ws(' ', 'con', c.relname, k.conname, pg_get_constraintdef(k.oid))
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN ns ON k.connamespace = ns.oid
UNION ALL
SELECT concat_ws(' ', 'idx', pg_get_indexdef(i.indexrelid))
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN ns ON c.relnamespace = ns.oid
UNION ALL
SELECT concat_ws(' ', 'trg', pg_get_triggerdef(t.oid), t.tgenabled)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN ns ON c.relnamespace = ns.oid
  WHERE NOT t.tgisinternal
UNION ALL
SELECT concat_ws(' ', 'fun', p.proname, md5(pg_get_functiondef(p.oid)))
  FROM pg_proc p, ns WHERE p.pronamespace = ns.oid AND p.prokind IN ('f', 'p')
UNION ALL
SELECT concat_ws(' ', 'typ', t.typname, t.typtype)
  FROM pg_type t, ns WHERE t.typnamespace = ns.oid
UNION ALL
SELECT concat_ws(' ', 'seq', c.relname, s.seqtypid, s.seqstart, s.seqincrement, s.seqmax, s.seqmin,
                 s.seqcache, s.seqcycle)
  FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN ns ON c.relnamespace = ns.oid
"""


TABLES_SQL = "SELECT tablename FROM pg_tables WHERE schemaname = :schema ORDER BY tablename"
SEQUENCES_SQL = "SELECT sequencename FROM pg_sequences WHERE schemaname = :schema ORDER BY sequencename"


def qualified(schema: str, name: str) -> str:
    """`name` in `schema`, both quoted (names the catalog gave, or this module made)."""
    return f'"{schema}"."{name}"'


def structure_of(connection: Connection, schema: str) -> frozenset[str]:
    """`schema`'s objects as text that names no schema (`STRUCTURE_SQL`), inside the caller's transaction."""
    connection.execute(text(f'SET LOCAL search_path TO "{schema}"'))
    rows = connection.execute(text(STRUCTURE_SQL), {"schema": schema}).scalars()
    return frozenset(row.replace(schema, "<schema>") for row in rows)


@dataclass(frozen=True)
class HeadTemplate:
    """A pristine schema at the head, never handed to a test: what a recycled schema must look like
    (`structure`), the rows the migrations themselves wrote (in `seeded` tables), and where its sequences
    stand (name, last value, whether it was handed out)."""

    name: str
    structure: frozenset[str]
    tables: tuple[str, ...]
    seeded: tuple[str, ...]
    sequences: tuple[tuple[str, int, bool], ...]


class SchemaWorker:
    """This process's background PostgreSQL work: test schemas recycled or dropped after their test, and the
    next migrated schema prepared ahead (`take_migrated`). One thread, so the work never competes with
    itself. See the module's docstring for why and when a schema is recycled."""

    def __init__(self) -> None:
        self._admin = create_engine(pg_server_url())
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-schemas")
        self._script: str | None = None
        self._template: HeadTemplate | None = None
        self._migrated: set[str] = set()
        self._coming: list[Future[str | None]] = []
        """Schemas on their way to the next tests, oldest first: prepared ahead or being recycled."""
        atexit.register(self.close)

    def swap_in(self, schema: str, script: str) -> None:
        """Replace the empty test schema `schema` by one at the head (migrated by `script`), same name."""
        ready = self.take_migrated(script)
        with self._admin.begin() as connection:  # the test's empty schema gives way to the migrated one
            connection.execute(text(f'DROP SCHEMA "{schema}"'))
            connection.execute(text(f'ALTER SCHEMA "{ready}" RENAME TO "{schema}"'))
        self._migrated.add(schema)

    def release(self, schema: str) -> None:
        """After its test: recycle `schema` if `swap_in` filled it, else drop it (in the background)."""
        if schema in self._migrated:
            self._migrated.discard(schema)
            self._coming.append(self._thread.submit(self._recycle, schema))
        else:
            self._thread.submit(self._drop, schema)

    def take_migrated(self, script: str) -> str:
        """A schema at the head: one already made (recycled or prepared ahead) if any, else the oldest on its
        way, else one made now; then, unless another is on its way, the next is prepared ahead. Taking what
        is ready first keeps a recycle off the test's critical path, as the preparing ahead always was."""
        self._script = script
        ready: str | None = None
        while ready is None and self._coming:
            done = next((future for future in self._coming if future.done()), self._coming[0])
            self._coming.remove(done)
            ready = done.result()
        if ready is None:
            ready = self._prepare()
        if not self._coming:
            self._coming.append(self._thread.submit(self._prepare))
        return ready

    def _prepare(self) -> str:
        assert self._script is not None
        schema = f"tpw_ready_{worker_name()}_{uuid.uuid4().hex[:16]}"
        with self._admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            connection.execute(text(f'SET LOCAL search_path TO "{schema}"'))
            connection.exec_driver_sql(self._script)
        return schema

    def _head_template(self) -> HeadTemplate:
        if self._template is None:
            name = self._prepare()
            with self._admin.begin() as connection:
                catalog = {"schema": name}
                tables = tuple(connection.execute(text(TABLES_SQL), catalog).scalars())
                seeded = []
                for table in tables:
                    rows = f"SELECT EXISTS (SELECT FROM {qualified(name, table)})"  # noqa: S608
                    if connection.execute(text(rows)).scalar():
                        seeded.append(table)
                sequences = []
                for sequence in connection.execute(text(SEQUENCES_SQL), catalog).scalars().all():
                    state = f"SELECT last_value, is_called FROM {qualified(name, sequence)}"  # noqa: S608
                    value, called = connection.execute(text(state)).one()
                    sequences.append((sequence, value, called))
                structure = structure_of(connection, name)
            self._template = HeadTemplate(name, structure, tables, tuple(seeded), tuple(sequences))
        return self._template

    def _recycle(self, schema: str) -> str | None:
        """`schema` emptied back to the head under a new name, or None (and dropped) when in doubt."""
        template = self._head_template()
        ready = f"tpw_ready_{worker_name()}_{uuid.uuid4().hex[:16]}"
        try:
            with self._admin.begin() as connection:
                connection.execute(text("SET LOCAL lock_timeout = '2s'"))  # a leftover connection's locks
                connection.execute(text(f'ALTER SCHEMA "{schema}" RENAME TO "{ready}"'))
                if structure_of(connection, ready) != template.structure:
                    raise _NotTheHead(schema)
                # Off for the cleanup only: foreign keys (every row goes) and guards (append-only triggers).
                connection.execute(text("SET LOCAL session_replication_role = replica"))
                deletes = (f"DELETE FROM {qualified(ready, table)}" for table in template.tables)  # noqa: S608
                connection.exec_driver_sql(";\n".join(deletes))  # one round trip
                for table in template.seeded:
                    target, source = qualified(ready, table), qualified(template.name, table)
                    copy = f"INSERT INTO {target} OVERRIDING SYSTEM VALUE SELECT * FROM {source}"  # noqa: S608
                    connection.execute(text(copy))
                for sequence, value, called in template.sequences:
                    connection.execute(
                        text("SELECT setval(:sequence, :value, :called)"),
                        {"sequence": qualified(ready, sequence), "value": value, "called": called},
                    )
        except (SQLAlchemyError, _NotTheHead):
            self._drop(schema)
            self._drop(ready)
            return None
        return ready

    def _drop(self, schema: str) -> None:
        with self._admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))

    def close(self) -> None:
        """At exit: finish the queued work, and drop the schemas prepared or recycled for tests that never
        came, and the pristine one."""
        self._thread.shutdown(wait=True)
        for future in self._coming:
            if future.exception() is None and (schema := future.result()) is not None:
                self._drop(schema)
        if self._template is not None:
            self._drop(self._template.name)
        self._admin.dispose()


class _NotTheHead(Exception):
    """A schema its test changed: it is dropped, not recycled."""


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
    """A PostgreSQL URL whose search_path is a fresh empty schema, dropped with all in it afterwards, or
    recycled if `migrated_database_url` filled it (by this process's background thread: the next test need
    not wait for it)."""
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
    schema_worker().release(schema)


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
        schema_worker().swap_in(search_path_of(url), self._pg_recording())

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
