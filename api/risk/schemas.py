"""The bodies of `/v1/risk/decisions`: a stored decision as operators read it, and the facts an operator
evaluates against the rules in force (nothing is enforced, no window moves)."""

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from api.schemas import ApiModel, DecimalSpelling
from ledger.model import INT64_MAX
from risk.engine import BeneficiaryKind, Kind, KycTier, SensitiveChange
from risk.engine.mcc import check_mcc

Money = Annotated[
    int, DecimalSpelling(minimum=0, numbers=False, maximum=INT64_MAX, kind="amount", article="an")
]
"""Minor units as a decimal string (0 for a sensitive change)."""
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", examples=["DE"])]


class ReasonOut(ApiModel):
    rule: str
    text: str
    outcome: Literal["allow", "step_up", "review", "deny"]
    score: int


class DecisionOut(ApiModel):
    id: str
    object: Literal["risk_decision"] = "risk_decision"
    created: int
    """Unix seconds."""
    subject_id: str
    kind: Kind
    reference: str | None
    """What was decided on (a payment intent's id), if anything."""
    enforced: bool
    """False for an operator's evaluation (`POST /v1/risk/decisions`), which changed nothing."""
    inputs_digest: str
    """SHA-256 of the inputs' canonical JSON: equal inputs, equal digest."""
    facts: dict[str, Any]
    """The inputs, bar the IP address and the beneficiary's key (only the digest covers them)."""
    rules_digest: str
    """Which rule file decided."""
    outcome: Literal["allow", "step_up", "review", "deny"]
    score: int
    reasons: list[ReasonOut]
    shadow: list[ReasonOut]
    """Shadow rules that matched: reported, not enforced."""
    shadow_outcome: Literal["allow", "step_up", "review", "deny"]
    factors: list[str]
    fallback_factors: list[str]
    exemption: str | None
    """The PSD2 SCA exemption granted, if any."""
    exemption_note: str


class DecisionPage(ApiModel):
    data: list[DecisionOut]
    has_more: bool
    next_cursor: str | None


class BeneficiaryIn(ApiModel):
    kind: BeneficiaryKind
    value: Annotated[str, Field(min_length=1, max_length=128)]
    """The IBAN, card fingerprint or chain address (a velocity key, never shown)."""
    country: Country | None = None
    trusted: bool = False


class EvaluationIn(ApiModel):
    """The facts of one action, as the engine's `Assessment` (docs/risk.md, "Rules engine")."""

    subject: Annotated[str, Field(min_length=1, max_length=64)]
    kind: Kind
    amount: Money
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
    customer_country: Country
    kyc_tier: KycTier
    account_age_days: Annotated[int, Field(ge=0, le=100_000)]
    at: Annotated[int, Field(ge=0, le=2**40)] | None = None
    """Unix seconds; default now."""
    mcc: Annotated[str, AfterValidator(check_mcc)] | None = None
    """A merchant category the rules' table knows (`risk.engine.mcc`), as on merchants: an unknown code
    would match no category rule and make the evaluation say less than it seems to."""
    beneficiary: BeneficiaryIn | None = None
    device_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    device_new: bool = False
    device_verified: bool = False
    """Whether the device's signature verified; a `device_id` without it is reported as a claim."""
    payee_new: bool = False
    ip: Annotated[str, Field(min_length=2, max_length=45)] | None = None
    sensitive_change: SensitiveChange | None = None
