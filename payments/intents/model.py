"""The payment intent's vocabulary: its statuses, the actions on it, and the records callers read back.

The statuses are Stripe's PaymentIntent statuses, plus `failed`: Stripe returns a declined intent to
`requires_payment_method` (the customer may try another method), and so does this model; `failed` is the
terminal state a rail reports when the payment can never succeed (a bank return, a closed account). Amounts
are ints in minor units of `currency`; a share is the part of an intent that one merchant's balance
receives (a split payment has several, summing exactly to the amount).
"""

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from ledger.model import INT64_MAX

# Stripe's bound on an id's length is 255; ours are shorter and live in String(64) columns.
ID_MAX_LENGTH: Final = 64


class IntentStatus(enum.StrEnum):
    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_CONFIRMATION = "requires_confirmation"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    REQUIRES_CAPTURE = "requires_capture"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"
    FAILED = "failed"


class Action(enum.StrEnum):
    """What a caller (or a rail's report) can do to an intent; `transitions.ALLOWED` says from where."""

    ATTACH_PAYMENT_METHOD = "attach_payment_method"
    CONFIRM = "confirm"
    COMPLETE_ACTION = "complete_action"
    RESUME_CONFIRM = "resume_confirm"
    """The risk engine's hold on a confirmation lifted (a factor verified, a review approved)."""
    RISK_REJECT = "risk_reject"
    """A review of the confirmation rejected: the intent fails."""
    COMPLETE_PROCESSING = "complete_processing"
    CAPTURE = "capture"
    CANCEL = "cancel"
    REFUND = "refund"
    OPEN_DISPUTE = "open_dispute"


class CaptureMethod(enum.StrEnum):
    """`automatic`: the rail captures at authorization; `manual`: funds are held until `capture`."""

    AUTOMATIC = "automatic"
    MANUAL = "manual"


class CancellationReason(enum.StrEnum):
    """Stripe's reasons: the four a caller may give, and `automatic` for an authorization left uncaptured
    until it lapsed (`intents.expire_uncaptured`)."""

    DUPLICATE = "duplicate"
    FRAUDULENT = "fraudulent"
    REQUESTED_BY_CUSTOMER = "requested_by_customer"
    ABANDONED = "abandoned"
    AUTOMATIC = "automatic"


class RefundReason(enum.StrEnum):
    DUPLICATE = "duplicate"
    FRAUDULENT = "fraudulent"
    REQUESTED_BY_CUSTOMER = "requested_by_customer"


class RefundStatus(enum.StrEnum):
    """Stripe's: pending while the rail carries the refund out (its amount reserved), then final."""

    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class DisputeStatus(enum.StrEnum):
    """Opened disputes withhold their amount; won releases it back, lost takes it."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


class DisputeReason(enum.StrEnum):
    """Stripe's dispute reasons, as the card networks' reason codes map to them."""

    BANK_CANNOT_PROCESS = "bank_cannot_process"
    CHECK_RETURNED = "check_returned"
    CREDIT_NOT_PROCESSED = "credit_not_processed"
    CUSTOMER_INITIATED = "customer_initiated"
    DEBIT_NOT_AUTHORIZED = "debit_not_authorized"
    DUPLICATE = "duplicate"
    FRAUDULENT = "fraudulent"
    GENERAL = "general"
    INCORRECT_ACCOUNT_DETAILS = "incorrect_account_details"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    NONCOMPLIANT = "noncompliant"
    PRODUCT_NOT_RECEIVED = "product_not_received"
    PRODUCT_UNACCEPTABLE = "product_unacceptable"
    SUBSCRIPTION_CANCELED = "subscription_canceled"
    UNRECOGNIZED = "unrecognized"


EVIDENCE_FIELDS: Final = (
    "access_activity_log",
    "billing_address",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "duplicate_charge_explanation",
    "product_description",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_tracking_number",
    "uncategorized_text",
)
"""The text fields of Stripe's dispute evidence a merchant may submit (its file fields are not kept here)."""
EVIDENCE_MAX_LENGTH: Final = 150_000
"""Stripe's bound on all of a dispute's evidence text together, in characters."""


