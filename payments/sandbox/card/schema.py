"""The processor's tables, in its own SQLite database (WAL, every transaction BEGIN IMMEDIATE).

The PAN is only in `vault`, sealed; `tokens` keeps what may be shown (brand, last 4, expiry). The CVC is in
no table. Every write of an operation (its rows, its stored answer under the Idempotency-Key, the webhook it
sends) commits in one transaction, so a kill -9 leaves each operation done or not done.
"""

from pathlib import Path
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
)

metadata: Final = MetaData()

vault: Final = Table(
    "vault",
    metadata,
    Column("token", String(40), primary_key=True),
    Column("sealed", LargeBinary, nullable=False),
)

tokens: Final = Table(
    "tokens",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account", String(64), nullable=False),
    Column("livemode", Boolean, nullable=False),
    Column("brand", String(16), nullable=False),
    Column("last4", String(4), nullable=False),
    Column("exp_month", Integer, nullable=False),
    Column("exp_year", Integer, nullable=False),
    Column("name", String(128)),
    Column("created", BigInteger, nullable=False),
)

authorizations: Final = Table(
    "authorizations",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("token", String(40), nullable=False),
    Column("account", String(64), nullable=False, index=True),
    Column("livemode", Boolean, nullable=False),
    Column("merchant_reference", String(64), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("capture", Boolean, nullable=False),
    Column("status", String(24), nullable=False),
    Column("decline_code", String(64)),
    Column("captured", BigInteger, nullable=False),
    Column("refunded", BigInteger, nullable=False),
    Column("challenge", String(40), unique=True),
    Column("created", BigInteger, nullable=False),
)

bookings: Final = Table(
    "bookings",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("authorization", String(40), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("merchant_reference", String(64), nullable=False),
    Column("account", String(64), nullable=False),
    Column("livemode", Boolean, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("booked_on", String(10), nullable=False, index=True),
    Column("created", BigInteger, nullable=False),
)

answers: Final = Table(
    "idempotency_answers",
    metadata,
    Column("account", String(64), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("body", Text, nullable=False),
)

outbox: Final = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event", String(40), nullable=False, unique=True),
    Column("body", Text, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt", Float, nullable=False),
    Column("delivered", Boolean, nullable=False, default=False, index=True),
)


def open_database(path: Path) -> Engine:
    """The database at `path` (created with its tables), every transaction taking the write lock at BEGIN
    so two writers never deadlock upgrading their locks."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{path}", pool_size=8, max_overflow=8)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _: object) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    metadata.create_all(engine)
    return engine
