"""TOTP (RFC 6238): enrol, confirm, verify, revoke; each code, more exactly its time step, accepted once.

Enrolment draws a random 160-bit secret (RFC 4226's recommended length), stores it sealed (`sealing`) and
returns it once with its `otpauth://` provisioning URI for an authenticator app; the factor counts only after
a first valid code confirms that the app has it. Verification accepts the codes of the current time step and
of one step either side (clock drift and typing time, RFC 6238 section 5.2) and records the step it
matched: a code of that step or an earlier one is refused from then on, so an observed code cannot be
replayed, not even by two verifications racing, because a conditional UPDATE (`last_step < step`) lets only
one of them through. The defaults are the authenticator apps': SHA-1, 30-second steps, 6 digits.
"""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import pyotp
from sqlalchemy import ColumnElement, Engine, and_, delete, func, insert, or_, select, update

from risk.factors import lockout
from risk.factors.audit import FactorEvent, record_change
from risk.factors.errors import AlreadyEnrolled, NotEnrolled
from risk.factors.lockout import LockoutPolicy
from risk.factors.model import Factor
from risk.factors.schema import totp_secrets
from risk.factors.sealing import SecretBox

SECRET_BYTES: Final = 20  # 160 bits
WINDOW_STEPS: Final = 1
CODE_FIELD: Final = "code"
DIGESTS: Final[dict[str, Callable[..., Any]]] = {
    "sha1": hashlib.sha1,
    "sha256": hashlib.sha256,
    "sha512": hashlib.sha512,
}


@dataclass(frozen=True)
class TotpParameters:
    """RFC 6238's parameters: the HMAC hash, the step length and the code length."""

    algorithm: str = "sha1"
    step_seconds: int = 30
    digits: int = 6

    def __post_init__(self) -> None:
        if self.algorithm not in DIGESTS:
            raise ValueError(f"algorithm must be one of {sorted(DIGESTS)}")
        if self.step_seconds < 1 or not 6 <= self.digits <= 10:
            raise ValueError("step_seconds >= 1 and 6 <= digits <= 10 must hold")

    def otp(self, secret: bytes) -> pyotp.TOTP:
        """pyotp's generator for `secret` under these parameters."""
        return pyotp.TOTP(
            base64.b32encode(secret).decode(),
            digits=self.digits,
            digest=DIGESTS[self.algorithm],
            interval=self.step_seconds,
        )


@dataclass(frozen=True)
class TotpEnrolment:
    """What enrolment shows the user once: the secret (base32, to type in) and the provisioning URI (for a
    QR code). Neither is ever returned again."""

    secret: str
    provisioning_uri: str

    def __repr__(self) -> str:
        return "TotpEnrolment(<secret redacted>)"


