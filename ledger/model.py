"""The ledger's vocabulary: accounts and transfers as callers describe them, and the balances they read back.

The model is TigerBeetle's. An account keeps four running totals (debits and credits, each pending and
posted) and every balance is derived from them; a transfer moves an amount from a debit account to a credit
account of the same ledger, and a ledger is a currency (ISO 4217 alphabetic code), so money of two
currencies never meets in one transfer. Amounts are Python ints in minor units: a float, a Decimal or a bool
is refused when a spec is built, so an imprecise amount cannot reach the database.
"""

import enum
import functools
import re
from dataclasses import dataclass
from typing import Final

# Amounts, balances and ids are signed 64-bit columns on both backends: a value is at most 2^63 - 1.
INT64_MAX: Final = 2**63 - 1
# Codes and timeouts have TigerBeetle's widths (u16, u32 seconds): a value beyond them is a caller's bug.
TIMEOUT_SECONDS_MAX: Final = 2**32 - 1
CODE_MAX: Final = 2**16 - 1
DEFAULT_CODE: Final = 1
REFERENCE_MAX_LENGTH: Final = 128
OWNER_ID_MAX_LENGTH: Final = 64
CURRENCY_PATTERN: Final = re.compile(r"[A-Z]{3}")
# TigerBeetle's largest batch. It also keeps a batch's lookups within SQLite's 32,766 bound parameters.
BATCH_MAX: Final = 8_189


class OwnerKind(enum.StrEnum):
    """Who an account belongs to; the owner id says which one of them."""

    MERCHANT = "merchant"
    CUSTOMER = "customer"
    TREASURY = "treasury"
    FEES = "fees"
    RAIL_CLEARING = "rail_clearing"
    FX_POSITION = "fx_position"


class AccountFlags(enum.IntFlag):
    """TigerBeetle's balance constraints, enforced on every transfer (the two are mutually exclusive)."""

    NONE = 0
    DEBITS_MUST_NOT_EXCEED_CREDITS = 1 << 1
    CREDITS_MUST_NOT_EXCEED_DEBITS = 1 << 2


class TransferFlags(enum.IntFlag):
    """TigerBeetle's transfer flags; `EXPIRE_PENDING` is the ledger's own, set only by `expire_pending`.

    An expiry is written as a transfer (like a void) so that every balance is the replay of the transfers
    alone: nothing about a pending transfer's fate lives outside the journal.
    """

    NONE = 0
    LINKED = 1 << 0
    PENDING = 1 << 1
    POST_PENDING = 1 << 2
    VOID_PENDING = 1 << 3
    EXPIRE_PENDING = 1 << 15


CLIENT_TRANSFER_FLAGS: Final = (
    TransferFlags.LINKED | TransferFlags.PENDING | TransferFlags.POST_PENDING | TransferFlags.VOID_PENDING
)
RESOLVING_FLAGS: Final = (
    TransferFlags.POST_PENDING | TransferFlags.VOID_PENDING | TransferFlags.EXPIRE_PENDING
)


def _require_int(name: str, value: object) -> None:
    """Money and ids are ints; a bool is an int to Python but never a meaningful amount."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")


@functools.lru_cache(maxsize=1024)
def is_valid_currency(currency: str) -> bool:
    """Whether `currency` has the shape of an ISO 4217 alphabetic code (memoised: a batch asks per event)."""
    return CURRENCY_PATTERN.fullmatch(currency) is not None


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """An account to create; `id` is the caller's (see `ledger.ids.new_id`), so a retry names the same one."""

    id: int
    currency: str
    owner_kind: OwnerKind
    owner_id: str
    code: int = 1
    flags: AccountFlags = AccountFlags.NONE

    def __post_init__(self) -> None:
        for name in ("id", "code", "flags"):
            _require_int(name, getattr(self, name))
        if not 0 <= self.code <= CODE_MAX:
            raise ValueError(f"code must be within 0..{CODE_MAX}")


@dataclass(frozen=True, slots=True)
class TransferSpec:
    """A transfer to create.

    `id` None lets the ledger choose one; the `reference` (unique per currency) is then what makes a retry
    idempotent. For a post or void, the accounts, currency and code may be left empty (0, "") and are taken
    from the pending transfer, and `amount` None posts (or voids) the whole pending amount.
    """

    reference: str
    debit_account_id: int = 0
    credit_account_id: int = 0
    amount: int | None = None
    currency: str = ""
    id: int | None = None
    code: int | None = None
    flags: TransferFlags = TransferFlags.NONE
    pending_id: int | None = None
    timeout_seconds: int = 0

    def __post_init__(self) -> None:
        for name in ("debit_account_id", "credit_account_id", "flags", "timeout_seconds"):
            _require_int(name, getattr(self, name))
        for name in ("amount", "id", "pending_id", "code"):
            if getattr(self, name) is not None:
                _require_int(name, getattr(self, name))
        if self.code is not None and not 0 <= self.code <= CODE_MAX:
            raise ValueError(f"code must be within 0..{CODE_MAX}")
        if not 0 <= self.timeout_seconds <= TIMEOUT_SECONDS_MAX:
            raise ValueError(f"timeout_seconds must be within 0..{TIMEOUT_SECONDS_MAX}")


@dataclass(frozen=True, slots=True)
class Balances:
    """An account's balances from its side: credit-normal unless it may not hold more credits than debits.

    posted: what has settled; pending: what is reserved either way; available: what could still leave the
    account (posted minus the outgoing pending side).
    """

    posted: int
    pending: int
    available: int


@dataclass(frozen=True, slots=True)
class Account:
    """An account as stored, with its four TigerBeetle totals."""

    id: int
    currency: str
    owner_kind: OwnerKind
    owner_id: str
    code: int
    flags: AccountFlags
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int
    timestamp: int

    @property
    def balances(self) -> Balances:
        if self.flags & AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS:
            posted = self.debits_posted - self.credits_posted
            return Balances(posted, self.debits_pending - self.credits_pending, posted - self.credits_pending)
        posted = self.credits_posted - self.debits_posted
        return Balances(posted, self.credits_pending - self.debits_pending, posted - self.debits_pending)


@dataclass(frozen=True, slots=True)
class Transfer:
    """A transfer as stored (immutable once written); `timestamp` and `expires_at` are ns since the epoch."""

    id: int
    currency: str
    reference: str
    debit_account_id: int
    credit_account_id: int
    amount: int
    pending_id: int | None
    flags: TransferFlags
    code: int
    timeout_seconds: int
    timestamp: int
    expires_at: int | None
