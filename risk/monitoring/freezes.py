"""A freeze is a ledger hold, never a deletion: the subject's available money moves into pending transfers.

For each of the subject's accounts that may not go negative (`DEBITS_MUST_NOT_EXCEED_CREDITS`: a customer's
or a merchant's balance) and holds something available, one pending transfer of the whole available amount
goes to the currency's compliance hold account (treasury-owned, its id derived from its name, so every
process names the same one). The money stays in the account's posted balance, the customer still sees it;
the account's available balance is 0, so any outgoing transfer is refused `exceeds_credits` by the ledger
itself, whatever path asks. Pending transfers never time out (`timeout_seconds` 0): only a release ends them.

A release voids each hold: a void restores all four totals of both accounts exactly, and the journal keeps
both the hold and its void. References are `mon-hold:<alert>:<account>:<n>` and `mon-void:<hold>`, so a
retried release answers `exists` and changes nothing. Money arriving after the freeze is available again;
`top_up` (the periodic scan) holds it too, as hold n+1 of the same alert.
"""

import hashlib
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, and_, func, insert, select, update

from ledger.accounts import create_accounts
from ledger.model import INT64_MAX, AccountFlags, AccountSpec, OwnerKind, TransferFlags, TransferSpec
from ledger.results import CreateAccountResult, CreateTransferResult
from ledger.schema import accounts
from ledger.store import lock_accounts
from ledger.transfers import create_transfers
from risk.monitoring.schema import holds

HOLD_OWNER: Final = "compliance-hold"
FROZEN_KINDS: Final = (OwnerKind.CUSTOMER, OwnerKind.MERCHANT)
_ACCOUNT_OK: Final = {CreateAccountResult.OK, CreateAccountResult.EXISTS}
_RELEASE_OK: Final = {CreateTransferResult.OK, CreateTransferResult.EXISTS}


class FreezeFailed(Exception):
    """The ledger refused a hold or a void: the transaction must not commit (the caller lets it raise)."""


@dataclass(frozen=True, slots=True)
class Hold:
    transfer_id: int
    alert_id: str
    account_id: int
    currency: str
    amount: int


def hold_account(currency: str) -> AccountSpec:
    """The compliance hold account of `currency`: the same id in every process."""
    digest = hashlib.sha256(f"monitoring:{HOLD_OWNER}:{currency}".encode()).digest()
    account_id = int.from_bytes(digest[:8], "big") & INT64_MAX
    account_id = account_id if 0 < account_id < INT64_MAX else 1
    return AccountSpec(account_id, currency, OwnerKind.TREASURY, HOLD_OWNER)


def _available(flags: int, debits_pending: int, debits_posted: int, credits_posted: int) -> int:
    if not flags & AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS:
        return 0  # an account allowed to go negative has nothing a hold could make unusable
    return credits_posted - debits_posted - debits_pending


def subject_accounts(connection: Connection, kind: str, owner_id: str) -> list[int]:
    query = select(accounts.c.id).where(and_(accounts.c.owner_kind == kind, accounts.c.owner_id == owner_id))
    return sorted(connection.execute(query).scalars())


def freeze(connection: Connection, alert_id: str, kind: str, owner_id: str, now: int) -> list[Hold]:
    """Hold everything available in the subject's accounts for `alert_id` (nothing for a kind that is not a
    customer's or a merchant's); the holds placed. In the caller's transaction."""
    if kind not in FROZEN_KINDS:
        return []
    locked = lock_accounts(connection, subject_accounts(connection, kind, owner_id))
    counts: dict[int, int] = {
        int(account_id): int(count)
        for account_id, count in connection.execute(
            select(holds.c.account_id, func.count())
            .where(holds.c.alert_id == alert_id)
            .group_by(holds.c.account_id)
        )
    }
    available = {
        state.id: _available(state.flags, state.debits_pending, state.debits_posted, state.credits_posted)
        for state in locked.values()
    }
    wanted = [(state, available[state.id]) for state in locked.values() if available[state.id] > 0]
    if not wanted:
        return []
    specs = [hold_account(currency) for currency in sorted({state.currency for state, _ in wanted})]
    for opened in create_accounts(connection, specs):
        if opened.result not in _ACCOUNT_OK:
            raise FreezeFailed(f"compliance hold account {opened.id}: {opened.result}")
    transfers = [
        TransferSpec(
            reference=f"mon-hold:{alert_id}:{state.id}:{counts.get(state.id, 0) + 1}",
            debit_account_id=state.id,
            credit_account_id=hold_account(state.currency).id,
            amount=amount,
            currency=state.currency,
            flags=TransferFlags.PENDING,
        )
        for state, amount in wanted
    ]
    placed_now: list[Hold] = []
    for spec, outcome in zip(transfers, create_transfers(connection, transfers), strict=True):
        if outcome.result is not CreateTransferResult.OK or outcome.id is None:
            raise FreezeFailed(f"hold on account {spec.debit_account_id}: {outcome.result}")
        assert spec.amount is not None
        hold = Hold(outcome.id, alert_id, spec.debit_account_id, spec.currency, spec.amount)
        connection.execute(
            insert(holds).values(
                transfer_id=hold.transfer_id,
                alert_id=alert_id,
                account_id=hold.account_id,
                currency=hold.currency,
                amount=hold.amount,
                created_at=now,
            )
        )
        placed_now.append(hold)
    return placed_now


def release(connection: Connection, alert_id: str, now: int) -> list[Hold]:
    """Void every hold of `alert_id` not voided yet; the holds released (none the second time)."""
    open_holds = [
        Hold(int(row.transfer_id), alert_id, int(row.account_id), row.currency, int(row.amount))
        for row in connection.execute(
            select(holds)
            .where(and_(holds.c.alert_id == alert_id, holds.c.released_at.is_(None)))
            .order_by(holds.c.transfer_id)
        )
    ]
    if not open_holds:
        return []
    voids = [
        TransferSpec(
            reference=f"mon-void:{hold.transfer_id}",
            flags=TransferFlags.VOID_PENDING,
            pending_id=hold.transfer_id,
        )
        for hold in open_holds
    ]
    for hold, outcome in zip(open_holds, create_transfers(connection, voids), strict=True):
        if outcome.result not in _RELEASE_OK:
            raise FreezeFailed(f"void of hold {hold.transfer_id}: {outcome.result}")
    connection.execute(
        update(holds)
        .where(and_(holds.c.alert_id == alert_id, holds.c.released_at.is_(None)))
        .values(released_at=now)
    )
    return open_holds
