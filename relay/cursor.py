"""A persisted chain cursor: how far a relay worker has read a chain, safe across restarts and reorgs.

Workers (the subscription keeper, the bridge relay) read events only from blocks `confirmations` deep, window
by window, and remember each window's last block as (number, hash) in their own SQL database, in the same
transaction as the effects of the events they read, so a crash can never separate the two.

Before reading on, a worker checks that the block it stopped at is still the chain's block at that height. If
a reorg replaced it (possible only if it was deeper than the confirmation depth allowed for), the cursor
rewinds to the newest remembered block that is still canonical and the worker reads again from there; the
events' handlers are keyed by (tx hash, log index) or are otherwise idempotent, so reading again is harmless.
The last KEEP_BLOCKS positions are remembered, which bounds how deep a reorg can be recovered from without
starting over from the worker's first block.

Storage is SQLAlchemy on SQLite (one file per worker, WAL) or PostgreSQL: `RelayBase` is the declarative base
of every relay table, so one `create_all` makes a worker's cursor and its own tables together. A relay
database holds only what can be rebuilt from the chain, so tables are created, never migrated.
A worker whose effects live in another database (the payments watcher writes the API's) keeps its cursor
there, in a table of the same shape (`cursor`, `number`, `hash`) that the cursor is given.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Select,
    String,
    Table,
    create_engine,
    delete,
    event,
    insert,
    make_url,
    select,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from web3 import Web3

KEEP_BLOCKS = 128
"""How many past positions a cursor remembers to find where a reorg forked."""

SQLITE_BUSY_TIMEOUT_MS = 5_000
HASH_LENGTH = 66  # 0x + 32 bytes in hex
NAME_LENGTH = 128


class RelayBase(DeclarativeBase):
    """Base of every relay table; `RelayBase.metadata.create_all(engine)` creates them all."""


class CursorBlock(RelayBase):
    """One remembered position of a cursor: a block it read up to, and that block's hash then."""

    __tablename__ = "relay_cursor_blocks"

    cursor: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH))


CURSOR_BLOCKS: Table = RelayBase.metadata.tables[CursorBlock.__tablename__]
"""The relay database's table of cursor positions."""


@dataclass(frozen=True)
class BlockRef:
    """A block by number and hash (0x-hex, lower case)."""

    number: int
    hash: str


@dataclass(frozen=True)
class Window:
    """The next blocks to read: [`first`, `last.number`], all at least the confirmation depth deep."""

    first: int
    last: BlockRef


def make_engine(database_url: str) -> Engine:
    """An engine for a relay database; a SQLite file gets its folder, WAL and a busy timeout."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def block_ref(w3: Web3, number: int) -> BlockRef:
    """Block `number` of the chain as the node sees it now."""
    block = w3.eth.get_block(number)
    return BlockRef(number, "0x" + bytes(block["hash"]).hex())


class ChainCursor:
    """The read position of one worker on one chain, kept in the worker's database under `name`.

    Name a cursor after what it follows and where, e.g. `keeper:31337:0xManager…`, so a database pointed
    at another chain or contract starts fresh instead of trusting positions that mean nothing there.
    `table` is where positions are kept (`relay_cursor_blocks` unless the worker's database has its own);
    every method runs in the caller's transaction, an ORM session's or a Core connection's.
    """

    def __init__(self, name: str, table: Table = CURSOR_BLOCKS) -> None:
        if not name or len(name) > NAME_LENGTH:
            raise ValueError(f"a cursor name is 1 to {NAME_LENGTH} characters")
        self.name = name
        self.table = table

    def position(self, session: Session | Connection) -> BlockRef | None:
        """The last block read, or None before the first window."""
        row = session.execute(self._newest_first().limit(1)).first()
        return None if row is None else BlockRef(row.number, row.hash)

    def advance(self, session: Session | Connection, block: BlockRef) -> None:
        """Record `block` as read (in the caller's transaction) and forget positions beyond KEEP_BLOCKS."""
        current = self.position(session)
        if current is not None and block.number <= current.number:
            raise ValueError(f"cursor {self.name} is at block {current.number}, not before {block.number}")
        session.execute(insert(self.table).values(cursor=self.name, number=block.number, hash=block.hash))
        kept = session.execute(self._newest_first().limit(KEEP_BLOCKS)).all()
        columns = self.table.c
        session.execute(
            delete(self.table).where(columns.cursor == self.name, columns.number < kept[-1].number)
        )

    def rewind_if_reorged(self, session: Session | Connection, w3: Web3) -> BlockRef | None:
        """Check the cursor's blocks against the chain; drop those a reorg replaced. Returns the position
        to read on from (None: from the worker's first block). Runs in the caller's transaction."""
        columns = self.table.c
        for row in session.execute(self._newest_first()).all():
            if block_ref(w3, row.number).hash == row.hash:
                return BlockRef(row.number, row.hash)
            session.execute(
                delete(self.table).where(columns.cursor == self.name, columns.number == row.number)
            )
        return None

    def _newest_first(self) -> Select[tuple[int, str]]:
        columns = self.table.c
        return (
            select(columns.number, columns.hash)
            .where(columns.cursor == self.name)
            .order_by(columns.number.desc())
        )

    def next_window(
        self,
        session: Session | Connection,
        w3: Web3,
        *,
        start_block: int,
        confirmations: int,
        max_blocks: int,
    ) -> Window | None:
        """The next blocks to read, or None while no new block is `confirmations` deep. Rewinds first if a
        reorg replaced blocks already read (see `rewind_if_reorged`)."""
        if max_blocks < 1 or confirmations < 0:
            raise ValueError("a window holds at least one block and the depth is not negative")
        position = self.rewind_if_reorged(session, w3)
        first = start_block if position is None else position.number + 1
        confirmed = w3.eth.block_number - confirmations
        if confirmed < first:
            return None
        return Window(first, block_ref(w3, min(confirmed, first + max_blocks - 1)))
