"""The public views of ledger accounts and transfers: what the routes answer (`api.ledger.schemas`)."""

from datetime import datetime, timedelta
from typing import Final

from api.ledger.schemas import AccountOut, Balances, EntryOut, PendingStatus, TransferKind, TransferOut
from ledger.ids import EPOCH
from ledger.model import Account, AccountFlags, Transfer, TransferFlags

_KINDS: Final[tuple[tuple[TransferFlags, TransferKind], ...]] = (
    (TransferFlags.PENDING, "pending"),
    (TransferFlags.POST_PENDING, "post_pending"),
    (TransferFlags.VOID_PENDING, "void_pending"),
    (TransferFlags.EXPIRE_PENDING, "expire_pending"),
)
_STATUS: Final[dict[TransferKind, PendingStatus]] = {
    "post_pending": "posted",
    "void_pending": "voided",
    "expire_pending": "expired",
}


def _moment(timestamp_ns: int) -> datetime:
    """A ledger timestamp (ns since the epoch) as a UTC time, to the microsecond."""
    return EPOCH + timedelta(microseconds=timestamp_ns // 1_000)


ACCOUNT_FIELDS: Final = (
    "id",
    "currency",
    "owner_kind",
    "owner_id",
    "code",
    "debits_pending",
    "debits_posted",
    "credits_pending",
    "credits_posted",
    "timestamp",
)
"""What an answer shows of `ledger.model.Account` under the same names."""
TRANSFER_FIELDS: Final = (
    "id",
    "debit_account_id",
    "credit_account_id",
    "amount",
    "currency",
    "reference",
    "code",
    "pending_id",
    "timeout_seconds",
    "expires_at",
    "timestamp",
)
"""What an answer shows of `ledger.model.Transfer` under the same names."""


def account_view(account: Account) -> AccountOut:
    balances = account.balances
    return AccountOut(
        **{name: getattr(account, name) for name in ACCOUNT_FIELDS},
        debits_must_not_exceed_credits=bool(account.flags & AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
        credits_must_not_exceed_debits=bool(account.flags & AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS),
        balances=Balances(posted=balances.posted, pending=balances.pending, available=balances.available),
        created_at=_moment(account.timestamp),
    )


def kind_of(transfer: Transfer) -> TransferKind:
    return next((kind for flag, kind in _KINDS if transfer.flags & flag), "single_phase")


def transfer_view(transfer: Transfer, resolution: Transfer | None = None) -> TransferOut:
    """`transfer`; for a pending one, `resolution` is what posted, voided or expired it (if anything)."""
    kind = kind_of(transfer)
    status: PendingStatus | None = None
    if kind == "pending":
        status = "pending" if resolution is None else _STATUS[kind_of(resolution)]
    return TransferOut(
        **{name: getattr(transfer, name) for name in TRANSFER_FIELDS},
        kind=kind,
        linked=bool(transfer.flags & TransferFlags.LINKED),
        status=status,
        resolved_by=None if resolution is None else resolution.id,
        created_at=_moment(transfer.timestamp),
    )


def entry_view(account_id: int, transfer: Transfer, resolution: Transfer | None) -> EntryOut:
    debit = transfer.debit_account_id == account_id
    return EntryOut(**dict(transfer_view(transfer, resolution)), side="debit" if debit else "credit")
