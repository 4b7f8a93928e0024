"""Recovery codes: ten single-use codes, shown once, stored hashed; regenerating revokes the old set.

A code is 20 characters of the RFC 4648 base32 alphabet drawn by `secrets` (100 bits), shown in groups of
five (`abcde-fghij-klmno-pqrst`); input is read without dashes, spaces or case. Because a code is random and
that long, it is stored as its SHA-256, not with Argon2: a slow hash protects low-entropy human secrets from
a stolen table, while 2^100 guesses are out of reach at any hash speed; and a plain digest lets a code be
looked up by its hash instead of trying ten Argon2 verifications per attempt. A code is spent by a
conditional UPDATE (`used_at IS NULL`), so two uses racing cannot both pass.
"""

import base64
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Engine, delete, func, insert, select, update

from risk.factors import lockout
from risk.factors.audit import FactorEvent, record_change
from risk.factors.errors import NotEnrolled
from risk.factors.lockout import LockoutPolicy
from risk.factors.model import Factor
from risk.factors.schema import recovery_codes

CODE_COUNT: Final = 10
CODE_BYTES: Final = 13  # base32 of 13 bytes is 21 characters, cut to 20: 100 bits
CODE_LENGTH: Final = 20
GROUP: Final = 5
CODE_FIELD: Final = "recovery_code"


@dataclass(frozen=True)
class RecoveryCodeSet:
    """A fresh set, shown to the user once (never stored or returned again)."""

    codes: tuple[str, ...]

    def __repr__(self) -> str:
        return f"RecoveryCodeSet(<{len(self.codes)} codes redacted>)"


def new_code() -> str:
    """A random code, formatted in dash-separated groups for reading and typing."""
    raw = base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode().lower()[:CODE_LENGTH]
    return "-".join(raw[i : i + GROUP] for i in range(0, CODE_LENGTH, GROUP))


def normalize(code: str) -> str:
    """A code as typed, without the separators and the case a user may add or drop."""
    return "".join(code.split()).replace("-", "").lower()


def code_hash(code: str) -> str:
    """The stored form of a code (hex SHA-256 of its normalized text)."""
    return hashlib.sha256(normalize(code).encode()).hexdigest()


class RecoveryCodes:
    """A subject's recovery codes over the factors' tables; `clock` gives unix seconds."""

    def __init__(self, engine: Engine, policy: LockoutPolicy, clock: Callable[[], int]) -> None:
        self._engine = engine
        self._policy = policy
        self._clock = clock

    def generate(self, subject_id: str, *, actor: str | None = None) -> RecoveryCodeSet:
        """A new set of `CODE_COUNT` codes; the previous set, used or not, stops working in the same
        transaction (regenerations at once run one after the other: the last one's set is the one left).
        Audited naming `actor` (`risk.factors.audit`), as is the revocation."""
        codes = tuple(new_code() for _ in range(CODE_COUNT))
        now = self._clock()
        rows = [
            {"subject_id": subject_id, "code_hash": code_hash(code), "created_at": now, "used_at": None}
            for code in codes
        ]
        with self._engine.begin() as connection:
            lockout.serialize(connection, subject_id, Factor.RECOVERY_CODE, now)
            connection.execute(delete(recovery_codes).where(recovery_codes.c.subject_id == subject_id))
            connection.execute(insert(recovery_codes), rows)
            record_change(connection, subject_id, Factor.RECOVERY_CODE, FactorEvent.ENROLLED, now, actor)
        return RecoveryCodeSet(codes)

    def use(self, subject_id: str, code: str) -> None:
        """Spend `code`; `VerificationFailed` (counted) if unknown or spent, `FactorLocked` if locked,
        `NotEnrolled` if no unused code is left."""
        now = self._clock()
        if self.remaining(subject_id) == 0:
            raise NotEnrolled(Factor.RECOVERY_CODE, subject_id)
        with self._engine.begin() as connection:
            lockout.check_unlocked(connection, subject_id, Factor.RECOVERY_CODE, now)
            spent = connection.execute(
                update(recovery_codes)
                .where(
                    recovery_codes.c.subject_id == subject_id,
                    recovery_codes.c.code_hash == code_hash(code),
                    recovery_codes.c.used_at.is_(None),
                )
                .values(used_at=now)
            )
            if spent.rowcount == 1:
                lockout.record_success(connection, subject_id, Factor.RECOVERY_CODE, now)
                return
        lockout.refuse(self._engine, self._policy, subject_id, Factor.RECOVERY_CODE, CODE_FIELD, now)

    def remaining(self, subject_id: str) -> int:
        """How many unused codes the subject has."""
        with self._engine.connect() as connection:
            count = connection.scalar(
                select(func.count())
                .select_from(recovery_codes)
                .where(recovery_codes.c.subject_id == subject_id, recovery_codes.c.used_at.is_(None))
            )
        return count or 0

    def revoke(self, subject_id: str, *, actor: str | None = None) -> None:
        """Remove every code of the subject; `NotEnrolled` if there is none."""
        now = self._clock()
        with self._engine.begin() as connection:
            removed = connection.execute(
                delete(recovery_codes).where(recovery_codes.c.subject_id == subject_id)
            )
            if removed.rowcount == 0:
                raise NotEnrolled(Factor.RECOVERY_CODE, subject_id)
            record_change(connection, subject_id, Factor.RECOVERY_CODE, FactorEvent.REVOKED, now, actor)
