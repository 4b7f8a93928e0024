"""The factors' refusals: each names the factor, and the caller's input at fault (`field`) where there is one.

Plain exceptions (this package knows no HTTP); the API turns them into RFC 9457 problem documents. Their
messages never carry a secret, a code or a hash.
"""

from risk.errors import RiskError
from risk.factors.model import Factor


class FactorError(RiskError):
    """Root of the factors' refusals; nothing was changed but the lockout counters when one is raised."""

    def __init__(self, factor: Factor, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail, field=field)
        self.factor = factor


class NotEnrolled(FactorError):
    """The subject has no such factor (or, for TOTP, an enrolment not confirmed yet)."""

    def __init__(self, factor: Factor, subject_id: str) -> None:
        super().__init__(factor, f"{subject_id} has no {factor} enrolled")


class AlreadyEnrolled(FactorError):
    """The subject has this factor already: revoke it (or change it) first."""

    def __init__(self, factor: Factor, subject_id: str) -> None:
        super().__init__(factor, f"{subject_id} has a {factor} enrolled already")


class VerificationFailed(FactorError):
    """The code or password is wrong, or was used already; the failure was counted. `locked_until` (unix
    seconds) is set when this very failure locked the factor."""

    def __init__(self, factor: Factor, field: str, *, locked_until: int | None) -> None:
        detail = f"the {factor} {field} is not valid"
        if locked_until is not None:
            detail += f"; too many failures, {factor} is locked until {locked_until}"
        super().__init__(factor, detail, field=field)
        self.locked_until = locked_until


class FactorLocked(FactorError):
    """Too many consecutive failures: the factor refuses every attempt, the right one too, until `until`
    (unix seconds)."""

    def __init__(self, factor: Factor, until: int) -> None:
        super().__init__(factor, f"{factor} is locked after too many failures until {until}")
        self.until = until


class WeakPassword(FactorError):
    """A payment password the policy refuses; the message says which rule, never the password."""

    def __init__(self, reason: str) -> None:
        super().__init__(Factor.PAYMENT_PASSWORD, reason, field="password")


class NoFactorAvailable(FactorError):
    """Neither the preferred factor nor any fallback can be used now: the step-up cannot be offered, and
    the caller must refuse rather than pass."""

    def __init__(self, preferred: Factor, reasons: dict[Factor, str]) -> None:
        why = "; ".join(f"{factor}: {reason}" for factor, reason in reasons.items())
        super().__init__(preferred, f"no factor can be used ({why})")
        self.reasons = reasons
