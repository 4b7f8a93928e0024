"""TOTP: enrolment and its confirmation, the ±1 step window, a code used once (even raced), revocation."""

import base64
import threading
from urllib.parse import parse_qs, urlparse

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from sqlalchemy import Engine, select, update

from risk.factors.errors import AlreadyEnrolled, FactorLocked, NotEnrolled, VerificationFailed
from risk.factors.lockout import LockoutPolicy
from risk.factors.model import Factor
from risk.factors.schema import totp_secrets
from risk.factors.sealing import SealingError, SecretBox
from risk.factors.totp import TotpFactor, TotpParameters, code_at, matching_step
from tests.helpers.policy import Clock
from tests.helpers.threads import run_concurrently
from tests.risk.factors.conftest import OTHER_SUBJECT, POLICY, SUBJECT

STEP = 30


def enrolled(totp: TotpFactor, clock: Clock, subject_id: str = SUBJECT) -> bytes:
    """Enrol and confirm `subject_id`, then move two steps on, so that the whole window is after the
    confirming code's step (used up); the secret."""
    secret = base64.b32decode(totp.enrol(subject_id, "alice@example.com").secret)
    totp.confirm(subject_id, code_at(secret, clock(), TotpParameters()))
    clock.advance(2 * STEP)
    return secret


def test_enrolment_returns_the_secret_once_and_stores_it_sealed(totp: TotpFactor, engine: Engine):
    enrolment = totp.enrol(SUBJECT, "alice@example.com")
    secret = base64.b32decode(enrolment.secret)
    assert len(secret) == 20
    uri = urlparse(enrolment.provisioning_uri)
    query = parse_qs(uri.query)
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert query["secret"] == [enrolment.secret]
    assert query["issuer"] == ["TPWallet"]
    assert "alice%40example.com" in uri.path
    assert enrolment.secret not in repr(enrolment)
    with engine.connect() as connection:
        sealed = connection.scalar(select(totp_secrets.c.sealed_secret))
    assert isinstance(sealed, bytes)
    assert secret not in sealed
    assert enrolment.secret.encode() not in sealed


def test_a_pending_enrolment_is_not_a_factor_until_confirmed(totp: TotpFactor, clock: Clock):
    enrolment = totp.enrol(SUBJECT, "alice")
    code = code_at(base64.b32decode(enrolment.secret), clock(), TotpParameters())
    with pytest.raises(NotEnrolled):
        totp.verify(SUBJECT, code)
    assert not totp.is_enrolled(SUBJECT)
    totp.confirm(SUBJECT, code)
    assert totp.is_enrolled(SUBJECT)
    with pytest.raises(NotEnrolled):
        totp.confirm(SUBJECT, code)  # nothing pending any more


def test_confirmation_with_a_wrong_code_is_refused_and_counted(totp: TotpFactor, clock: Clock):
    enrolment = totp.enrol(SUBJECT, "alice")
    right = code_at(base64.b32decode(enrolment.secret), clock(), TotpParameters())
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    with pytest.raises(VerificationFailed) as refused:
        totp.confirm(SUBJECT, wrong)
    assert refused.value.field == "code"
    assert refused.value.locked_until is None
    assert not totp.is_enrolled(SUBJECT)


def test_re_enrolment_replaces_a_pending_secret_but_not_a_confirmed_one(totp: TotpFactor, clock: Clock):
    first = base64.b32decode(totp.enrol(SUBJECT, "alice").secret)
    second = base64.b32decode(totp.enrol(SUBJECT, "alice").secret)
    assert first != second
    with pytest.raises(VerificationFailed):
        totp.confirm(SUBJECT, code_at(first, clock(), TotpParameters()))
    totp.confirm(SUBJECT, code_at(second, clock(), TotpParameters()))
    with pytest.raises(AlreadyEnrolled):
        totp.enrol(SUBJECT, "alice")


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_codes_of_the_step_before_the_current_and_after_are_accepted(
    totp: TotpFactor, clock: Clock, offset: int
):
    secret = enrolled(totp, clock)
    totp.verify(SUBJECT, code_at(secret, clock() + offset * STEP, TotpParameters()))


@pytest.mark.parametrize("offset", [-2, 2])
def test_codes_two_steps_away_are_refused(totp: TotpFactor, clock: Clock, offset: int):
    secret = enrolled(totp, clock)
    code = code_at(secret, clock() + offset * STEP, TotpParameters())
    assert code not in {code_at(secret, clock() + k * STEP, TotpParameters()) for k in (-1, 0, 1)}
    with pytest.raises(VerificationFailed):
        totp.verify(SUBJECT, code)


@pytest.mark.parametrize(
    ("seconds_from_step_start", "accepted"),
    [(-STEP - 1, False), (-STEP, True), (2 * STEP - 1, True), (2 * STEP, False)],
)
def test_the_window_edges_are_step_boundaries(
    totp: TotpFactor, clock: Clock, seconds_from_step_start: int, accepted: bool
):
    start = clock() - clock() % STEP  # the code's step starts here
    clock.now = start - 4 * STEP
    secret = enrolled(totp, clock)  # the confirming code's step is 4 before the code's: long past
    code = code_at(secret, start, TotpParameters())
    clock.now = start + seconds_from_step_start
    assume_distinct = {code_at(secret, clock() + k * STEP, TotpParameters()) for k in (-1, 0, 1)}
    if accepted:
        totp.verify(SUBJECT, code)
    else:
        assert code not in assume_distinct  # no chance collision with a code inside the window
        with pytest.raises(VerificationFailed):
            totp.verify(SUBJECT, code)


