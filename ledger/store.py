"""The ledger's reads: what a batch loads and locks before it is evaluated (`ledger.writes` stores it after).

Order is what makes concurrent batches safe. On PostgreSQL a batch first reads the pending transfers it
names (immutable rows, so no lock is needed to learn their accounts), then reads every account it can touch,
locking with SELECT ... ORDER BY id FOR NO KEY UPDATE those whose flags limit a balance (a limit is checked
against totals no one else may change meanwhile), and only then reads what already exists (transfers by id
and reference, resolutions of pendings): in READ COMMITTED each statement sees what committed before it.
An account without a limit is read unlocked: nothing is checked against its totals but overflow, and the
batch writes its totals as increments (`ledger.writes`), so a concurrent batch's changes are added to, not
overwritten. Its row is locked by that last write only, right before the commit: the accounts every
payment shares (a rail's clearing account, a merchant's balance, the fees) are held for the write and the
COMMIT, not for the whole batch. Two batches meeting on the same new transfer id, reference or pending
resolution still collide on the unique constraints, and `ledger.transaction` runs the loser again, which
then sees the winner. On SQLite the first statement of the transaction is a write, which takes the
database's write lock (waiting out the busy timeout) before anything is read: batches simply run one after
the other, and no read can go stale before the write.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, any_, bindparam, or_, select, text
from sqlalchemy.dialects import postgresql

from ledger.model import AccountFlags, Transfer, TransferFlags
from ledger.schema import accounts, transfers
from ledger.state import AccountState

# A no-op write: SQLite takes its write lock for it, pysqlite opens the transaction before it.
_SQLITE_WRITE_LOCK = text("UPDATE ledger_accounts SET id = id WHERE 1 = 0")

_TRANSFER_COLUMNS = (
    transfers.c.id,
    transfers.c.currency,
    transfers.c.reference,
    transfers.c.debit_account_id,
    transfers.c.credit_account_id,
    transfers.c.amount,
    transfers.c.pending_id,
    transfers.c.flags,
    transfers.c.code,
    transfers.c.timeout_seconds,
    transfers.c.timestamp,
    transfers.c.expires_at,
)


def _member(connection: Connection, column: ColumnElement[Any], values: list[Any]) -> ColumnElement[bool]:
    """`column IN values`; on PostgreSQL as `= ANY(array)`: one parameter and one cached statement, however
    many values (an IN list renders a placeholder per value and compiles anew for each length)."""
    if connection.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(column.type)))
    return column.in_(values)


def begin_writing(connection: Connection) -> None:
    """Serialise this transaction with every other writer, where the backend has no row locks."""
    if connection.dialect.name == "sqlite":
        connection.execute(_SQLITE_WRITE_LOCK)


def _transfer(row: Sequence[Any]) -> Transfer:
    """A row of `_TRANSFER_COLUMNS` (the dataclass's fields, in its order) as a Transfer."""
    values = list(row)
    values[7] = TransferFlags(values[7])
    return Transfer(*values)


def transfers_by_id(connection: Connection, ids: Iterable[int]) -> list[Transfer]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    rows = connection.execute(select(*_TRANSFER_COLUMNS).where(_member(connection, transfers.c.id, wanted)))
    return [_transfer(row) for row in rows]


def existing_transfers(
    connection: Connection,
    ids: Iterable[int],
    references: Iterable[tuple[str, str]],
    pending_ids: Iterable[int],
) -> list[Transfer]:
    """Transfers a batch could collide with or resolve: by id, by (currency, reference), by pending id."""
    id_list, pending_list = sorted(set(ids)), sorted(set(pending_ids))
    reference_set = set(references)
    conditions: list[ColumnElement[bool]] = []
    if id_list:
        conditions.append(_member(connection, transfers.c.id, id_list))
    if reference_set:
        conditions.append(
            and_(
                _member(
                    connection, transfers.c.currency, sorted({currency for currency, _ in reference_set})
                ),
                _member(
                    connection, transfers.c.reference, sorted({reference for _, reference in reference_set})
                ),
            )
        )
    if pending_list:
        conditions.append(_member(connection, transfers.c.pending_id, pending_list))
    if not conditions:
        return []
    rows = connection.execute(select(*_TRANSFER_COLUMNS).where(or_(*conditions)))
    return [_transfer(row) for row in rows]


_ACCOUNT_COLUMNS = (
    accounts.c.id,
    accounts.c.currency,
    accounts.c.flags,
    accounts.c.debits_pending,
    accounts.c.debits_posted,
    accounts.c.credits_pending,
    accounts.c.credits_posted,
)
_LIMITS = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS | AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS)


def lock_accounts(connection: Connection, ids: Iterable[int]) -> dict[int, AccountState]:
    """The accounts among `ids` that exist, locked for this transaction in id order."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    query = (
        select(*_ACCOUNT_COLUMNS)
        .where(_member(connection, accounts.c.id, wanted))
        .order_by(accounts.c.id)
        .with_for_update(key_share=True)  # FOR NO KEY UPDATE: only the totals change, never the key
    )
    return {row[0]: AccountState.read(row) for row in connection.execute(query)}


def load_accounts(connection: Connection, ids: Iterable[int]) -> dict[int, AccountState]:
    """The accounts among `ids` that exist, for a batch: those with a balance limit locked in id order (and
    read under the lock), the others as committed (an account's flags never change)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    read = select(*_ACCOUNT_COLUMNS).where(_member(connection, accounts.c.id, wanted))
    loaded = {row[0]: AccountState.read(row) for row in connection.execute(read)}
    limited = [account.id for account in loaded.values() if account.flags & _LIMITS]
    if limited and connection.dialect.name == "postgresql":
        loaded.update(lock_accounts(connection, limited))
    return loaded
