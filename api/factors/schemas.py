"""The bodies of `/v1/factors`. Times are unix seconds. Secrets (the TOTP secret, recovery codes, proof
tokens) appear only in the one answer that issues them."""

from typing import Literal

from pydantic import Field

from api.schemas import ApiModel
from risk.factors.policy import MAX_LENGTH
from risk.factors.proofs import CHALLENGE_PATTERN, PURPOSE_PATTERN

FactorKind = Literal["totp", "payment_password", "recovery_code"]


class FactorOut(ApiModel):
    """One factor kind of the customer: whether it can be used, and whether it is locked."""

    object: Literal["factor"] = "factor"
    factor: FactorKind
    status: Literal["active", "pending", "not_enrolled"]
    """`pending`: a TOTP enrolled but not yet confirmed by a first code."""
    locked_until: int | None
    """Set while too many failures lock the factor: every attempt is refused until then."""
    remaining: int | None = None
    """Recovery codes only: how many unused codes are left."""


class FactorList(ApiModel):
    object: Literal["list"] = "list"
    data: list[FactorOut]


class TotpEnrol(ApiModel):
    account_name: str | None = Field(default=None, min_length=1, max_length=64)
    """What the authenticator app lists under the issuer; the subject id when absent."""


class TotpEnrolmentOut(ApiModel):
    """Shown once: add `provisioning_uri` (as a QR code) or `secret` to an authenticator app, then confirm
    with `POST /v1/factors/totp/verify` and a first code."""

    object: Literal["totp_enrolment"] = "totp_enrolment"
    factor: Literal["totp"] = "totp"
    status: Literal["pending"] = "pending"
    secret: str
    provisioning_uri: str


class PasswordSet(ApiModel):
    password: str = Field(min_length=1, max_length=MAX_LENGTH)
    """At least 6 characters, not one character repeated, not one of the commonest PINs."""


class PasswordChange(ApiModel):
    current_password: str = Field(min_length=1, max_length=MAX_LENGTH)
    """The password now in use: a wrong one is a counted failure, as at `/payment_password/verify`."""
    password: str = Field(min_length=1, max_length=MAX_LENGTH)
    """The new password, under the same rules as `PasswordSet`'s."""


class RecoveryCodesOut(ApiModel):
    """Shown once: ten single-use codes; any earlier set is revoked."""

    object: Literal["recovery_codes"] = "recovery_codes"
    codes: list[str]


class ProofRequest(ApiModel):
    """What the verification is for: with `purpose`, a factor proof bound to it and `challenge` is issued."""

    purpose: str | None = Field(default=None, pattern=f"^{PURPOSE_PATTERN.pattern}$")
    """`factor_change` for a factor change (challenge `<enrol|revoke>:<factor>`), or the step-up's
    purpose (e.g. `payment`, challenge the payment intent's id)."""
    challenge: str = Field(default="", pattern=f"^{CHALLENGE_PATTERN.pattern}$")


class TotpVerify(ProofRequest):
    code: str = Field(min_length=6, max_length=10, pattern=r"^\s*[0-9]{6,10}\s*$")


class PasswordVerify(ProofRequest):
    password: str = Field(min_length=1, max_length=MAX_LENGTH)


class RecoveryCodeVerify(ProofRequest):
    recovery_code: str = Field(min_length=1, max_length=64)


class ProofToken(ApiModel):
    token: str
    purpose: str
    challenge: str
    expires_at: int


class ProofOut(ApiModel):
    """The factor verified. `proof` is set when a `purpose` was given: send its `token` where the step-up
    or change asks for a factor proof (header `TPW-Factor-Proof`) before `expires_at`; it works once."""

    object: Literal["factor_verification"] = "factor_verification"
    factor: FactorKind
    verified_at: int
    proof: ProofToken | None
