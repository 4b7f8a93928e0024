"""The ledger's writes: a batch's new transfers and what it adds to its accounts' totals, stored in one go.

Rows go in id order, so two batches inserting the same new ids meet on the first one instead of each holding
one the other wants. Totals are written as increments (`total = total + added`): an account read without a
lock (`ledger.store.load_accounts`) may have been changed by another batch since, and adding keeps both.
On PostgreSQL everything is one statement and one round trip: arrays in, `unnest` to rows, the INSERT as a
data-modifying CTE (run exactly once whether or not the UPDATE reads it), the totals as one UPDATE ... FROM
whose condition first locks every account it changes in id order (`locked`, an InitPlan run before the
UPDATE takes any row), as `lock_accounts` takes them: two batches never wait on each other crosswise. A
total that would leave BIGINT (a concurrent batch moved an unlocked account near 2^63 after it was read)
fails the statement; `ledger.transaction` runs the batch again, which then refuses it as an overflow. SQLite,
in process, takes the same rows through executemany.
"""

from collections.abc import Iterable, Sequence
from dataclasses import fields
from typing import Any, Final

from sqlalchemy import Connection, bindparam, insert, text, update

from ledger.model import Transfer
from ledger.schema import accounts, transfers
from ledger.state import AccountState

TRANSFER_FIELDS: Final = tuple(field.name for field in fields(Transfer))
# Bind names differ from the column names: SQLAlchemy keeps those for the SET clause's own parameters.
TOTALS_FIELDS: Final = (
    "account_id",
    "add_debits_pending",
    "add_debits_posted",
    "add_credits_pending",
    "add_credits_posted",
)

_UPDATE_TOTALS = (
    update(accounts)
    .where(accounts.c.id == bindparam("account_id"))
    .values(
        debits_pending=accounts.c.debits_pending + bindparam("add_debits_pending"),
        debits_posted=accounts.c.debits_posted + bindparam("add_debits_posted"),
        credits_pending=accounts.c.credits_pending + bindparam("add_credits_pending"),
        credits_posted=accounts.c.credits_posted + bindparam("add_credits_posted"),
    )
)

_PG_WRITE = text(
    """
    WITH locked AS MATERIALIZED (
        SELECT id FROM ledger_accounts WHERE id = ANY(CAST(:account_id AS BIGINT[]))
        ORDER BY id FOR NO KEY UPDATE
    ),
    created AS (
        INSERT INTO ledger_transfers (id, currency, reference, debit_account_id, credit_account_id, amount,
                                      pending_id, flags, code, timeout_seconds, timestamp, expires_at)
        SELECT * FROM unnest(
            CAST(:id AS BIGINT[]), CAST(:currency AS VARCHAR[]), CAST(:reference AS VARCHAR[]),
            CAST(:debit_account_id AS BIGINT[]), CAST(:credit_account_id AS BIGINT[]),
            CAST(:amount AS BIGINT[]), CAST(:pending_id AS BIGINT[]), CAST(:flags AS INTEGER[]),
            CAST(:code AS INTEGER[]), CAST(:timeout_seconds AS BIGINT[]), CAST(:timestamp AS BIGINT[]),
            CAST(:expires_at AS BIGINT[])
        )
        RETURNING 1
    )
    UPDATE ledger_accounts AS account
    SET debits_pending = account.debits_pending + totals.debits_pending,
        debits_posted = account.debits_posted + totals.debits_posted,
        credits_pending = account.credits_pending + totals.credits_pending,
        credits_posted = account.credits_posted + totals.credits_posted
    FROM (
        SELECT * FROM unnest(
            CAST(:account_id AS BIGINT[]), CAST(:add_debits_pending AS BIGINT[]),
            CAST(:add_debits_posted AS BIGINT[]), CAST(:add_credits_pending AS BIGINT[]),
            CAST(:add_credits_posted AS BIGINT[])
        ) AS added(id, debits_pending, debits_posted, credits_pending, credits_posted)
    ) AS totals
    WHERE account.id = totals.id
      AND (SELECT count(*) FROM locked) = cardinality(CAST(:account_id AS BIGINT[]))
    """
)


def _transfer_row(transfer: Transfer) -> dict[str, Any]:
    row = {name: getattr(transfer, name) for name in TRANSFER_FIELDS}
    row["flags"] = int(transfer.flags)
    return row


def _totals_row(account: AccountState) -> dict[str, int]:
    debits_pending, debits_posted, credits_pending, credits_posted = account.increments()
    return {
        "account_id": account.id,
        "add_debits_pending": debits_pending,
        "add_debits_posted": debits_posted,
        "add_credits_pending": credits_pending,
        "add_credits_posted": credits_posted,
    }


def _columns(rows: list[dict[str, Any]], names: Iterable[str]) -> dict[str, list[Any]]:
    """Rows turned column-wise: one array parameter per column."""
    return {name: [row[name] for row in rows] for name in names}


def write_batch(connection: Connection, created: Sequence[Transfer], touched: Iterable[AccountState]) -> None:
    """Insert the new transfers and add what the batch moved to its accounts' totals."""
    new = [_transfer_row(transfer) for transfer in sorted(created, key=lambda transfer: transfer.id)]
    changed = sorted((account for account in touched if account.changed), key=lambda account: account.id)
    totals = [_totals_row(account) for account in changed]
    if not new and not totals:
        return
    if connection.dialect.name == "postgresql":
        connection.execute(_PG_WRITE, _columns(new, TRANSFER_FIELDS) | _columns(totals, TOTALS_FIELDS))
        return
    if new:
        connection.execute(insert(transfers), new)
    if totals:
        connection.execute(_UPDATE_TOTALS, totals)
