"""The payment password: set, change, verify, revoke; stored as an Argon2id hash, rehashed when the
parameters change.

The parameters are RFC 9106's second recommended option ("low memory"): Argon2id, 3 passes over 64 MiB with
4 lanes, a 16-byte random salt and a 32-byte tag (`PARAMETERS`). Each hash carries its own parameters, so
raising them later needs no migration: a hash made with older ones still verifies, and the successful
verification replaces it with a hash under the current ones (the only moment the password is known).
"""

from collections.abc import Callable
from typing import Final

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, insert, select, update

from risk.factors import lockout
from risk.factors.audit import FactorEvent, record_change
from risk.factors.errors import AlreadyEnrolled, NotEnrolled, VerificationFailed
from risk.factors.lockout import LockoutPolicy
from risk.factors.model import Factor
from risk.factors.policy import check_password
from risk.factors.schema import payment_passwords

PASSWORD_FIELD: Final = "password"  # noqa: S105 - the input field's name
CURRENT_PASSWORD_FIELD: Final = "current_password"  # noqa: S105 - the input field's name


def default_hasher() -> PasswordHasher:
    """Argon2id with RFC 9106's low-memory parameters: t=3, m=64 MiB, p=4, 16-byte salt, 32-byte tag."""
    return PasswordHasher(
        time_cost=3, memory_cost=64 * 1024, parallelism=4, hash_len=32, salt_len=16, type=Type.ID
    )


class PaymentPassword:
    """A subject's payment password over the factors' tables; `clock` gives unix seconds."""

    def __init__(
        self,
        engine: Engine,
        policy: LockoutPolicy,
        clock: Callable[[], int],
        *,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self._engine = engine
        self._policy = policy
        self._clock = clock
        self._hasher = hasher or default_hasher()

    def set(self, subject_id: str, password: str, *, actor: str | None = None) -> None:
        """Enrol the first payment password; `WeakPassword` if the policy refuses it, `AlreadyEnrolled` if
        the subject has one (change it with `change`). Audited naming `actor` (`risk.factors.audit`)."""
        check_password(password)
        password_hash = self._hasher.hash(password)
        now = self._clock()
        with self._engine.begin() as connection:
            lockout.serialize(connection, subject_id, Factor.PAYMENT_PASSWORD, now)
            exists = connection.scalar(
                select(payment_passwords.c.subject_id).where(payment_passwords.c.subject_id == subject_id)
            )
            if exists is not None:
                raise AlreadyEnrolled(Factor.PAYMENT_PASSWORD, subject_id)
            connection.execute(
                insert(payment_passwords).values(
                    subject_id=subject_id, password_hash=password_hash, created_at=now, updated_at=now
                )
            )
            record_change(connection, subject_id, Factor.PAYMENT_PASSWORD, FactorEvent.ENROLLED, now, actor)

    def change(self, subject_id: str, current: str, new: str, *, actor: str | None = None) -> None:
        """Replace the password, proving the current one first (a counted attempt, under the lockout: a
        wrong `current` is a failure like a wrong verification, so the change route is no oracle that
        escapes the lock). Audited naming `actor` in the transaction that stores the new hash."""
        check_password(new)
        replacement = self._hasher.hash(new)
        self._verify(subject_id, current, CURRENT_PASSWORD_FIELD, replacement=replacement, actor=actor)

    def verify(self, subject_id: str, password: str) -> None:
        """Accept the right password; `VerificationFailed` (counted) if wrong, `FactorLocked` if locked."""
        self._verify(subject_id, password, PASSWORD_FIELD, replacement=None)

    def revoke(self, subject_id: str, *, actor: str | None = None) -> None:
        """Remove the payment password, audited naming `actor`; `NotEnrolled` if there is none."""
        now = self._clock()
        with self._engine.begin() as connection:
            removed = connection.execute(
                delete(payment_passwords).where(payment_passwords.c.subject_id == subject_id)
            )
            if removed.rowcount == 0:
                raise NotEnrolled(Factor.PAYMENT_PASSWORD, subject_id)
            record_change(connection, subject_id, Factor.PAYMENT_PASSWORD, FactorEvent.REVOKED, now, actor)

    def is_enrolled(self, subject_id: str) -> bool:
        """Whether the subject has a payment password."""
        with self._engine.connect() as connection:
            found = connection.scalar(
                select(payment_passwords.c.subject_id).where(payment_passwords.c.subject_id == subject_id)
            )
        return found is not None

    def _verify(
        self, subject_id: str, password: str, field: str, *, replacement: str | None, actor: str | None = None
    ) -> None:
        """Check `password` under the lockout; on success store `replacement` (a change, audited naming
        `actor`), or a rehash under the current parameters if the stored hash has older ones, guarded by the
        hash read so a concurrent change is never overwritten."""
        now = self._clock()
        with self._engine.begin() as connection:
            lockout.check_unlocked(connection, subject_id, Factor.PAYMENT_PASSWORD, now)
            stored = connection.scalar(
                select(payment_passwords.c.password_hash).where(payment_passwords.c.subject_id == subject_id)
            )
        if stored is None:
            raise NotEnrolled(Factor.PAYMENT_PASSWORD, subject_id)
        try:
            self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            lockout.refuse(self._engine, self._policy, subject_id, Factor.PAYMENT_PASSWORD, field, now)
        changing = replacement is not None
        if replacement is None and self._hasher.check_needs_rehash(stored):
            replacement = self._hasher.hash(password)
        with self._engine.begin() as connection:
            lockout.record_success(connection, subject_id, Factor.PAYMENT_PASSWORD, now)
            if replacement is None:
                return
            replaced = connection.execute(
                update(payment_passwords)
                .where(
                    payment_passwords.c.subject_id == subject_id,
                    payment_passwords.c.password_hash == stored,
                )
                .values(password_hash=replacement, updated_at=now)
            )
            if changing and replaced.rowcount != 1:
                # Changed (or revoked) by a concurrent call since it was read: `current` is no longer the
                # current password. Not counted as a failure, and the rollback undoes the reset above.
                raise VerificationFailed(Factor.PAYMENT_PASSWORD, field, locked_until=None)
            if changing:
                record_change(
                    connection, subject_id, Factor.PAYMENT_PASSWORD, FactorEvent.CHANGED, now, actor
                )
