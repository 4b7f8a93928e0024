"""Factor changes on the hash-chained risk audit log, on both backends: each change is chained in its own
transaction naming the actor (or the subject itself), nothing secret in it; a refused change records
nothing."""

import base64

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

import risk.audit.schema
from risk.audit import records, verify
from risk.factors.errors import NotEnrolled, VerificationFailed
from risk.factors.passwords import PaymentPassword
from risk.factors.recovery import RecoveryCodes
from risk.factors.totp import TotpFactor, TotpParameters, code_at
from tests.helpers.policy import Clock
from tests.risk.factors.conftest import OTHER_SUBJECT, SUBJECT

ACTOR = "session:ses_" + "c3" * 16


def _chained(engine: Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as connection:
        assert verify(connection).ok
        return [(record.action, record.details["factor"], record.actor) for record in records(connection)]


def test_every_change_is_chained_and_refusals_are_not(
    engine: Engine, totp: TotpFactor, passwords: PaymentPassword, recovery: RecoveryCodes, clock: Clock
) -> None:
    enrolment = totp.enrol(SUBJECT, "alice", actor=ACTOR)
    secret = base64.b32decode(enrolment.secret)
    totp.confirm(SUBJECT, code_at(secret, clock(), TotpParameters()), actor=ACTOR)
    passwords.set(SUBJECT, "correct horse")  # no actor named: the subject acted itself
    with pytest.raises(VerificationFailed):
        passwords.change(SUBJECT, "wrong horse", "battery staple", actor=ACTOR)
    passwords.change(SUBJECT, "correct horse", "battery staple", actor=ACTOR)
    passwords.verify(SUBJECT, "battery staple")  # a verification is no change
    recovery.generate(SUBJECT, actor=ACTOR)
    with pytest.raises(NotEnrolled):
        totp.revoke(OTHER_SUBJECT, actor=ACTOR)
    for revoke in (totp.revoke, passwords.revoke, recovery.revoke):
        revoke(SUBJECT, actor=ACTOR)
    assert _chained(engine) == [
        ("risk.factor.enrolled", "totp", ACTOR),
        ("risk.factor.confirmed", "totp", ACTOR),
        ("risk.factor.enrolled", "payment_password", SUBJECT),
        ("risk.factor.changed", "payment_password", ACTOR),
        ("risk.factor.enrolled", "recovery_code", ACTOR),
        ("risk.factor.revoked", "totp", ACTOR),
        ("risk.factor.revoked", "payment_password", ACTOR),
        ("risk.factor.revoked", "recovery_code", ACTOR),
    ]


def test_no_audit_record_no_change(engine: Engine, passwords: PaymentPassword) -> None:
    passwords.set(SUBJECT, "correct horse")
    risk.audit.schema.metadata.drop_all(engine)
    with pytest.raises(DBAPIError):
        passwords.change(SUBJECT, "correct horse", "battery staple", actor=ACTOR)
    passwords.verify(SUBJECT, "correct horse")  # still the old one
