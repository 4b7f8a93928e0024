"""The bodies of `/v1/payment-intents` and `/v1/refunds`, in Stripe's shape.

Amounts are integers in the currency's minor units, sent and answered as decimal strings (a JSON number is
refused: an amount never travels as a float); the domain refuses 0 where it means nothing and anything
above 2^63 - 1, naming the field.
"""

from typing import Annotated, Any, Literal

from pydantic import Field

from api.schemas import ApiModel, ChainId, DecimalSpelling, Uint256
from ledger.model import INT64_MAX
from payments.intents.model import (
    CancellationReason,
    CaptureMethod,
    IntentStatus,
    RailKind,
    RefundReason,
    RefundStatus,
)

Amount = Annotated[
    int, DecimalSpelling(minimum=1, numbers=False, maximum=INT64_MAX, kind="amount", article="an")
]
"""An amount in minor units: a decimal string, 1 to 2^63 - 1 (the ledger's columns are signed 64-bit)."""
Total = Uint256
"""An amount answered (0 included), as a decimal string."""
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["EUR"])]
ObjectId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
CustomerId = Annotated[str, Field(pattern=r"^idn_[0-9a-f]{32}$")]


class ShareIn(ApiModel):
    """One merchant's part of a split payment."""

    destination: Annotated[str, Field(min_length=1, max_length=48)]
    """The receiving merchant's id."""
    amount: Amount


class PaymentIntentCreate(ApiModel):
    amount: Amount
    currency: Currency
    """ISO 4217 alphabetic code."""
    rail: RailKind = RailKind.CARD
    capture_method: CaptureMethod = CaptureMethod.AUTOMATIC
    payment_method: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    shares: Annotated[list[ShareIn], Field(min_length=1, max_length=16)] | None = None
    """A split payment: shares summing exactly to `amount`. Default: all to the caller's merchant."""
    customer: CustomerId | None = None
    """The paying customer's identity (`idn_...`, a signed-in customer): the risk engine assesses its
    confirmation, and the customer completes a step-up (`verify-factor`)."""


class RiskSignalsIn(ApiModel):
    """What the merchant's checkout observed of the customer, for the risk engine: signals, never proof."""

    ip_address: Annotated[str, Field(min_length=2, max_length=45)] | None = None
    """The customer's IP address (placed in a country by the server's CIDR table); in a device-signed
    confirm, also a sighting for the monitoring's geography check of the intent's customer."""
    device_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")] | None = None
    """The customer's device (`dev_...` of `/v1/devices`), as the checkout claims it: a claim is never
    proof, so the risk engine counts it as a new device (reason `device-unverified`) unless the device
    signed the request (the `TPW-Device-*` headers; then this, if given, must name the same device)."""
    payment_method_country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None
    """The card's issuing (or the IBAN's) country: against the merchant's, it makes a payment cross-border."""


class PaymentIntentConfirm(ApiModel):
    payment_method: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    risk: RiskSignalsIn | None = None


class VerifyFactorIn(ApiModel):
    factor: Literal["passkey", "totp", "payment_password", "recovery_code"]
    """One of the intent's `next_action.factors` or `next_action.fallback`."""
    code: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    """The TOTP code or the recovery code."""
    password: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    """The payment password."""
    ceremony_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    """A passkey: the `ceremony_id` of `POST .../verify-factor/passkey-options`."""
    credential: dict[str, Any] | None = None
    """A passkey: the `PublicKeyCredential` the browser's `navigator.credentials.get()` returned, as JSON."""


class PaymentBindingOut(ApiModel):
    """What the passkey's challenge authorizes, to show the customer (PSD2 dynamic linking)."""

    payment_intent: str
    amount: Total
    currency: str
    payee: str
    """The merchant paid."""


class PasskeyOptionsOut(ApiModel):
    ceremony_id: str
    """Send it back with the assertion; it works once, for this payment as it is now, until `expires_at`."""
    options: dict[str, Any]
    """The `publicKey` options for `navigator.credentials.get()` (binary fields base64url); the challenge is
    bound to `payment`."""
    expires_at: int
    payment: PaymentBindingOut


