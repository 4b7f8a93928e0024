"""Lockout: consecutive failures counted per (subject, factor); after `max_failures` of them the factor is
locked, for a time that doubles with each lock in a row; a success resets both counts.

A locked factor refuses every attempt, the right one too, and says until when (`FactorLocked`). Counting is
safe under concurrency without holding a lock across the slow check (Argon2, HMAC): a failure is an
increment done by the database (`failures = failures + 1`), so two wrong attempts at once both count; a
success is a conditional UPDATE that matches only while the factor is unlocked, so a success racing the
failure that locks the factor is refused with it. Attempts refused because the factor is locked are not
counted: a lock is not lengthened by an attacker hammering it, and it ends when it says.
"""

from dataclasses import dataclass
from typing import Final, NoReturn

from sqlalchemy import ColumnElement, Connection, Engine, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from risk.factors.errors import FactorLocked, VerificationFailed
from risk.factors.model import Factor
from risk.factors.schema import lockouts

DEFAULT_MAX_FAILURES: Final = 5
DEFAULT_BASE_LOCK_SECONDS: Final = 60
DEFAULT_MAX_LOCK_SECONDS: Final = 24 * 3600


@dataclass(frozen=True)
class LockoutPolicy:
    """After `max_failures` consecutive failures the factor is locked for `base_lock_seconds`, doubled at
    each further lock without a success in between, never longer than `max_lock_seconds`."""

    max_failures: int = DEFAULT_MAX_FAILURES
    base_lock_seconds: int = DEFAULT_BASE_LOCK_SECONDS
    max_lock_seconds: int = DEFAULT_MAX_LOCK_SECONDS

    def __post_init__(self) -> None:
        if self.max_failures < 1:
            raise ValueError("max_failures must be at least 1")
        if not 0 < self.base_lock_seconds <= self.max_lock_seconds:
            raise ValueError("0 < base_lock_seconds <= max_lock_seconds must hold")

    def lock_seconds(self, lock_number: int) -> int:
        """How long the `lock_number`-th lock in a row (from 1) lasts."""
        if lock_number < 1:
            raise ValueError("lock_number counts from 1")
        # Capped before the shift grows huge: past 2**40 the cap has long been reached.
        return min(self.base_lock_seconds << min(lock_number - 1, 40), self.max_lock_seconds)


@dataclass(frozen=True)
class Failure:
    """What a counted failure did: how many attempts are left before a lock, or until when it locked."""

    remaining: int
    locked_until: int | None


def _key(subject_id: str, factor: Factor) -> ColumnElement[bool]:
    return and_(lockouts.c.subject_id == subject_id, lockouts.c.factor == factor.value)


def locked_until(connection: Connection, subject_id: str, factor: Factor, now: int) -> int | None:
    """Until when (unix seconds) the factor is locked at `now`, or None when it is not."""
    until = connection.scalar(select(lockouts.c.locked_until).where(_key(subject_id, factor)))
    return until if until is not None and until > now else None


def check_unlocked(connection: Connection, subject_id: str, factor: Factor, now: int) -> None:
    """`FactorLocked` if the factor is locked at `now`."""
    until = locked_until(connection, subject_id, factor, now)
    if until is not None:
        raise FactorLocked(factor, until)


def record_success(connection: Connection, subject_id: str, factor: Factor, now: int) -> None:
    """Reset the counts, in the caller's transaction (with what the success changes); `FactorLocked` if the
    factor got locked meanwhile, so the caller's transaction rolls back and the success does not count."""
    unlocked = or_(lockouts.c.locked_until.is_(None), lockouts.c.locked_until <= now)
    reset = connection.execute(
        update(lockouts)
        .where(_key(subject_id, factor), unlocked)
        .values(failures=0, lockouts=0, locked_until=None, updated_at=now)
    )
    if reset.rowcount == 0:
        check_unlocked(connection, subject_id, factor, now)  # no row at all: never failed, nothing to reset


def record_failure(
    engine: Engine, policy: LockoutPolicy, subject_id: str, factor: Factor, now: int
) -> Failure:
    """Count one failure in a transaction of its own (it must stay counted whatever the caller does next)
    and lock the factor when it is the `max_failures`-th in a row."""
    with engine.begin() as connection:
        _insert_if_missing(connection, subject_id, factor, now)
        # The increment takes the row's write lock (PostgreSQL) or the database's (SQLite) before the read
        # below, so concurrent failures are counted one after the other.
        connection.execute(
            update(lockouts)
            .where(_key(subject_id, factor))
            .values(failures=lockouts.c.failures + 1, updated_at=now)
        )
        row = connection.execute(
            select(lockouts.c.failures, lockouts.c.lockouts).where(_key(subject_id, factor))
        ).one()
        if row.failures < policy.max_failures:
            return Failure(remaining=policy.max_failures - row.failures, locked_until=None)
        lock_number = row.lockouts + 1
        until = now + policy.lock_seconds(lock_number)
        connection.execute(
            update(lockouts)
            .where(_key(subject_id, factor))
            .values(failures=0, lockouts=lock_number, locked_until=until, updated_at=now)
        )
        return Failure(remaining=0, locked_until=until)


def serialize(connection: Connection, subject_id: str, factor: Factor, now: int) -> None:
    """Hold the (subject, factor) row's write lock until the caller's transaction ends, so that changes to
    one factor of one subject run one after the other: without it two regenerations of recovery codes at
    once would each delete what they see and both insert a set, and two enrolments would race to insert."""
    _insert_if_missing(connection, subject_id, factor, now)
    connection.execute(
        update(lockouts).where(_key(subject_id, factor)).values(updated_at=lockouts.c.updated_at)
    )


def _insert_if_missing(connection: Connection, subject_id: str, factor: Factor, now: int) -> None:
    """The (subject, factor) row with zero counts, unless it exists (a concurrent insert is no error)."""
    values = {
        "subject_id": subject_id,
        "factor": factor.value,
        "failures": 0,
        "lockouts": 0,
        "locked_until": None,
        "updated_at": now,
    }
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(postgresql.insert(lockouts).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        connection.execute(sqlite.insert(lockouts).values(values).on_conflict_do_nothing())
    else:
        raise ValueError(f"unsupported database backend {dialect!r}: use sqlite or postgresql")


def refuse(
    engine: Engine, policy: LockoutPolicy, subject_id: str, factor: Factor, field: str, now: int
) -> NoReturn:
    """Count the failure, then raise `VerificationFailed` naming `field` (and the lock it caused, if any)."""
    failure = record_failure(engine, policy, subject_id, factor, now)
    raise VerificationFailed(factor, field, locked_until=failure.locked_until)
