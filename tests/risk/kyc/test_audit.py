"""An operator's KYC review decision on the hash-chained risk audit log, on both backends: one record per
decision, in the decision's transaction (with the tier change it made), ids only."""

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

import risk.audit.schema
from risk.audit import records, text_digest, verify
from risk.kyc.assignments import Tiers
from risk.kyc.checks import Checks, CheckStatus
from risk.kyc.errors import OutcomeConflict
from risk.kyc.reviews import ReviewDecision, Reviews
from risk.kyc.tiers import Tier
from tests.risk.kyc.test_checks import SUBJECT
from tests.risk.kyc.test_reviews import in_review
from tests.risk.screening.conftest import Clock

REASON = "passport photo re-read by hand: it is Jane Roe's"


def test_each_decision_is_chained_naming_the_reviewer_and_the_tier_change(
    engine: Engine, clock: Clock, tiers: Tiers
) -> None:
    reviews = Reviews(engine, clock=clock)
    approved, rejected = in_review(engine, clock), in_review(engine, clock, Tier.LIGHT)
    reviews.decide(approved.id, ReviewDecision.APPROVED, reviewer="key:rev_a", reason=REASON)
    reviews.decide(rejected.id, ReviewDecision.REJECTED, reviewer="key:rev_b", reason="blurred")
    with pytest.raises(OutcomeConflict):  # a second decision is refused and records nothing
        reviews.decide(approved.id, ReviewDecision.REJECTED, reviewer="key:rev_b", reason="again")
    [change] = tiers.history(SUBJECT)
    with engine.connect() as connection:
        assert verify(connection).ok
        first, second = records(connection)
        lines = list(
            connection.scalars(
                risk.audit.schema.risk_audit_log.select().with_only_columns(
                    risk.audit.schema.risk_audit_log.c.line
                )
            )
        )
    assert (first.actor, first.action, first.subject) == ("key:rev_a", "risk.kyc.review_decided", approved.id)
    assert first.details == {
        "subject_id": SUBJECT,
        "provider": approved.provider,
        "tier": "full",
        "decision": "approved",
        "tier_change_id": change.id,
        "reason_sha256": text_digest(REASON),
    }
    assert (second.actor, second.subject, second.details["decision"]) == (
        "key:rev_b",
        rejected.id,
        "rejected",
    )
    assert second.details["tier_change_id"] is None
    assert second.prev_hash == first.hash
    assert not any("Jane Roe" in line for line in lines)  # the reason's text stays in kyc_reviews


def test_no_audit_record_no_decision(engine: Engine, clock: Clock, tiers: Tiers) -> None:
    """The record is written in the decision's transaction: when it cannot be, nothing is decided."""
    check = in_review(engine, clock)
    risk.audit.schema.metadata.drop_all(engine)
    with pytest.raises(DBAPIError):
        Reviews(engine, clock=clock).decide(check.id, ReviewDecision.APPROVED, reviewer="key:a", reason="ok")
    assert Checks(engine, clock=clock).get(check.id).status is CheckStatus.REVIEW
    assert tiers.tier_of(SUBJECT) is Tier.NONE
