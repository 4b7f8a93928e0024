"""Which factors a subject can use now, and which one to ask for: the preferred one, else a fallback.

Point 4 of the issue: when the preferred factor is unavailable, the fallback factor is offered, never a
silent pass. `choose` therefore always names a factor to ask for, or raises `NoFactorAvailable`; it never
answers "nothing to ask". The fallbacks are tried in `FALLBACK_ORDER`: an authenticator app first, the
payment password next, a recovery code last (each use spends one, so it is the last resort). A passkey
(`passkey.passkey_status`) is never a fallback of another factor: it is preferred, when the customer has
one, by the payment's step-up (`payments.intents.guard.hold`), and falls back along this order.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Engine, func, select

from risk.factors import lockout
from risk.factors.errors import NoFactorAvailable
from risk.factors.model import Factor, FactorStatus
from risk.factors.schema import payment_passwords, recovery_codes, totp_secrets

FALLBACK_ORDER: Final = (Factor.TOTP, Factor.PAYMENT_PASSWORD, Factor.RECOVERY_CODE)


@dataclass(frozen=True)
class Choice:
    """The factor to ask for; `fallback_reason` says why the preferred one is not it (None when it is)."""

    factor: Factor
    fallback_reason: str | None

    @property
    def is_fallback(self) -> bool:
        return self.fallback_reason is not None


def available_factors(engine: Engine, subject_id: str, now: int) -> tuple[FactorStatus, ...]:
    """Every factor kind of `subject_id` at `now`, in `FALLBACK_ORDER`: enrolled (a confirmed TOTP, a
    payment password, at least one unused recovery code) and locked until when."""
    with engine.connect() as connection:
        enrolled = {
            Factor.TOTP: connection.scalar(
                select(func.count())
                .select_from(totp_secrets)
                .where(totp_secrets.c.subject_id == subject_id, totp_secrets.c.confirmed_at.is_not(None))
            ),
            Factor.PAYMENT_PASSWORD: connection.scalar(
                select(func.count())
                .select_from(payment_passwords)
                .where(payment_passwords.c.subject_id == subject_id)
            ),
            Factor.RECOVERY_CODE: connection.scalar(
                select(func.count())
                .select_from(recovery_codes)
                .where(recovery_codes.c.subject_id == subject_id, recovery_codes.c.used_at.is_(None))
            ),
        }
        return tuple(
            FactorStatus(
                factor=factor,
                enrolled=bool(enrolled[factor]),
                locked_until=lockout.locked_until(connection, subject_id, factor, now),
            )
            for factor in FALLBACK_ORDER
        )


def choose(
    preferred: Factor,
    available: Iterable[FactorStatus],
    now: int,
    *,
    unavailable: Collection[Factor] = (),
) -> Choice:
    """The preferred factor if it can be used at `now`, else the first usable one of `FALLBACK_ORDER`;
    `unavailable` names factors the caller cannot use for reasons of its own (a channel down, a device
    away). `NoFactorAvailable` with every factor's reason when none is left."""
    statuses = {status.factor: status for status in available}
    reasons: dict[Factor, str] = {}
    for factor in (preferred, *(factor for factor in FALLBACK_ORDER if factor != preferred)):
        status = statuses.get(factor, FactorStatus(factor, enrolled=False, locked_until=None))
        reason = "unavailable" if factor in unavailable else status.unusable_reason(now)
        if reason is None:
            return Choice(factor, None if factor == preferred else f"{preferred}: {reasons[preferred]}")
        reasons[factor] = reason
    raise NoFactorAvailable(preferred, reasons)