class RailKind(enum.StrEnum):
    """Which rail carries the money; each has its own clearing account per currency and mode."""

    CARD = "card"
    BANK = "bank"
    STABLECOIN = "stablecoin"


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """The platform's fee on a capture: `bps` basis points of the captured amount plus `fixed` minor units.

    Rounding: the proportional part rounds half up to the minor unit, in integers
    (`(amount * bps + 5_000) // 10_000`); the fee never exceeds the amount captured.
    """

    bps: int = 0
    fixed: int = 0

    def __post_init__(self) -> None:
        require_amount("fee_schedule.bps", self.bps, allow_zero=True, maximum=10_000)
        require_amount("fee_schedule.fixed", self.fixed, allow_zero=True)

    def fee(self, captured: int) -> int:
        return min(captured, (captured * self.bps + 5_000) // 10_000 + self.fixed)


@dataclass(frozen=True, slots=True)
class ShareSpec:
    """One merchant's part of an intent, as given at creation: `destination` is the receiving merchant."""

    destination: str
    amount: int


@dataclass(frozen=True, slots=True)
class Share:
    """One merchant's part of an intent and what happened to it (all in minor units)."""

    index: int
    destination: str
    amount: int
    captured: int
    fee: int
    refunded: int
    disputed: int


@dataclass(frozen=True, slots=True)
class PaymentIntent:
    """A stored intent. `amount_capturable` is held for a manual capture; `amount_received` was captured;
    `amount_disputed` counts open and lost disputes (a won one is given back)."""

    id: str
    merchant_id: str
    livemode: bool
    status: IntentStatus
    amount: int
    currency: str
    capture_method: CaptureMethod
    rail: RailKind
    fee_bps: int
    fee_fixed: int
    created_at: int
    updated_at: int
    shares: tuple[Share, ...]
    payment_method: str | None = None
    amount_capturable: int = 0
    amount_received: int = 0
    amount_refunded: int = 0
    amount_disputed: int = 0
    amount_fee: int = 0
    attempt: int = 0
    """How many times the intent was confirmed: names each authorization attempt at the rail."""
    next_action_url: str | None = None
    last_payment_error: str | None = None
    cancellation_reason: CancellationReason | None = None
    customer: str | None = None
    """The paying customer's identity (`idn_...`): whom the risk engine assesses and who steps up."""
    risk_decision: str | None = None
    """The risk engine's last decision on a confirmation of this intent (`rd_...`)."""
    risk_action: str | None = None
    """While the risk engine holds the confirmation: what it waits for, as the JSON of `next_action`
    (`verify_factor` or `risk_review`)."""
    sca_exemption: str | None = None
    """The PSD2 exemption the payment went ahead under, when it went ahead without SCA."""

    @property
    def refundable(self) -> int:
        """What may still be refunded: received, less refunds and what disputes withhold or took."""
        return self.amount_received - self.amount_refunded - self.amount_disputed


@dataclass(frozen=True, slots=True)
class Refund:
    id: str
    payment_intent_id: str
    merchant_id: str
    livemode: bool
    amount: int
    reason: RefundReason | None
    status: RefundStatus
    created_at: int


@dataclass(frozen=True, slots=True)
class Dispute:
    id: str
    payment_intent_id: str
    merchant_id: str
    livemode: bool
    amount: int
    reason: str
    status: DisputeStatus
    created_at: int
    closed_at: int | None
    evidence: Mapping[str, str] = field(default_factory=dict)
    """The merchant's evidence so far, by `EVIDENCE_FIELDS` name."""


def require_amount(name: str, value: object, *, allow_zero: bool = False, maximum: int = INT64_MAX) -> int:
    """`value` as an amount in minor units, or ValueError naming `name` (ints only: no float, no bool)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int in minor units, not {type(value).__name__}")
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, not {value}")
    if value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, not {value}")
    return value
