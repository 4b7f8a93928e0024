"""The payment password: set, verify, change, revoke; Argon2id at rest, rehashed when parameters change."""

import threading

import pytest
from argon2 import PasswordHasher, Type, extract_parameters
from sqlalchemy import Engine, select

from risk.factors.errors import AlreadyEnrolled, FactorLocked, NotEnrolled, VerificationFailed, WeakPassword
from risk.factors.passwords import PaymentPassword, default_hasher
from risk.factors.schema import lockouts, payment_passwords
from tests.helpers.policy import Clock
from tests.helpers.threads import run_concurrently
from tests.risk.factors.conftest import POLICY, SUBJECT

PASSWORD = "739146"


def stored_hash(engine: Engine, subject_id: str = SUBJECT) -> str:
    with engine.connect() as connection:
        value = connection.scalar(
            select(payment_passwords.c.password_hash).where(payment_passwords.c.subject_id == subject_id)
        )
    assert isinstance(value, str)
    return value


def test_the_default_parameters_are_rfc_9106_low_memory_argon2id():
    parameters = extract_parameters(default_hasher().hash("x"))
    assert parameters.type is Type.ID
    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (3, 65536, 4)
    assert (parameters.salt_len, parameters.hash_len) == (16, 32)


def test_set_then_verify(passwords: PaymentPassword, engine: Engine):
    passwords.set(SUBJECT, PASSWORD)
    assert passwords.is_enrolled(SUBJECT)
    passwords.verify(SUBJECT, PASSWORD)
    stored = stored_hash(engine)
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_a_wrong_password_is_refused_naming_the_field(passwords: PaymentPassword):
    passwords.set(SUBJECT, PASSWORD)
    with pytest.raises(VerificationFailed) as refused:
        passwords.verify(SUBJECT, "739147")
    assert refused.value.field == "password"
    assert "739147" not in str(refused.value)


def test_a_second_set_is_refused(passwords: PaymentPassword):
    passwords.set(SUBJECT, PASSWORD)
    with pytest.raises(AlreadyEnrolled):
        passwords.set(SUBJECT, "842051")
    passwords.verify(SUBJECT, PASSWORD)


def test_a_weak_password_is_refused_before_anything_is_stored(passwords: PaymentPassword):
    with pytest.raises(WeakPassword) as refused:
        passwords.set(SUBJECT, "123456")
    assert refused.value.field == "password"
    assert not passwords.is_enrolled(SUBJECT)


def test_change_needs_the_current_password(passwords: PaymentPassword):
    passwords.set(SUBJECT, PASSWORD)
    with pytest.raises(VerificationFailed) as refused:
        passwords.change(SUBJECT, "wrong-one", "842051")
    assert refused.value.field == "current_password"
    passwords.change(SUBJECT, PASSWORD, "842051")
    passwords.verify(SUBJECT, "842051")
    with pytest.raises(VerificationFailed):
        passwords.verify(SUBJECT, PASSWORD)
    with pytest.raises(WeakPassword):
        passwords.change(SUBJECT, "842051", "999999")


def test_two_changes_at_once_leave_one_password(passwords: PaymentPassword):
    passwords.set(SUBJECT, PASSWORD)
    outcomes: list[str] = []
    guard = threading.Lock()
    candidates = iter(["842051", "503817"])

    def change() -> None:
        with guard:
            new = next(candidates)
        try:
            passwords.change(SUBJECT, PASSWORD, new)
        except VerificationFailed:
            return
        with guard:
            outcomes.append(new)

    run_concurrently(change, 2)
    # Whether the second read the old hash (its guarded UPDATE then matches nothing) or the new one (its
    # proof then fails), exactly one change from the same current password wins.
    [winner] = outcomes
    passwords.verify(SUBJECT, winner)


def test_a_hash_with_older_parameters_is_replaced_on_success(engine: Engine, clock: Clock):
    older = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=16, salt_len=16, type=Type.ID)
    PaymentPassword(engine, POLICY, clock, hasher=older).set(SUBJECT, PASSWORD)
    before = stored_hash(engine)
    current = PasswordHasher(
        time_cost=2, memory_cost=16, parallelism=1, hash_len=16, salt_len=16, type=Type.ID
    )
    upgraded = PaymentPassword(engine, POLICY, clock, hasher=current)
    with pytest.raises(VerificationFailed):  # a failure changes nothing
        upgraded.verify(SUBJECT, "wrong-one")
    assert stored_hash(engine) == before
    upgraded.verify(SUBJECT, PASSWORD)
    after = stored_hash(engine)
    assert after != before
    assert (extract_parameters(after).time_cost, extract_parameters(after).memory_cost) == (2, 16)
    upgraded.verify(SUBJECT, PASSWORD)
    assert stored_hash(engine) == after  # current parameters: no rehash
    PaymentPassword(engine, POLICY, clock, hasher=older).verify(SUBJECT, PASSWORD)  # hashes carry parameters


def test_lockout_refuses_the_right_password_until_the_lock_ends(passwords: PaymentPassword, clock: Clock):
    passwords.set(SUBJECT, PASSWORD)
    for _ in range(POLICY.max_failures):
        with pytest.raises(VerificationFailed):
            passwords.verify(SUBJECT, "wrong-one")
    with pytest.raises(FactorLocked) as locked:
        passwords.verify(SUBJECT, PASSWORD)
    assert locked.value.until == clock() + POLICY.base_lock_seconds
    with pytest.raises(FactorLocked):  # change goes through the same lock
        passwords.change(SUBJECT, PASSWORD, "842051")
    clock.advance(POLICY.base_lock_seconds)
    passwords.verify(SUBJECT, PASSWORD)


def test_concurrent_wrong_passwords_all_count(passwords: PaymentPassword, engine: Engine):
    passwords.set(SUBJECT, PASSWORD)

    def wrong() -> None:
        with pytest.raises(VerificationFailed):
            passwords.verify(SUBJECT, "wrong-one")

    run_concurrently(wrong, POLICY.max_failures - 1)
    with engine.connect() as connection:
        failures = connection.scalar(select(lockouts.c.failures).where(lockouts.c.subject_id == SUBJECT))
    assert failures == POLICY.max_failures - 1


def test_revoke(passwords: PaymentPassword):
    passwords.set(SUBJECT, PASSWORD)
    passwords.revoke(SUBJECT)
    with pytest.raises(NotEnrolled):
        passwords.verify(SUBJECT, PASSWORD)
    with pytest.raises(NotEnrolled):
        passwords.revoke(SUBJECT)
    passwords.set(SUBJECT, "842051")


def test_two_first_passwords_at_once_enrol_one(passwords: PaymentPassword):
    enrolled: list[str] = []
    refused: list[AlreadyEnrolled] = []
    candidates = iter(["842051", "503817", "739146"])
    guard = threading.Lock()

    def set_password() -> None:
        with guard:
            password = next(candidates)
        try:
            passwords.set(SUBJECT, password)
        except AlreadyEnrolled as error:
            refused.append(error)
        else:
            enrolled.append(password)

    run_concurrently(set_password, 3)
    assert len(refused) == 2
    [password] = enrolled
    passwords.verify(SUBJECT, password)
