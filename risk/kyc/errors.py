"""KYC's refusals: plain exceptions (this package knows no HTTP); `field` names the input at fault."""

from risk.errors import RiskError


class KycError(RiskError):
    """Root of KYC's refusals; nothing was written when one is raised."""


class InvalidTierConfig(KycError):
    """The tiers' limits file is malformed; `field` is the path of the offending key (`tiers.light.EUR`)."""


class InvalidTierChange(KycError):
    """A tier change with a bad subject, tier, actor or reason."""


class InvalidCheck(KycError):
    """A KYC check request missing or with a malformed field."""


class CheckNotFound(KycError):
    """No check of this provider with this id."""


class OutcomeConflict(KycError):
    """An outcome that contradicts the check's final one (a provider changing its mind is not a replay)."""
