"""The factor kinds and what the fallback needs to know of each of a subject's factors."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Factor(StrEnum):
    """A kind of authentication factor (its value is stored in `risk_factor_lockouts.factor`)."""

    TOTP = "totp"
    PAYMENT_PASSWORD = "payment_password"  # noqa: S105 - a factor kind, not a password
    RECOVERY_CODE = "recovery_code"
    PASSKEY = "passkey"
    """A WebAuthn assertion over a challenge bound to the very payment (`risk.factors.passkey`); only a
    payment's step-up asks for it (`/v1/factors` manages the secret-based factors, `/v1/auth` passkeys)."""


POSSESSION_OR_INHERENCE: Final = frozenset({Factor.PASSKEY, Factor.TOTP})
"""PSD2's non-knowledge factors: a rule asking for one of them is satisfied best by a passkey (possession of
the authenticator plus its user verification), which is why the step-up prefers it when the customer has
one."""


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
