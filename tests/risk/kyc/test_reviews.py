"""Manual reviews on both backends: an operator decides a check the provider sent to review, once; an
approval raises the tier naming the reviewer, a rejection grants nothing; a check not in review refuses."""

import pytest
from sqlalchemy import Engine

from risk.kyc.assignments import Tiers
from risk.kyc.checks import Check, Checks, CheckStatus
from risk.kyc.errors import CheckNotFound, InvalidCheck, OutcomeConflict
from risk.kyc.reviews import ReviewDecision, Reviews
from risk.kyc.tiers import Tier
from tests.risk.kyc.test_checks import SUBJECT, RecordingProvider, _request
from tests.risk.screening.conftest import Clock


@pytest.fixture
def reviews(engine: Engine, clock: Clock) -> Reviews:
    return Reviews(engine, clock=clock)


def in_review(engine: Engine, clock: Clock, tier: Tier = Tier.FULL) -> Check:
    checks = Checks(engine, clock=clock)
    provider = RecordingProvider()
    started = checks.start(provider, _request(tier))
    assert started.provider_check_id is not None
    return checks.record_outcome(
        provider.name, started.provider_check_id, CheckStatus.REVIEW, ["document_unclear"]
    )


def test_an_approval_on_review_raises_the_tier_naming_the_reviewer(
    engine: Engine, clock: Clock, reviews: Reviews, tiers: Tiers
) -> None:
    check = in_review(engine, clock)
    assert [pending.id for pending in reviews.pending()] == [check.id]
    clock.now += 5_000
    decided = reviews.decide(
        check.id, ReviewDecision.APPROVED, reviewer="key:0123", reason="document re-read"
    )
    assert (decided.status, decided.completed_at) == (CheckStatus.APPROVED, clock.now)
    assert "document re-read" in decided.reasons
    assert tiers.tier_of(SUBJECT) is Tier.FULL
    [change] = tiers.history(SUBJECT)
    assert (change.actor, change.previous_tier) == ("key:0123", Tier.NONE)
    review = reviews.review_of(check.id)
    assert review is not None
    assert (review.decision, review.reviewer, review.decided_at) == (
        ReviewDecision.APPROVED,
        "key:0123",
        clock.now,
    )
    assert reviews.pending() == []


def test_a_rejection_on_review_grants_nothing(
    engine: Engine, clock: Clock, reviews: Reviews, tiers: Tiers
) -> None:
    check = in_review(engine, clock)
    decided = reviews.decide(check.id, ReviewDecision.REJECTED, reviewer="key:0123", reason="name mismatch")
    assert decided.status is CheckStatus.REJECTED
    assert tiers.tier_of(SUBJECT) is Tier.NONE


def test_only_a_check_in_review_takes_one_decision(engine: Engine, clock: Clock, reviews: Reviews) -> None:
    check = in_review(engine, clock)
    reviews.decide(check.id, ReviewDecision.REJECTED, reviewer="key:a", reason="first")
    with pytest.raises(OutcomeConflict):
        reviews.decide(check.id, ReviewDecision.APPROVED, reviewer="key:b", reason="second")
    pending = Checks(engine, clock=clock).start(RecordingProvider(), _request())
    with pytest.raises(OutcomeConflict):
        reviews.decide(pending.id, ReviewDecision.APPROVED, reviewer="key:a", reason="not in review")
    with pytest.raises(CheckNotFound):
        reviews.decide("kyc_chk_" + "0" * 20, ReviewDecision.APPROVED, reviewer="key:a", reason="x")
    review = reviews.review_of(check.id)
    assert review is not None
    assert review.reviewer == "key:a"


@pytest.mark.parametrize(("reviewer", "reason", "field"), [(" ", "ok", "reviewer"), ("key:a", "", "reason")])
def test_a_decision_needs_a_reviewer_and_a_reason(
    engine: Engine, clock: Clock, reviews: Reviews, reviewer: str, reason: str, field: str
) -> None:
    check = in_review(engine, clock)
    with pytest.raises(InvalidCheck) as refused:
        reviews.decide(check.id, ReviewDecision.APPROVED, reviewer=reviewer, reason=reason)
    assert refused.value.field == field
    assert Checks(engine, clock=clock).get(check.id).status is CheckStatus.REVIEW
