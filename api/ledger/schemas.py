"""Request and response bodies of `/v1/ledger/...` (they are the OpenAPI schema too).

Amounts are integers in minor units (cents for USD, none for JPY) and ids are 63-bit: both travel as
decimal strings, because a JSON number is a double to most clients and 2**53 + 1 would come back as 2**53.
A new API has no client sending numbers, so, unlike the chain routes' uint256 fields, a JSON number is
refused here, as are a sign, a fraction, zero and anything above 2**63 - 1 (the ledger's int64 columns);
each with a 422 naming the field. Balances may be negative (an account without a limit flag can be
overdrawn), so they are signed decimal strings. Currencies are ISO 4217 alphabetic codes (`iso4217`).
"""

from datetime import datetime
from typing import Annotated, Literal

import iso4217
from pydantic import AfterValidator, ConfigDict, Field, PlainSerializer, StringConstraints, WithJsonSchema
from pydantic_core import PydanticCustomError

from api.pagination import Page
from api.schemas import ApiModel, DecimalSpelling
from ledger.model import (
    CODE_MAX,
    INT64_MAX,
    OWNER_ID_MAX_LENGTH,
    REFERENCE_MAX_LENGTH,
    TIMEOUT_SECONDS_MAX,
    OwnerKind,
)

Amount = Annotated[
    int,
    DecimalSpelling(minimum=1, numbers=False, maximum=INT64_MAX, kind="amount", article="an"),
    Field(description="Minor units (cents for EUR), 1 to 2**63 - 1, as a decimal string."),
]
"""A positive amount in minor units, 1 to 2**63 - 1, as a decimal string."""
LedgerId = Annotated[
    int, DecimalSpelling(minimum=1, numbers=False, maximum=INT64_MAX, kind="id", article="an")
]
"""An account's or a transfer's id, as a decimal string (63 bits: beyond what a JSON number holds)."""
Signed = Annotated[
    int,
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?(0|[1-9][0-9]{0,18})$", "examples": ["-150", "1200"]}),
]
"""A signed int64 (a balance, a timestamp in ns), answered as a decimal string."""
Code = Annotated[int, Field(ge=1, le=CODE_MAX, description="A user-defined kind (TigerBeetle's `code`).")]
Reference = Annotated[
    str,
    StringConstraints(min_length=1, max_length=REFERENCE_MAX_LENGTH),
    Field(
        description="Unique per currency: a second transfer with it is the first one again, never another."
    ),
]


def _iso4217(code: str) -> str:
    try:
        iso4217.Currency(code)
    except ValueError:
        raise PydanticCustomError("currency", "not an ISO 4217 alphabetic currency code") from None
    return code


Currency = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    AfterValidator(_iso4217),
    Field(description="An ISO 4217 alphabetic code (`EUR`, `USD`, `JPY`): the ledger the account is on."),
]


class _Request(ApiModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class AccountCreate(_Request):
    """A new account: its currency, its owner, and the limits it keeps."""

    currency: Currency
    owner_kind: OwnerKind
    owner_id: Annotated[str, StringConstraints(min_length=1, max_length=OWNER_ID_MAX_LENGTH)]
    """Which owner of that kind (a merchant's id, a customer's)."""
    code: Code = 1
    debits_must_not_exceed_credits: bool = False
    """The account can never be overdrawn: a transfer that would leave it so is refused (insufficient
    funds). What a customer's or a merchant's balance wants."""
    credits_must_not_exceed_debits: bool = False
    """The reverse (an account that may only be credited back what it was debited)."""


class Balances(ApiModel):
    """The account's balances from its own side (credits less debits, or the reverse for an account that
    keeps `credits_must_not_exceed_debits`)."""

    posted: Signed
    """What has settled."""
    pending: Signed
    """What pending transfers hold either way, net."""
    available: Signed
    """What could still leave the account: posted less the outgoing pending amount."""


class AccountOut(ApiModel):
    """An account with its four running totals and the balances derived from them."""

    id: Signed
    currency: str
    owner_kind: OwnerKind
    owner_id: str
    code: int
    debits_must_not_exceed_credits: bool
    credits_must_not_exceed_debits: bool
    debits_pending: Signed
    debits_posted: Signed
    credits_pending: Signed
    credits_posted: Signed
    balances: Balances
    timestamp: Signed
    """When it was created, ns since the epoch (the ledger's clock)."""
    created_at: datetime


class TransferFields(_Request):
    """One transfer: `amount` moves from the debit account to the credit account, both in `currency`."""

    debit_account_id: LedgerId
    credit_account_id: LedgerId
    amount: Amount
    currency: Currency
    pending: bool = False
    """Reserve the amount only (two-phase): post or void it later, or let it expire."""
    timeout_seconds: Annotated[int, Field(ge=0, le=TIMEOUT_SECONDS_MAX)] = 0
    """A pending transfer's lifetime; it then expires, releasing the amount. 0: it never expires."""
    reference: Reference | None = None
    """Default: derived from the API key and the Idempotency-Key, so a retry never moves money twice."""
    code: Code = 1


class TransferCreate(TransferFields):
    """A transfer, and maybe more that commit with it or not at all."""

    linked: Annotated[list[TransferFields], Field(max_length=100, default_factory=list)]
    """Further transfers, committed all or none with this one (a failure names `linked.<i>.<field>`)."""


class PendingResolve(_Request):
    """How to post or void a pending transfer; every field may be left out."""

    reference: Reference | None = None
    """Default: `post:<id>` or `void:<id>`, so a pending transfer is posted (or voided) once whatever
    retries come."""


class PendingPost(PendingResolve):
    """Post a pending transfer: all of it, or `amount` of it (the rest goes back)."""

    amount: Amount | None = None


TransferKind = Literal["single_phase", "pending", "post_pending", "void_pending", "expire_pending"]
PendingStatus = Literal["pending", "posted", "voided", "expired"]


class TransferOut(ApiModel):
    """A transfer as the journal holds it (immutable)."""

    id: Signed
    kind: TransferKind
    """`single_phase` moves at once; `pending` reserves; the other three resolve a pending transfer."""
    debit_account_id: Signed
    credit_account_id: Signed
    amount: Signed
    currency: str
    reference: str
    code: int
    linked: bool
    """Created in a chain with the next transfer of its request."""
    pending_id: Signed | None
    """For a post, void or expiry: the pending transfer it resolves."""
    timeout_seconds: int
    expires_at: Signed | None
    """A pending transfer's expiry, ns since the epoch."""
    status: PendingStatus | None
    """A pending transfer's fate so far; null for other kinds."""
    resolved_by: Signed | None
    """The post, void or expiry of a pending transfer, once there is one."""
    timestamp: Signed
    """When it was written, ns since the epoch: its place in the journal."""
    created_at: datetime


class TransferCreated(TransferOut):
    """The transfer made, and those linked to it, in the order they were sent."""

    linked_transfers: list[TransferOut]


class EntryOut(TransferOut):
    """A transfer seen from one account: `side` says which way it touched the account."""

    side: Literal["debit", "credit"]


class Entries(Page[EntryOut]):
    """A page of an account's transfers in journal order (timestamp, then id)."""

    account_id: Signed
