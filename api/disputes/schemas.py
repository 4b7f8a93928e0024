"""The bodies of `/v1/disputes`, in Stripe's shape (amounts decimal strings of minor units, times unix
seconds); a dispute's body is `payments.intents.rendering.dispute`, validated here."""

from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StrictBool

from api.pagination import Page
from api.payment_intents.schemas import Amount, ObjectId, Total
from api.schemas import ApiModel
from payments.intents.model import EVIDENCE_MAX_LENGTH, DisputeReason, DisputeStatus

EvidenceText = Annotated[str, Field(min_length=1, max_length=EVIDENCE_MAX_LENGTH)] | None


class DisputeCreate(ApiModel):
    """A dispute the card network opened on a succeeded payment intent."""

    payment_intent: ObjectId
    amount: Amount | None = None
    """Default: all that is still refundable."""
    reason: DisputeReason = DisputeReason.GENERAL


class DisputeEvidence(ApiModel):
    """Stripe's text fields of dispute evidence: each given replaces its earlier text, the others stay. Any
    other field is refused (422 naming it), not dropped: the merchant learns it was not kept."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    access_activity_log: EvidenceText = None
    billing_address: EvidenceText = None
    cancellation_policy_disclosure: EvidenceText = None
    cancellation_rebuttal: EvidenceText = None
    customer_email_address: EvidenceText = None
    customer_name: EvidenceText = None
    customer_purchase_ip: EvidenceText = None
    duplicate_charge_explanation: EvidenceText = None
    product_description: EvidenceText = None
    refund_policy_disclosure: EvidenceText = None
    refund_refusal_explanation: EvidenceText = None
    service_date: EvidenceText = None
    shipping_address: EvidenceText = None
    shipping_carrier: EvidenceText = None
    shipping_date: EvidenceText = None
    shipping_tracking_number: EvidenceText = None
    uncategorized_text: EvidenceText = None


class DisputeClose(ApiModel):
    won: StrictBool
    """The card network's decision: `true` reinstates the withheld funds, `false` withdraws them."""


class DisputeOut(ApiModel):
    id: str
    object: Literal["dispute"] = "dispute"
    payment_intent: str
    livemode: bool
    amount: Total
    reason: str
    """One of Stripe's reasons (`general` by default)."""
    status: DisputeStatus
    evidence: dict[str, str]
    """The merchant's evidence so far, by field."""
    created: int
    """Unix seconds."""
    closed: int | None
    """Unix seconds, once won or lost."""


class DisputePage(Page[DisputeOut]):
    """A page of disputes, oldest first (`api.pagination`)."""
