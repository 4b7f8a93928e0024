"""A sanctions reviewer's decision on the hash-chained risk audit log, on both backends: one record per
decision, in the decision's transaction, naming ids and never the screened name or the reason's text."""

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

import risk.audit.schema
from risk.audit import records, text_digest, verify
from risk.screening.errors import DecisionRefused
from risk.screening.model import Decision, Trigger
from risk.screening.screenings import Screener
from tests.risk.screening.conftest import Clock

SUBJECT = "idn_" + "a1" * 16
NAME = "Theodor Morvane"  # scores above the threshold against listed entry 9001
REASON = "Theodor Morvane's date of birth differs from the listed one"


def test_a_decision_is_chained_with_ids_only(screener: Screener, engine: Engine, clock: Clock) -> None:
    screening = screener.screen_name(SUBJECT, NAME, Trigger.ONBOARDING)
    clock.now += 61_000
    screener.decide(screening.id, Decision.FALSE_POSITIVE, reviewer="key:rev_a", reason=REASON)
    with pytest.raises(DecisionRefused):  # a refused second decision records nothing
        screener.decide(screening.id, Decision.CONFIRMED, reviewer="key:rev_b", reason="changed my mind")
    with engine.connect() as connection:
        assert verify(connection).ok
        [record] = records(connection)
        line = connection.scalar(
            risk.audit.schema.risk_audit_log.select().with_only_columns(
                risk.audit.schema.risk_audit_log.c.line
            )
        )
    assert (record.actor, record.action, record.subject) == (
        "key:rev_a",
        "risk.screening.decided",
        screening.id,
    )
    assert record.details == {
        "subject_id": SUBJECT,
        "kind": "name",
        "trigger": "onboarding",
        "list_version": screening.list_version,
        "ent_nums": [9001],
        "decision": "false_positive",
        "standing": "clear",
        "reason_sha256": text_digest(REASON),
    }
    assert record.time.startswith("2026-11-30T")  # the decision's time, in seconds
    assert line is not None
    assert "Morvane" not in line  # neither the name nor the reason's text


def test_no_audit_record_no_decision(screener: Screener, engine: Engine) -> None:
    """The record is written in the decision's transaction: when it cannot be, the decision is not made."""
    screening = screener.screen_name(SUBJECT, NAME, Trigger.ONBOARDING)
    risk.audit.schema.metadata.drop_all(engine)
    with pytest.raises(DBAPIError):
        screener.decide(screening.id, Decision.CONFIRMED, reviewer="key:rev_a", reason="listed person")
    assert screener.get(screening.id).decision is None
