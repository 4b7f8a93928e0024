"""Lockout: N consecutive failures lock a factor for a time doubling at each lock in a row; a success
resets; failures racing each other all count."""

import uuid
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from risk.factors import lockout
from risk.factors.errors import FactorLocked
from risk.factors.lockout import LockoutPolicy, record_failure, record_success
from risk.factors.model import Factor
from tests.helpers.policy import Clock
from tests.helpers.threads import run_concurrently
from tests.risk.factors.conftest import POLICY, SUBJECT


def fail_until_locked(engine: Engine, clock: Clock, factor: Factor = Factor.TOTP) -> int:
    """Fail `max_failures` times; the lock's end."""
    for attempt in range(1, POLICY.max_failures):
        failure = record_failure(engine, POLICY, SUBJECT, factor, clock())
        assert (failure.remaining, failure.locked_until) == (POLICY.max_failures - attempt, None)
    until = record_failure(engine, POLICY, SUBJECT, factor, clock()).locked_until
    assert until is not None
    return until


def locked_until(engine: Engine, factor: Factor, now: int) -> int | None:
    with engine.connect() as connection:
        return lockout.locked_until(connection, SUBJECT, factor, now)


def test_the_nth_failure_locks_until_a_time_that_doubles_with_each_lock(engine: Engine, clock: Clock):
    for lock_number, seconds in enumerate([60, 120, 240, 480, 960, 1920, 3600, 3600], start=1):
        until = fail_until_locked(engine, clock)
        assert until == clock() + seconds == clock() + POLICY.lock_seconds(lock_number)
        assert locked_until(engine, Factor.TOTP, clock()) == until
        clock.now = until - 1
        assert locked_until(engine, Factor.TOTP, clock()) == until
        clock.now = until
        assert locked_until(engine, Factor.TOTP, clock()) is None


def test_a_success_resets_the_failures_and_the_doubling(engine: Engine, clock: Clock):
    fail_until_locked(engine, clock)
    clock.advance(POLICY.base_lock_seconds)
    record_failure(engine, POLICY, SUBJECT, Factor.TOTP, clock())
    with engine.begin() as connection:
        record_success(connection, SUBJECT, Factor.TOTP, clock())
    assert fail_until_locked(engine, clock) == clock() + POLICY.base_lock_seconds  # back to the first lock


def test_a_success_while_locked_is_refused_and_resets_nothing(engine: Engine, clock: Clock):
    until = fail_until_locked(engine, clock)
    with pytest.raises(FactorLocked) as locked, engine.begin() as connection:
        record_success(connection, SUBJECT, Factor.TOTP, clock())
    assert locked.value.until == until
    assert locked_until(engine, Factor.TOTP, clock()) == until


def test_factors_lock_apart(engine: Engine, clock: Clock):
    fail_until_locked(engine, clock, Factor.PAYMENT_PASSWORD)
    assert locked_until(engine, Factor.TOTP, clock()) is None
    assert locked_until(engine, Factor.RECOVERY_CODE, clock()) is None


def test_failures_at_once_all_count(engine: Engine, clock: Clock):
    results: list[int | None] = []

    def fail() -> None:
        results.append(record_failure(engine, POLICY, SUBJECT, Factor.TOTP, clock()).locked_until)

    run_concurrently(fail, POLICY.max_failures)
    # The first failures of the row: its lock was created by one of them, the others counted on it.
    assert [until for until in results if until is not None] == [clock() + POLICY.base_lock_seconds]
    assert locked_until(engine, Factor.TOTP, clock()) == clock() + POLICY.base_lock_seconds


def test_policy_bounds():
    with pytest.raises(ValueError, match="max_failures"):
        LockoutPolicy(max_failures=0)
    with pytest.raises(ValueError, match="base_lock_seconds"):
        LockoutPolicy(base_lock_seconds=100, max_lock_seconds=10)


@given(
    base=st.integers(min_value=1, max_value=10**6),
    cap_factor=st.integers(min_value=1, max_value=10**4),
    lock_number=st.integers(min_value=1, max_value=10**6),
)
def test_lock_times_double_until_the_cap(base: int, cap_factor: int, lock_number: int):
    policy = LockoutPolicy(base_lock_seconds=base, max_lock_seconds=base * cap_factor)
    seconds = policy.lock_seconds(lock_number)
    assert base <= seconds <= policy.max_lock_seconds
    assert policy.lock_seconds(lock_number + 1) == min(2 * seconds, policy.max_lock_seconds)


@dataclass
class LockoutModel:
    """The rules of the module docstring, in memory: what the database must agree with."""

    failures: int = 0
    lockouts: int = 0
    until: int | None = None

    def attempt(self, succeeded: bool, now: int) -> str:
        if self.until is not None and self.until > now:
            return "locked"
        if succeeded:
            self.failures, self.lockouts, self.until = 0, 0, None
            return "accepted"
        self.failures += 1
        if self.failures < POLICY.max_failures:
            return "refused"
        self.lockouts += 1
        self.until = now + POLICY.lock_seconds(self.lockouts)
        self.failures = 0
        return "refused"


def attempt(engine: Engine, subject_id: str, succeeded: bool, now: int) -> str:
    """One attempt as a factor service makes it: refused when locked, else counted."""
    try:
        with engine.begin() as connection:
            lockout.check_unlocked(connection, subject_id, Factor.TOTP, now)
            if succeeded:
                record_success(connection, subject_id, Factor.TOTP, now)
                return "accepted"
    except FactorLocked:
        return "locked"
    record_failure(engine, POLICY, subject_id, Factor.TOTP, now)
    return "refused"


@given(
    steps=st.lists(st.tuples(st.booleans(), st.integers(min_value=0, max_value=300)), min_size=1, max_size=25)
)
def test_any_sequence_of_attempts_follows_the_rules(engine: Engine, steps: list[tuple[bool, int]]):
    subject_id = f"idn_{uuid.uuid4().hex}"  # the tables outlive each example: a subject of its own
    model = LockoutModel()
    now = 1_750_000_000
    for succeeded, wait in steps:
        now += wait
        assert attempt(engine, subject_id, succeeded, now) == model.attempt(succeeded, now)
        with engine.connect() as connection:
            assert lockout.locked_until(connection, subject_id, Factor.TOTP, now) == (
                model.until if model.until is not None and model.until > now else None
            )
