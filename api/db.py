"""The API's database access: the declarative base, the engine, the session factory and a request's session.

SQLite (the dev default) and PostgreSQL through psycopg 3 are both supported; the schema itself is only ever
changed by Alembic (`api.migrate`).

A request uses one connection at a time and holds it only inside a transaction, which never spans an
`await` (`api.idempotency` and the services commit before they call out). Every transaction runs in a worker
thread, so the app's pool is as large as its thread pool (`pool_size`, no overflow): a thread that needs a
connection never waits for one, and a burst of requests queues for threads, not for connections held by
threads that are themselves waiting. SQLite gets the pragmas that make it behave like a real database for us:
foreign keys enforced, WAL so readers do not block the writer, and a busy timeout instead of instant
"database is locked" errors; within the process, its writers queue on a lock (`api.sqlite_writer`).
"""

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, MetaData, create_engine, event, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from api.sqlite_writer import SerialWriterConnection
from chain.sql_naming import SQL_NAMING_CONVENTION

SQLITE_BUSY_TIMEOUT_MS = 30_000
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5


class Base(DeclarativeBase):
    """Base of every ORM model; its metadata is what Alembic migrations describe.

    Constraint names are fixed by convention so that a migration can name what it alters on every backend.
    """

    metadata = MetaData(naming_convention=SQL_NAMING_CONVENTION)


def _enable_sqlite_pragmas(dbapi_connection: Any, _connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def _ensure_sqlite_directory(url: URL) -> None:
    if url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def _pool_options(url: URL, pool_size: int | None, pool_timeout: float | None) -> dict[str, Any]:
    if pool_size is None or (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")):
        return {}
    options: dict[str, Any] = {"pool_size": pool_size, "max_overflow": 0}
    if pool_timeout is not None:
        options["pool_timeout"] = pool_timeout
    return options


def make_engine(
    database_url: str, *, pool_size: int | None = None, pool_timeout: float | None = None
) -> Engine:
    """An engine for `database_url` (SQLite or PostgreSQL); for a SQLite file, its folder is created first.
    `pool_size`: exactly that many pooled connections, no overflow (default: SQLAlchemy's pool)."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    pool = _pool_options(url, pool_size, pool_timeout)
    if backend == "sqlite":
        _ensure_sqlite_directory(url)
        engine = create_engine(url, connect_args={"factory": SerialWriterConnection}, **pool)
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        return engine
    if backend == "postgresql":
        return create_engine(
            url,
            pool_pre_ping=True,
            connect_args={"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS},
            **pool,
        )
    raise ValueError(f"unsupported database backend {backend!r}: use sqlite or postgresql")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (responses are built after the commit)."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def redacted_url(database_url: str) -> str:
    """`database_url` with its password masked, for logs."""
    return make_url(database_url).render_as_string(hide_password=True)


async def get_session(request: HTTPConnection) -> AsyncIterator[Session]:
    """One database session per request, closed (and rolled back if uncommitted) when the request ends.

    Async, so opening it takes no worker thread (a session connects only when first used). Closing one with
    a transaction still open rolls it back, which is database work, so that runs in a worker thread; a
    session whose work all ended (committed or rolled back, the usual case) holds no connection and closes
    at once, sparing every request a hop to a worker thread and back."""
    session: Session = request.app.state.session_factory()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()