def code_at(secret: bytes, unix_seconds: int, parameters: TotpParameters) -> str:
    """The code of the time step holding `unix_seconds`."""
    return parameters.otp(secret).generate_otp(unix_seconds // parameters.step_seconds)


def matching_step(secret: bytes, code: str, now: int, parameters: TotpParameters) -> int | None:
    """The time step within one of `now`'s whose code is `code`, or None. Every candidate is compared in
    constant time, so the timing tells nothing of which step (if any) matched."""
    generator = parameters.otp(secret)
    current = now // parameters.step_seconds
    matched = None
    for step in range(current - WINDOW_STEPS, current + WINDOW_STEPS + 1):
        if hmac.compare_digest(generator.generate_otp(step).encode(), code.encode()) and matched is None:
            matched = step
    return matched


class TotpFactor:
    """A subject's TOTP factor over the factors' tables; `clock` gives unix seconds."""

    def __init__(
        self,
        engine: Engine,
        box: SecretBox,
        policy: LockoutPolicy,
        clock: Callable[[], int],
        *,
        issuer: str,
        parameters: TotpParameters | None = None,
    ) -> None:
        self._engine = engine
        self._box = box
        self._policy = policy
        self._clock = clock
        self._issuer = issuer
        self._parameters = parameters or TotpParameters()

    def enrol(self, subject_id: str, account_name: str, *, actor: str | None = None) -> TotpEnrolment:
        """A new secret for `subject_id`, pending until `confirm`; an unconfirmed earlier one is replaced.
        `account_name` is what the authenticator app lists under the issuer (an e-mail, a wallet name).
        Audited naming `actor` (`risk.factors.audit`), as are the confirmation and the revocation."""
        secret = secrets.token_bytes(SECRET_BYTES)
        now = self._clock()
        row = {
            "subject_id": subject_id,
            "sealed_secret": self._box.seal(secret, _context(subject_id)),
            "created_at": now,
            "confirmed_at": None,
            "last_step": None,
        }
        with self._engine.begin() as connection:
            lockout.serialize(connection, subject_id, Factor.TOTP, now)
            confirmed = connection.scalar(
                select(totp_secrets.c.confirmed_at).where(totp_secrets.c.subject_id == subject_id)
            )
            if confirmed is not None:
                raise AlreadyEnrolled(Factor.TOTP, subject_id)
            connection.execute(
                delete(totp_secrets).where(
                    totp_secrets.c.subject_id == subject_id, totp_secrets.c.confirmed_at.is_(None)
                )
            )
            connection.execute(insert(totp_secrets).values(row))
            record_change(connection, subject_id, Factor.TOTP, FactorEvent.ENROLLED, now, actor)
        uri = self._parameters.otp(secret).provisioning_uri(name=account_name, issuer_name=self._issuer)
        return TotpEnrolment(secret=base64.b32encode(secret).decode(), provisioning_uri=uri)

    def confirm(self, subject_id: str, code: str, *, actor: str | None = None) -> None:
        """Activate the pending enrolment with a first valid code (which is then used up)."""
        self._check(subject_id, code, confirmed=False, actor=actor)

    def verify(self, subject_id: str, code: str) -> None:
        """Accept `code` once; `VerificationFailed` (counted) if wrong or used, `FactorLocked` if locked."""
        self._check(subject_id, code, confirmed=True)

    def revoke(self, subject_id: str, *, actor: str | None = None) -> None:
        """Remove the factor, confirmed or pending; `NotEnrolled` if there is none."""
        now = self._clock()
        with self._engine.begin() as connection:
            removed = connection.execute(delete(totp_secrets).where(totp_secrets.c.subject_id == subject_id))
            if removed.rowcount == 0:
                raise NotEnrolled(Factor.TOTP, subject_id)
            record_change(connection, subject_id, Factor.TOTP, FactorEvent.REVOKED, now, actor)

    def is_enrolled(self, subject_id: str) -> bool:
        """Whether the subject has a confirmed TOTP factor."""
        with self._engine.connect() as connection:
            confirmed = connection.scalar(
                select(totp_secrets.c.confirmed_at).where(totp_secrets.c.subject_id == subject_id)
            )
        return confirmed is not None

    def is_pending(self, subject_id: str) -> bool:
        """Whether the subject has an enrolment waiting for its first code (and no confirmed factor)."""
        with self._engine.connect() as connection:
            found = connection.scalar(
                select(totp_secrets.c.subject_id).where(
                    totp_secrets.c.subject_id == subject_id, _in_state(confirmed=False)
                )
            )
        return found is not None

    def _check(self, subject_id: str, code: str, *, confirmed: bool, actor: str | None = None) -> None:
        now = self._clock()
        state = _in_state(confirmed=confirmed)
        with self._engine.begin() as connection:
            lockout.check_unlocked(connection, subject_id, Factor.TOTP, now)
            sealed = connection.scalar(
                select(totp_secrets.c.sealed_secret).where(totp_secrets.c.subject_id == subject_id, state)
            )
        if sealed is None:
            raise NotEnrolled(Factor.TOTP, subject_id)
        secret = self._box.open(sealed, _context(subject_id))
        step = matching_step(secret, code.strip(), now, self._parameters)
        confirming = None if confirmed else actor or subject_id
        if step is None or not self._accept(subject_id, sealed, step, now, confirming):
            lockout.refuse(self._engine, self._policy, subject_id, Factor.TOTP, CODE_FIELD, now)

    def _accept(self, subject_id: str, sealed: bytes, step: int, now: int, confirming: str | None) -> bool:
        """Record `step` as used if it is later than the last one used (and confirm a pending enrolment, by
        `confirming`, audited), with the lockout's reset, in one transaction; False (nothing changed) when
        this step or a later one was used already, or the secret the code was checked against was replaced
        (re-enrolled) meanwhile."""
        fresh = or_(totp_secrets.c.last_step.is_(None), totp_secrets.c.last_step < step)
        same_secret = totp_secrets.c.sealed_secret == sealed
        with self._engine.begin() as connection:
            used = connection.execute(
                update(totp_secrets)
                .where(and_(totp_secrets.c.subject_id == subject_id, same_secret, fresh))
                .values(
                    last_step=step,
                    confirmed_at=func.coalesce(totp_secrets.c.confirmed_at, now),
                )
            )
            if used.rowcount != 1:
                return False  # nothing was written: the transaction ends empty
            lockout.record_success(connection, subject_id, Factor.TOTP, now)
            if confirming is not None:
                record_change(connection, subject_id, Factor.TOTP, FactorEvent.CONFIRMED, now, confirming)
        return True


def _in_state(*, confirmed: bool) -> ColumnElement[bool]:
    """The rows of a confirmed factor, or of a pending enrolment."""
    column = totp_secrets.c.confirmed_at
    return column.is_not(None) if confirmed else column.is_(None)


def _context(subject_id: str) -> str:
    """The associated data binding a sealed secret to its row."""
    return f"risk_factor_totp:{subject_id}"
