"""The engine's vocabulary: what it is asked about (an `Assessment`) and what it answers (a `Decision`).

An assessment is everything the caller knows about one action at the moment it asks; the engine adds what
only its own state knows (velocity windows, the IP's country, the low-value counters). Amounts are ints in
minor units of `currency`; times are unix seconds from the caller's clock, so a decision can be replayed.
"""

import enum
from dataclasses import dataclass

from risk.engine.errors import InvalidAssessment

SUBJECT_MAX_LENGTH = 64


class Kind(enum.StrEnum):
    PAYMENT = "payment"
    PAYOUT = "payout"
    SENSITIVE_CHANGE = "sensitive_change"
    DERIVATIVE_ORDER = "derivative_order"
    """An order that raises a derivative position's notional above its market's step-up threshold
    (`risk.pretrade.stepup`): the amount is the position's notional after the order."""


class SensitiveChange(enum.StrEnum):
    """The account changes PSD2 (art. 97(1)(c)) treats as risky remote actions: each needs SCA."""

    NEW_PAYEE = "new_payee"
    NEW_WITHDRAWAL_ADDRESS = "new_withdrawal_address"
    FACTOR_CHANGE = "factor_change"
    LIMIT_CHANGE = "limit_change"


class KycTier(enum.StrEnum):
    NONE = "none"
    LIGHT = "light"
    FULL = "full"


class BeneficiaryKind(enum.StrEnum):
    """Which velocity window a beneficiary counts in: a bank account, a card (its fingerprint), an address."""

    IBAN = "iban"
    CARD = "card"
    ADDRESS = "address"


class Outcome(enum.IntEnum):
    """Ordered by strictness, so the decision's outcome is the `max` of the matched rules' outcomes."""

    ALLOW = 0
    STEP_UP = 1
    REVIEW = 2
    DENY = 3

    @property
    def label(self) -> str:
        return self.name.lower()


class Exemption(enum.StrEnum):
    """The PSD2 RTS exemptions from SCA the engine can grant (articles 13, 16 and 18)."""

    TRUSTED_BENEFICIARY = "trusted_beneficiary"
    LOW_VALUE = "low_value"
    TRANSACTION_RISK_ANALYSIS = "transaction_risk_analysis"


@dataclass(frozen=True, slots=True)
class Beneficiary:
    kind: BeneficiaryKind
    value: str  # the IBAN, the card fingerprint or the address: an opaque key, never shown in a reason
    country: str | None = None
    trusted: bool = False


@dataclass(frozen=True, slots=True)
class Assessment:
    """One action to decide on. `device_new`, `device_verified`, `payee_new` and `beneficiary.trusted` are
    the caller's facts (it owns the device and payee lists); `account_age_days` is the subject's account's
    age when it asks."""

    subject: str
    kind: Kind
    amount: int
    currency: str
    at: int
    customer_country: str
    kyc_tier: KycTier
    account_age_days: int
    mcc: str | None = None
    beneficiary: Beneficiary | None = None
    device_id: str | None = None
    device_new: bool = False
    device_verified: bool = False
    """The device proved itself (its signature over the request verified): only then may the caller call it
    known. A `device_id` without it is a claim, a signal like a fingerprint, and the decision says so."""
    ip: str | None = None
    payee_new: bool = False
    """The subject never paid this beneficiary before (the caller's fact, like `device_new`)."""
    sensitive_change: SensitiveChange | None = None

    def __post_init__(self) -> None:
        if not self.subject or len(self.subject) > SUBJECT_MAX_LENGTH:
            raise InvalidAssessment(f"a subject is 1 to {SUBJECT_MAX_LENGTH} characters", field="subject")
        if self.amount < 0:
            raise InvalidAssessment("an amount is a non-negative int in minor units", field="amount")
        if len(self.currency) != 3 or not self.currency.isupper():
            raise InvalidAssessment("a currency is an ISO 4217 code", field="currency")
        if self.account_age_days < 0:
            raise InvalidAssessment("an account's age is not negative", field="account_age_days")
        if (self.kind is Kind.SENSITIVE_CHANGE) != (self.sensitive_change is not None):
            raise InvalidAssessment(
                "a sensitive change (and only one) names its change", field="sensitive_change"
            )


@dataclass(frozen=True, slots=True)
class Reason:
    """A matched rule: its id, its text, what it asks for and what it adds to the score."""

    rule: str
    text: str
    outcome: Outcome
    score: int


@dataclass(frozen=True, slots=True)
class Decision:
    """The engine's answer. `outcome` is enforced; `shadow` lists the shadow rules that matched and
    `shadow_outcome` what they would have made of it. `exemption` is the SCA exemption granted (then the
    outcome is `allow` without SCA) or None with `exemption_note` saying why none applies. `factors` are the
    step-up factors in order of preference; `fallback_factors` the ones for a subject who has none of them.
    """

    outcome: Outcome
    score: int
    reasons: tuple[Reason, ...]
    shadow: tuple[Reason, ...]
    shadow_outcome: Outcome
    factors: tuple[str, ...]
    fallback_factors: tuple[str, ...]
    exemption: Exemption | None
    exemption_note: str
    rules_digest: str