class PaymentIntentCapture(ApiModel):
    amount_to_capture: Amount | None = None
    """At most `amount_capturable` (default: all of it); the rest is released."""


CallerCancellationReason = Literal["duplicate", "fraudulent", "requested_by_customer", "abandoned"]


class PaymentIntentCancel(ApiModel):
    cancellation_reason: CallerCancellationReason | None = None
    """`automatic` is the server's own, for an authorization that lapsed uncaptured."""


class RedirectToUrl(ApiModel):
    url: str


class RedirectAction(ApiModel):
    """Complete a challenge (3-D Secure, a bank's step-up) at `redirect_to_url.url`."""

    type: Literal["redirect_to_url"] = "redirect_to_url"
    redirect_to_url: RedirectToUrl


class VerifyFactorAction(ApiModel):
    """The risk engine asks for a step-up: verify one of `factors`, else of `fallback`, with
    `POST /v1/payment-intents/{id}/verify-factor` (the intent's customer, signed in)."""

    type: Literal["verify_factor"]
    factors: list[str]
    """The factors asked for that the customer can use now."""
    fallback: list[str]
    """The other factors the customer can use instead."""
    fallback_reason: str | None = None
    """Why the engine's preferred factor is not offered, if it is not."""
    asked: list[str]
    """The factors the risk engine asked for."""
    decision: str
    """The risk engine's decision (`/v1/risk/decisions`)."""
    verified: str | None = None
    """The factor verified already, while the rail's answer is awaited."""


class RiskReviewAction(ApiModel):
    """The risk engine sent the payment to an operator's review: wait for case `case` to be decided."""

    type: Literal["risk_review"]
    case: str
    decision: str


NextAction = Annotated[RedirectAction | VerifyFactorAction | RiskReviewAction, Field(discriminator="type")]


class ShareOut(ApiModel):
    destination: str
    amount: Total
    captured: Total
    fee: Total
    refunded: Total
    disputed: Total


class PaymentIntentOut(ApiModel):
    id: str
    object: Literal["payment_intent"] = "payment_intent"
    livemode: bool
    status: IntentStatus
    amount: Total
    currency: str
    capture_method: CaptureMethod
    rail: RailKind
    payment_method: str | None
    amount_capturable: Total
    amount_received: Total
    amount_refunded: Total
    amount_disputed: Total
    application_fee_amount: Total
    """The platform's fee on what was captured."""
    next_action: NextAction | None
    last_payment_error: str | None
    cancellation_reason: CancellationReason | None
    created: int
    """Unix seconds."""
    shares: list[ShareOut]
    customer: str | None = None
    risk_decision: str | None = None
    """The risk engine's last decision on its confirmation."""
    sca_exemption: str | None = None
    """The PSD2 exemption it went ahead under without SCA, if any."""


class RefundCreate(ApiModel):
    payment_intent: ObjectId
    amount: Amount | None = None
    """Default: all that is still refundable."""
    reason: RefundReason | None = None


class RefundOut(ApiModel):
    id: str
    object: Literal["refund"] = "refund"
    payment_intent: str
    livemode: bool
    amount: Total
    reason: RefundReason | None
    status: RefundStatus
    created: int


class StablecoinInstructionsOut(ApiModel):
    """How to pay a stablecoin intent on-chain: `router.pay(intent_key, token, amount)` on `chain_id` after
    approving the router for `amount` of `token` (or `payWithPermit` with an EIP-2612 permit, in one
    transaction). The intent succeeds once the `Paid` event is buried under the watcher's confirmations."""

    object: Literal["stablecoin_instructions"] = "stablecoin_instructions"
    payment_intent: str
    chain_id: ChainId
    router: str
    """The PaymentRouter's address."""
    token: str
    """The token's address."""
    token_symbol: str
    amount: Uint256
    """In the token's base units: the intent's amount scaled to the token's decimals, exactly."""
    intent_key: str
    """The bytes32 the router knows the intent by (0x-hex): the intent id's ASCII, zero-padded."""
