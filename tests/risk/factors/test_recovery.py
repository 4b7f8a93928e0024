"""Recovery codes: ten high-entropy codes shown once, stored hashed, each usable once; regeneration
revokes the old set."""

import re
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from risk.factors.errors import FactorLocked, NotEnrolled, VerificationFailed
from risk.factors.recovery import CODE_COUNT, RecoveryCodes, code_hash, new_code, normalize
from risk.factors.schema import recovery_codes
from tests.helpers.policy import Clock
from tests.helpers.threads import run_concurrently
from tests.risk.factors.conftest import OTHER_SUBJECT, POLICY, SUBJECT

CODE_FORMAT = re.compile(r"[a-z2-7]{5}(-[a-z2-7]{5}){3}")


def test_a_set_is_ten_distinct_codes_of_100_bits_stored_only_as_hashes(
    recovery: RecoveryCodes, engine: Engine
):
    codes = recovery.generate(SUBJECT).codes
    assert len(codes) == CODE_COUNT == len(set(codes))
    assert all(CODE_FORMAT.fullmatch(code) for code in codes)  # 20 base32 characters: 100 bits
    with engine.connect() as connection:
        stored = set(connection.scalars(select(recovery_codes.c.code_hash)))
    assert stored == {code_hash(code) for code in codes}
    assert not any(normalize(code) in value for code in codes for value in stored)
    assert recovery.remaining(SUBJECT) == CODE_COUNT
    assert codes[0] not in repr(recovery.generate(OTHER_SUBJECT))


def test_each_code_works_once(recovery: RecoveryCodes):
    codes = recovery.generate(SUBJECT).codes
    recovery.use(SUBJECT, codes[0])
    assert recovery.remaining(SUBJECT) == CODE_COUNT - 1
    with pytest.raises(VerificationFailed) as refused:
        recovery.use(SUBJECT, codes[0])
    assert refused.value.field == "recovery_code"
    recovery.use(SUBJECT, codes[1].upper().replace("-", " "))  # typed loosely


def test_a_code_is_the_subjects_own(recovery: RecoveryCodes):
    codes = recovery.generate(SUBJECT).codes
    recovery.generate(OTHER_SUBJECT)
    with pytest.raises(VerificationFailed):
        recovery.use(OTHER_SUBJECT, codes[0])
    recovery.use(SUBJECT, codes[0])


def test_regeneration_revokes_the_old_set(recovery: RecoveryCodes):
    old = recovery.generate(SUBJECT).codes
    recovery.use(SUBJECT, old[0])
    new = recovery.generate(SUBJECT).codes
    assert not set(old) & set(new)
    assert recovery.remaining(SUBJECT) == CODE_COUNT
    with pytest.raises(VerificationFailed):
        recovery.use(SUBJECT, old[1])
    recovery.use(SUBJECT, new[1])


def test_once_all_are_spent_the_factor_is_gone(recovery: RecoveryCodes):
    codes = recovery.generate(SUBJECT).codes
    for code in codes:
        recovery.use(SUBJECT, code)
    with pytest.raises(NotEnrolled):
        recovery.use(SUBJECT, codes[0])


def test_one_code_used_twice_at_once_passes_once(recovery: RecoveryCodes):
    code = recovery.generate(SUBJECT).codes[0]
    accepted: list[str] = []
    guard = threading.Lock()

    def use() -> None:
        try:
            recovery.use(SUBJECT, code)
        except VerificationFailed:
            return
        with guard:
            accepted.append(code)

    run_concurrently(use, 4)
    assert accepted == [code]
    assert recovery.remaining(SUBJECT) == CODE_COUNT - 1


def test_guessing_locks_the_factor(recovery: RecoveryCodes, clock: Clock):
    codes = recovery.generate(SUBJECT).codes
    for _ in range(POLICY.max_failures):
        with pytest.raises(VerificationFailed):
            recovery.use(SUBJECT, new_code())
    with pytest.raises(FactorLocked):
        recovery.use(SUBJECT, codes[0])
    assert recovery.remaining(SUBJECT) == CODE_COUNT  # the refused right code was not spent
    clock.advance(POLICY.base_lock_seconds)
    recovery.use(SUBJECT, codes[0])


def test_revoke(recovery: RecoveryCodes):
    codes = recovery.generate(SUBJECT).codes
    recovery.revoke(SUBJECT)
    with pytest.raises(NotEnrolled):
        recovery.use(SUBJECT, codes[0])
    with pytest.raises(NotEnrolled):
        recovery.revoke(SUBJECT)


@given(
    code=st.sampled_from([new_code() for _ in range(5)]),
    upper=st.booleans(),
    separator=st.sampled_from(["-", " ", "", "  "]),
)
def test_a_code_hashes_the_same_however_it_is_typed(code: str, upper: bool, separator: str):
    typed = code.replace("-", separator)
    assert code_hash(f" {typed.upper() if upper else typed} ") == code_hash(code)


def test_regenerations_at_once_leave_one_set(recovery: RecoveryCodes, engine: Engine):
    sets: list[tuple[str, ...]] = []

    def generate() -> None:
        sets.append(recovery.generate(SUBJECT).codes)

    run_concurrently(generate, 4)
    with engine.connect() as connection:
        stored = set(connection.scalars(select(recovery_codes.c.code_hash)))
    assert [codes for codes in sets if {code_hash(code) for code in codes} == stored] != []
    assert len(stored) == CODE_COUNT
