"""The factor kinds and what the fallback needs to know of each of a subject's factors."""

from dataclasses import dataclass
from enum import StrEnum


class Factor(StrEnum):
    """A kind of authentication factor (its value is stored in `risk_factor_lockouts.factor`)."""

    TOTP = "totp"
    PAYMENT_PASSWORD = "payment_password"  # noqa: S105 - a factor kind, not a password
    RECOVERY_CODE = "recovery_code"


@dataclass(frozen=True)
class FactorStatus:
    """One factor of a subject as the fallback sees it: enrolled or not, locked until when (unix seconds)."""

    factor: Factor
    enrolled: bool
    locked_until: int | None

    def unusable_reason(self, now: int) -> str | None:
        """Why this factor cannot be asked for at `now`, or None when it can."""
        if not self.enrolled:
            return "not enrolled"
        if self.locked_until is not None and self.locked_until > now:
            return f"locked until {self.locked_until}"
        return None
