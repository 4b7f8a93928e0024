"""Fallback: the preferred factor when it can be used, else another one, else a refusal; never a pass."""

import base64

import pytest
from sqlalchemy import Engine

from risk.factors.errors import NoFactorAvailable
from risk.factors.fallback import FALLBACK_ORDER, available_factors, choose
from risk.factors.lockout import record_failure
from risk.factors.model import Factor, FactorStatus
from risk.factors.passwords import PaymentPassword
from risk.factors.recovery import RecoveryCodes
from risk.factors.totp import TotpFactor, TotpParameters, code_at
from tests.helpers.policy import Clock
from tests.risk.factors.conftest import POLICY, SUBJECT

NOW = 1_750_000_000


def status(factor: Factor, *, enrolled: bool = True, locked_until: int | None = None) -> FactorStatus:
    return FactorStatus(factor, enrolled=enrolled, locked_until=locked_until)


def test_the_preferred_factor_when_it_can_be_used():
    choice = choose(Factor.PAYMENT_PASSWORD, [status(factor) for factor in Factor], NOW)
    assert (choice.factor, choice.is_fallback) == (Factor.PAYMENT_PASSWORD, False)


@pytest.mark.parametrize(
    ("preferred_status", "reason"),
    [
        (status(Factor.TOTP, enrolled=False), "totp: not enrolled"),
        (status(Factor.TOTP, locked_until=NOW + 60), f"totp: locked until {NOW + 60}"),
    ],
)
def test_a_fallback_is_offered_saying_why(preferred_status: FactorStatus, reason: str):
    choice = choose(Factor.TOTP, [preferred_status, status(Factor.RECOVERY_CODE)], NOW)
    assert (choice.factor, choice.fallback_reason) == (Factor.RECOVERY_CODE, reason)


def test_a_lock_that_has_ended_is_no_reason_to_fall_back():
    assert choose(Factor.TOTP, [status(Factor.TOTP, locked_until=NOW)], NOW).factor == Factor.TOTP


def test_the_caller_may_rule_a_factor_out():
    statuses = [status(factor) for factor in Factor]
    choice = choose(Factor.TOTP, statuses, NOW, unavailable={Factor.TOTP})
    assert (choice.factor, choice.fallback_reason) == (Factor.PAYMENT_PASSWORD, "totp: unavailable")


def test_fallbacks_follow_the_order_recovery_codes_last():
    assert FALLBACK_ORDER[-1] == Factor.RECOVERY_CODE
    statuses = [
        status(Factor.PAYMENT_PASSWORD),
        status(Factor.RECOVERY_CODE),
        status(Factor.TOTP, enrolled=False),
    ]
    assert choose(Factor.TOTP, statuses, NOW).factor == Factor.PAYMENT_PASSWORD


@pytest.mark.parametrize("preferred", list(Factor))
def test_no_usable_factor_raises_with_every_reason(preferred: Factor):
    statuses = [
        status(Factor.TOTP, enrolled=False),
        status(Factor.PAYMENT_PASSWORD, locked_until=NOW + 1),
    ]  # recovery codes: not even listed, so not enrolled
    with pytest.raises(NoFactorAvailable) as refused:
        choose(preferred, statuses, NOW)
    passkey = {Factor.PASSKEY: "not enrolled"} if preferred is Factor.PASSKEY else {}
    assert refused.value.reasons == {
        **passkey,
        Factor.TOTP: "not enrolled",
        Factor.PAYMENT_PASSWORD: f"locked until {NOW + 1}",
        Factor.RECOVERY_CODE: "not enrolled",
    }
    assert next(iter(refused.value.reasons)) == preferred


def test_a_preferred_passkey_the_server_cannot_verify_falls_back_with_its_reason():
    statuses = [status(Factor.PASSKEY), status(Factor.TOTP), status(Factor.PAYMENT_PASSWORD)]
    choice = choose(Factor.PASSKEY, statuses, NOW, unavailable={Factor.PASSKEY})
    assert (choice.factor, choice.fallback_reason) == (Factor.TOTP, "passkey: unavailable")
    assert choose(Factor.PASSKEY, statuses, NOW).factor == Factor.PASSKEY


def test_available_factors_reads_each_factor_and_its_lock(
    engine: Engine,
    clock: Clock,
    totp: TotpFactor,
    passwords: PaymentPassword,
    recovery: RecoveryCodes,
):
    assert available_factors(engine, SUBJECT, clock()) == tuple(
        status(factor, enrolled=False) for factor in FALLBACK_ORDER
    )
    totp.enrol(SUBJECT, "alice")  # pending: not a factor yet
    passwords.set(SUBJECT, "739146")
    codes = recovery.generate(SUBJECT).codes
    for _ in range(POLICY.max_failures):
        record_failure(engine, POLICY, SUBJECT, Factor.PAYMENT_PASSWORD, clock())
    assert available_factors(engine, SUBJECT, clock()) == (
        status(Factor.TOTP, enrolled=False),
        status(Factor.PAYMENT_PASSWORD, locked_until=clock() + POLICY.base_lock_seconds),
        status(Factor.RECOVERY_CODE),
    )
    choice = choose(Factor.PAYMENT_PASSWORD, available_factors(engine, SUBJECT, clock()), clock())
    assert choice.factor == Factor.RECOVERY_CODE
    for code in codes:
        recovery.use(SUBJECT, code)
    with pytest.raises(NoFactorAvailable):
        choose(Factor.PAYMENT_PASSWORD, available_factors(engine, SUBJECT, clock()), clock())
    secret = base64.b32decode(totp.enrol(SUBJECT, "alice").secret)
    totp.confirm(SUBJECT, code_at(secret, clock(), TotpParameters()))
    assert (
        choose(Factor.PAYMENT_PASSWORD, available_factors(engine, SUBJECT, clock()), clock()).factor
        == Factor.TOTP
    )
