"""The ledger's reads and writes: what a batch locks and loads before evaluating, and what it writes after.

Order is what makes concurrent batches safe. On PostgreSQL a batch first reads the pending transfers it
names (immutable rows, so no lock is needed to learn their accounts), then locks every account it can touch
with one SELECT ... ORDER BY id FOR UPDATE, so any two batches take their common locks in the same order and
cannot deadlock, and only then reads what already exists (transfers by id and reference, resolutions of
pendings): in READ COMMITTED each statement sees what committed before it, so these reads see every batch
that held the locks before us. On SQLite the first statement of the transaction is a write, which takes the
database's write lock (waiting out the busy timeout) before anything is read: batches simply run one after
the other, and no read can go stale before the write.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, bindparam, insert, or_, select, text, update

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

_UPDATE_TOTALS = (
    update(accounts)
    .where(accounts.c.id == bindparam("account_id"))
    .values(
        debits_pending=bindparam("new_debits_pending"),
        debits_posted=bindparam("new_debits_posted"),
        credits_pending=bindparam("new_credits_pending"),
        credits_posted=bindparam("new_credits_posted"),
    )
)


def begin_writing(connection: Connection) -> None:
    """Serialise this transaction with every other writer, where the backend has no row locks."""
    if connection.dialect.name == "sqlite":
        connection.execute(_SQLITE_WRITE_LOCK)


def _transfer(row: Sequence[Any]) -> Transfer:
    (
        id_,
        currency,
        reference,
        debit,
        credit,
        amount,
        pending_id,
        flags,
        code,
        timeout,
        timestamp,
        expires,
    ) = row
    return Transfer(
        id=int(id_),
        currency=str(currency),
        reference=str(reference),
        debit_account_id=int(debit),
        credit_account_id=int(credit),
        amount=int(amount),
        pending_id=None if pending_id is None else int(pending_id),
        flags=TransferFlags(flags),
        code=int(code),
        timeout_seconds=int(timeout),
        timestamp=int(timestamp),
        expires_at=None if expires is None else int(expires),
    )


def transfers_by_id(connection: Connection, ids: Iterable[int]) -> list[Transfer]:
    wanted = sorted(set(ids))
    if not wanted:
        return []
    rows = connection.execute(select(*_TRANSFER_COLUMNS).where(transfers.c.id.in_(wanted)))
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
        conditions.append(transfers.c.id.in_(id_list))
    if reference_set:
        conditions.append(
            and_(
                transfers.c.currency.in_(sorted({currency for currency, _ in reference_set})),
                transfers.c.reference.in_(sorted({reference for _, reference in reference_set})),
            )
        )
    if pending_list:
        conditions.append(transfers.c.pending_id.in_(pending_list))
    if not conditions:
        return []
    rows = connection.execute(select(*_TRANSFER_COLUMNS).where(or_(*conditions)))
    return [_transfer(row) for row in rows]


def lock_accounts(connection: Connection, ids: Iterable[int]) -> dict[int, AccountState]:
    """The accounts among `ids` that exist, locked for this transaction in id order."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    query = (
        select(
            accounts.c.id,
            accounts.c.currency,
            accounts.c.flags,
            accounts.c.debits_pending,
            accounts.c.debits_posted,
            accounts.c.credits_pending,
            accounts.c.credits_posted,
        )
        .where(accounts.c.id.in_(wanted))
        .order_by(accounts.c.id)
        .with_for_update()
    )
    return {
        row[0]: AccountState(row[0], row[1], AccountFlags(row[2]), row[3], row[4], row[5], row[6])
        for row in connection.execute(query)
    }


def write_batch(connection: Connection, created: Sequence[Transfer], touched: Iterable[AccountState]) -> None:
    """Insert the new transfers and store the changed totals: one statement each, rows in id order."""
    if created:
        connection.execute(
            insert(transfers),
            [
                {
                    "id": transfer.id,
                    "currency": transfer.currency,
                    "reference": transfer.reference,
                    "debit_account_id": transfer.debit_account_id,
                    "credit_account_id": transfer.credit_account_id,
                    "amount": transfer.amount,
                    "pending_id": transfer.pending_id,
                    "flags": int(transfer.flags),
                    "code": transfer.code,
                    "timeout_seconds": transfer.timeout_seconds,
                    "timestamp": transfer.timestamp,
                    "expires_at": transfer.expires_at,
                }
                for transfer in sorted(created, key=lambda transfer: transfer.id)
            ],
        )
    changed = sorted((account for account in touched if account.changed), key=lambda account: account.id)
    if changed:
        connection.execute(
            _UPDATE_TOTALS,
            [
                {
                    "account_id": account.id,
                    "new_debits_pending": account.debits_pending,
                    "new_debits_posted": account.debits_posted,
                    "new_credits_pending": account.credits_pending,
                    "new_credits_posted": account.credits_posted,
                }
                for account in changed
            ],
        )
