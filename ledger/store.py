"""The ledger's reads and writes: what a batch locks and loads before evaluating, and what it writes after.

Order is what makes concurrent batches safe. On PostgreSQL a batch first reads the pending transfers it
names (immutable rows, so no lock is needed to learn their accounts), then locks every account it can touch
with one SELECT ... ORDER BY id FOR NO KEY UPDATE, so any two batches take their common locks in the same
order and cannot deadlock, and only then reads what already exists (transfers by id and reference,
resolutions of pendings): in READ COMMITTED each statement sees what committed before it, so these reads
see every batch that held the locks before us. On SQLite the first statement of the transaction is a
write, which takes the database's write lock (waiting out the busy timeout) before anything is read:
batches simply run one after the other, and no read can go stale before the write.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, any_, bindparam, insert, or_, select, text, update
from sqlalchemy.dialects import postgresql

from ledger.model import Transfer, TransferFlags
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
        .where(_member(connection, accounts.c.id, wanted))
        .order_by(accounts.c.id)
        .with_for_update(key_share=True)  # FOR NO KEY UPDATE: only the totals change, never the key
    )
    return {
        row[0]: AccountState(row[0], row[1], int(row[2]), row[3], row[4], row[5], row[6])
        for row in connection.execute(query)
    }


# PostgreSQL: the batch's writes in one statement and one round trip. Arrays in, `unnest` to rows; the
# INSERT runs as a data-modifying CTE (executed exactly once whether or not the UPDATE reads it).
_PG_WRITE = text(
    """
    WITH created AS (
        INSERT INTO ledger_transfers (id, currency, reference, debit_account_id, credit_account_id, amount,
                                      pending_id, flags, code, timeout_seconds, timestamp, expires_at)
        SELECT * FROM unnest(
            CAST(:ids AS BIGINT[]), CAST(:currencies AS VARCHAR[]), CAST(:references AS VARCHAR[]),
            CAST(:debits AS BIGINT[]), CAST(:credits AS BIGINT[]), CAST(:amounts AS BIGINT[]),
            CAST(:pending_ids AS BIGINT[]), CAST(:flags AS INTEGER[]), CAST(:codes AS INTEGER[]),
            CAST(:timeouts AS BIGINT[]), CAST(:timestamps AS BIGINT[]), CAST(:expiries AS BIGINT[])
        )
        RETURNING 1
    )
    UPDATE ledger_accounts AS account
    SET debits_pending = totals.debits_pending, debits_posted = totals.debits_posted,
        credits_pending = totals.credits_pending, credits_posted = totals.credits_posted
    FROM unnest(
        CAST(:account_ids AS BIGINT[]), CAST(:debits_pending AS BIGINT[]), CAST(:debits_posted AS BIGINT[]),
        CAST(:credits_pending AS BIGINT[]), CAST(:credits_posted AS BIGINT[])
    ) AS totals(id, debits_pending, debits_posted, credits_pending, credits_posted)
    WHERE account.id = totals.id
    """
)


def _transfer_row(transfer: Transfer) -> dict[str, Any]:
    return {
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


def _pg_write(connection: Connection, created: list[Transfer], changed: list[AccountState]) -> None:
    connection.execute(
        _PG_WRITE,
        {
            "ids": [t.id for t in created],
            "currencies": [t.currency for t in created],
            "references": [t.reference for t in created],
            "debits": [t.debit_account_id for t in created],
            "credits": [t.credit_account_id for t in created],
            "amounts": [t.amount for t in created],
            "pending_ids": [t.pending_id for t in created],
            "flags": [int(t.flags) for t in created],
            "codes": [t.code for t in created],
            "timeouts": [t.timeout_seconds for t in created],
            "timestamps": [t.timestamp for t in created],
            "expiries": [t.expires_at for t in created],
            "account_ids": [a.id for a in changed],
            "debits_pending": [a.debits_pending for a in changed],
            "debits_posted": [a.debits_posted for a in changed],
            "credits_pending": [a.credits_pending for a in changed],
            "credits_posted": [a.credits_posted for a in changed],
        },
    )


def write_batch(connection: Connection, created: Sequence[Transfer], touched: Iterable[AccountState]) -> None:
    """Insert the new transfers and store the changed totals, rows in id order (so that two batches
    inserting the same new ids meet on the first one, never each holding one the other wants)."""
    new = sorted(created, key=lambda transfer: transfer.id)
    changed = sorted((account for account in touched if account.changed), key=lambda account: account.id)
    if not new and not changed:
        return
    if connection.dialect.name == "postgresql":
        _pg_write(connection, new, changed)
        return
    if new:
        connection.execute(insert(transfers), [_transfer_row(transfer) for transfer in new])
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