def test_a_used_code_is_refused_and_so_is_any_earlier_step(totp: TotpFactor, clock: Clock):
    secret = enrolled(totp, clock)
    code = code_at(secret, clock(), TotpParameters())
    totp.verify(SUBJECT, code)
    with pytest.raises(VerificationFailed):
        totp.verify(SUBJECT, code)
    with pytest.raises(VerificationFailed):  # the previous step is still inside the window, but past
        totp.verify(SUBJECT, code_at(secret, clock() - STEP, TotpParameters()))
    totp.verify(SUBJECT, code_at(secret, clock() + STEP, TotpParameters()))


def test_the_confirming_code_cannot_be_used_again(totp: TotpFactor, clock: Clock):
    enrolment = totp.enrol(SUBJECT, "alice")
    code = code_at(base64.b32decode(enrolment.secret), clock(), TotpParameters())
    totp.confirm(SUBJECT, code)
    with pytest.raises(VerificationFailed):
        totp.verify(SUBJECT, code)


def test_one_code_used_twice_at_once_passes_once(engine: Engine, box: SecretBox, clock: Clock):
    """Six at once with the same code: one passes, five are refused as a reused code (a lockout roomier
    than six failures, so that no loser is refused for a lock instead, whatever order they run in)."""
    roomy = LockoutPolicy(max_failures=10, base_lock_seconds=60, max_lock_seconds=3600)
    totp = TotpFactor(engine, box, roomy, clock, issuer="TPWallet")
    secret = enrolled(totp, clock)
    code = code_at(secret, clock(), TotpParameters())
    accepted: list[str] = []
    refused: list[Exception] = []
    lock = threading.Lock()

    def use() -> None:
        try:
            totp.verify(SUBJECT, code)
        except VerificationFailed as error:
            with lock:
                refused.append(error)
        else:
            with lock:
                accepted.append(code)

    run_concurrently(use, 6)
    assert len(accepted) == 1
    assert len(refused) == 5


def test_a_locked_totp_refuses_the_right_code(totp: TotpFactor, clock: Clock):
    secret = enrolled(totp, clock)
    for _ in range(POLICY.max_failures - 1):
        with pytest.raises(VerificationFailed) as refused:
            totp.verify(SUBJECT, "abcdef")  # never a code: digits only
        assert refused.value.locked_until is None
    with pytest.raises(VerificationFailed) as locking:
        totp.verify(SUBJECT, "abcdef")
    assert locking.value.locked_until == clock() + POLICY.base_lock_seconds
    with pytest.raises(FactorLocked) as locked:
        totp.verify(SUBJECT, code_at(secret, clock(), TotpParameters()))
    assert locked.value.until == clock() + POLICY.base_lock_seconds
    assert locked.value.factor == Factor.TOTP
    clock.advance(POLICY.base_lock_seconds)
    totp.verify(SUBJECT, code_at(secret, clock(), TotpParameters()))


def test_revocation_removes_the_factor(totp: TotpFactor, clock: Clock):
    secret = enrolled(totp, clock)
    totp.revoke(SUBJECT)
    assert not totp.is_enrolled(SUBJECT)
    with pytest.raises(NotEnrolled):
        totp.verify(SUBJECT, code_at(secret, clock(), TotpParameters()))
    with pytest.raises(NotEnrolled):
        totp.revoke(SUBJECT)


def test_factors_of_subjects_are_apart(totp: TotpFactor, clock: Clock, engine: Engine):
    secret = enrolled(totp, clock)
    enrolled(totp, clock, OTHER_SUBJECT)
    with pytest.raises(VerificationFailed):  # the other subject's secret differs
        totp.verify(OTHER_SUBJECT, code_at(secret, clock(), TotpParameters()))
    with engine.begin() as connection:  # a sealed secret copied onto another subject's row does not open
        sealed = connection.scalar(
            select(totp_secrets.c.sealed_secret).where(totp_secrets.c.subject_id == SUBJECT)
        )
        connection.execute(
            update(totp_secrets)
            .where(totp_secrets.c.subject_id == OTHER_SUBJECT)
            .values(sealed_secret=sealed)
        )
    with pytest.raises(SealingError):
        totp.verify(OTHER_SUBJECT, code_at(secret, clock(), TotpParameters()))


@given(
    secret=st.binary(min_size=20, max_size=20),
    now=st.integers(min_value=6 * STEP, max_value=2**40),  # every offset stays after 1970
    offset=st.integers(min_value=-5, max_value=5),
)
def test_a_code_matches_exactly_when_its_step_is_within_one(secret: bytes, now: int, offset: int):
    parameters = TotpParameters()
    code = code_at(secret, now + offset * STEP, parameters)
    window = {now // STEP + k: code_at(secret, now + k * STEP, parameters) for k in (-1, 0, 1)}
    if abs(offset) <= 1:
        assert matching_step(secret, code, now, parameters) in {s for s, c in window.items() if c == code}
    else:
        assume(code not in window.values())  # a 10^-6 collision with a code inside the window
        assert matching_step(secret, code, now, parameters) is None
