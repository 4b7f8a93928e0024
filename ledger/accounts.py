"""Creating and reading accounts.

An account is created with zero totals and never deleted; only transfers change its totals. Creation is
idempotent like a transfer's: the same id with the same fields answers `exists`, with different fields the
first that differs. Reads return the stored totals, from which `Account.balances` derives posted, pending
and available.
"""

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.orm import Session

from ledger.ids import now_ns
from ledger.model import (
    BATCH_MAX,
    INT64_MAX,
    OWNER_ID_MAX_LENGTH,
    Account,
    AccountFlags,
    AccountSpec,
    OwnerKind,
    is_valid_currency,
)
from ledger.results import AccountOutcome
from ledger.results import CreateAccountResult as R
from ledger.schema import accounts
from ledger.store import begin_writing
from ledger.transaction import Database, run

_KNOWN_FLAGS = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS | AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS


def _problem(spec: AccountSpec) -> R | None:
    if int(spec.flags) & ~int(_KNOWN_FLAGS):  # in ints: ~ on a flag enum keeps only its bit width
        return R.RESERVED_FLAG
    if spec.id <= 0:
        return R.ID_MUST_NOT_BE_ZERO
    if spec.id >= INT64_MAX:
        return R.ID_MUST_NOT_BE_INT_MAX
    if spec.flags == _KNOWN_FLAGS:
        return R.FLAGS_ARE_MUTUALLY_EXCLUSIVE
    if not is_valid_currency(spec.currency):
        return R.LEDGER_MUST_BE_A_CURRENCY
    if spec.code == 0:
        return R.CODE_MUST_NOT_BE_ZERO
    if spec.owner_kind not in OwnerKind.__members__.values():
        return R.OWNER_KIND_UNKNOWN
    if not spec.owner_id:
        return R.OWNER_ID_MUST_NOT_BE_EMPTY
    if len(spec.owner_id) > OWNER_ID_MAX_LENGTH:
        return R.OWNER_ID_TOO_LONG
    return None


def _difference(spec: AccountSpec, stored: Account) -> R:
    if spec.flags != stored.flags:
        return R.EXISTS_WITH_DIFFERENT_FLAGS
    if spec.currency != stored.currency:
        return R.EXISTS_WITH_DIFFERENT_LEDGER
    if spec.code != stored.code:
        return R.EXISTS_WITH_DIFFERENT_CODE
    if (spec.owner_kind, spec.owner_id) != (stored.owner_kind, stored.owner_id):
        return R.EXISTS_WITH_DIFFERENT_OWNER
    return R.EXISTS


def _account(row: Any) -> Account:
    return Account(
        id=row.id,
        currency=row.currency,
        owner_kind=OwnerKind(row.owner_kind),
        owner_id=row.owner_id,
        code=row.code,
        flags=AccountFlags(row.flags),
        debits_pending=int(row.debits_pending),
        debits_posted=int(row.debits_posted),
        credits_pending=int(row.credits_pending),
        credits_posted=int(row.credits_posted),
        timestamp=int(row.timestamp),
    )


def _read(connection: Connection, ids: Iterable[int]) -> dict[int, Account]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = connection.execute(select(accounts).where(accounts.c.id.in_(wanted)))
    return {row.id: _account(row) for row in rows}


def create_accounts(database: Database, specs: Sequence[AccountSpec]) -> list[AccountOutcome]:
    """Create `specs` in one transaction; one outcome per spec, in order."""
    if len(specs) > BATCH_MAX:
        raise ValueError(f"a batch holds at most {BATCH_MAX} accounts, not {len(specs)}: split it")

    def work(connection: Connection) -> list[AccountOutcome]:
        begin_writing(connection)
        stored = _read(connection, (spec.id for spec in specs if spec.id > 0))
        timestamp = now_ns()
        outcomes, rows = [], []
        for index, spec in enumerate(specs):
            result = _problem(spec)
            if result is None and spec.id in stored:
                result = _difference(spec, stored[spec.id])
            if result is None:
                row: dict[str, Any] = {
                    "id": spec.id,
                    "currency": spec.currency,
                    "owner_kind": str(spec.owner_kind),
                    "owner_id": spec.owner_id,
                    "code": spec.code,
                    "flags": int(spec.flags),
                    "debits_pending": 0,
                    "debits_posted": 0,
                    "credits_pending": 0,
                    "credits_posted": 0,
                    "timestamp": timestamp + index,
                }
                rows.append(row)
                stored[spec.id] = Account(**{**row, "owner_kind": OwnerKind(spec.owner_kind)})
                result = R.OK
            outcomes.append(AccountOutcome(index, result, spec.id))
        if rows:
            connection.execute(insert(accounts), rows)
        return outcomes

    return run(database, work)


def lookup_accounts(database: Database, ids: Iterable[int]) -> dict[int, Account]:
    """The accounts among `ids` that exist, by id (a consistent snapshot, no locks taken)."""
    if isinstance(database, Engine):
        with database.connect() as connection:
            return _read(connection, ids)
    return _read(database.connection() if isinstance(database, Session) else database, ids)


def lookup_account(database: Database, account_id: int) -> Account | None:
    return lookup_accounts(database, [account_id]).get(account_id)
