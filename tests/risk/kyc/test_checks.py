"""KYC checks on both backends: asked of a provider, outcomes recorded once, an approval raising the tier.

The provider here is a test double in process (the real ones are reached over the network by a client
outside `risk`): it remembers each check id it was given, as a provider keyed by our idempotency key does.
"""

from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy import Engine, select

from risk.kyc.assignments import Tiers
from risk.kyc.checks import CheckRequest, Checks, CheckStatus
from risk.kyc.errors import CheckNotFound, InvalidCheck, OutcomeConflict
from risk.kyc.schema import checks
from risk.kyc.tiers import Tier
from tests.risk.screening.conftest import Clock

SUBJECT = "idn_" + "e5" * 16


@dataclass
class RecordingProvider:
    name: str = "sandbox_kyc"
    refuse: bool = False
    submitted: dict[str, CheckRequest] = field(default_factory=dict)

    def submit(self, check_id: str, request: CheckRequest) -> str:
        if self.refuse:
            raise ConnectionError("provider unreachable")
        self.submitted[check_id] = request
        return f"prv_{check_id}"


def _request(tier: Tier = Tier.FULL, **changes: object) -> CheckRequest:
    fields: dict[str, object] = {
        "subject_id": SUBJECT,
        "tier": tier,
        "full_name": "Ada Lovelace",
        "date_of_birth": date(1990, 12, 10),
        "country": "GB",
        "document_number": "P1234567",
    }
    fields.update(changes)
    return CheckRequest(**fields)  # type: ignore[arg-type]


@pytest.fixture
def kyc(engine: Engine, clock: Clock) -> Checks:
    return Checks(engine, clock=clock)


def test_a_check_is_recorded_then_asked(kyc: Checks):
    provider = RecordingProvider()
    check = kyc.start(provider, _request())
    assert (check.status, check.tier, check.provider) == (CheckStatus.PENDING, Tier.FULL, "sandbox_kyc")
    assert provider.submitted[check.id].document_number == "P1234567"
    assert check.provider_check_id == f"prv_{check.id}"


def test_an_approval_raises_the_tier_once(kyc: Checks, tiers: Tiers, clock: Clock):
    check = kyc.start(RecordingProvider(), _request())
    assert check.provider_check_id is not None
    clock.now += 5_000
    approved = kyc.record_outcome("sandbox_kyc", check.provider_check_id, CheckStatus.APPROVED)
    assert (approved.status, approved.completed_at) == (CheckStatus.APPROVED, clock.now)
    assert tiers.tier_of(SUBJECT) is Tier.FULL
    [change] = tiers.history(SUBJECT)
    assert change.actor == f"sandbox_kyc:{check.provider_check_id}"
    # The webhook replayed: nothing more happens.
    assert kyc.record_outcome("sandbox_kyc", check.provider_check_id, CheckStatus.APPROVED) == approved
    assert len(tiers.history(SUBJECT)) == 1


def test_a_light_approval_never_lowers_a_full_subject(kyc: Checks, tiers: Tiers):
    tiers.set_tier(SUBJECT, Tier.FULL, actor="ops", reason="verified in branch")
    check = kyc.start(RecordingProvider(), _request(Tier.LIGHT, document_number=None))
    assert check.provider_check_id is not None
    kyc.record_outcome("sandbox_kyc", check.provider_check_id, CheckStatus.APPROVED)
    assert tiers.tier_of(SUBJECT) is Tier.FULL


def test_review_then_rejection_grants_nothing(kyc: Checks, tiers: Tiers):
    check = kyc.start(RecordingProvider(), _request())
    assert check.provider_check_id is not None
    review = kyc.record_outcome("sandbox_kyc", check.provider_check_id, CheckStatus.REVIEW)
    assert (review.status, review.completed_at) == (CheckStatus.REVIEW, None)
    rejected = kyc.record_outcome(
        "sandbox_kyc", check.provider_check_id, CheckStatus.REJECTED, ["document expired", " "]
    )
    assert (rejected.status, rejected.reasons) == (CheckStatus.REJECTED, "document expired")
    assert tiers.tier_of(SUBJECT) is Tier.NONE
    with pytest.raises(OutcomeConflict) as conflict:
        kyc.record_outcome("sandbox_kyc", check.provider_check_id, CheckStatus.APPROVED)
    assert conflict.value.field == "status"
    assert tiers.tier_of(SUBJECT) is Tier.NONE


def test_outcomes_of_unknown_checks_or_another_provider_are_refused(kyc: Checks):
    check = kyc.start(RecordingProvider(), _request())
    assert check.provider_check_id is not None
    with pytest.raises(CheckNotFound):
        kyc.record_outcome("other_provider", check.provider_check_id, CheckStatus.APPROVED)
    with pytest.raises(CheckNotFound) as missing:
        kyc.record_outcome("sandbox_kyc", "prv_missing", CheckStatus.APPROVED)
    assert missing.value.field == "provider_check_id"
    with pytest.raises(InvalidCheck):
        kyc.record_outcome("sandbox_kyc", check.provider_check_id, CheckStatus.PENDING)


def test_a_provider_refusal_is_recorded_as_failed(kyc: Checks, engine: Engine):
    with pytest.raises(ConnectionError):
        kyc.start(RecordingProvider(refuse=True), _request())
    with engine.connect() as connection:
        status, reasons = connection.execute(select(checks.c.status, checks.c.reasons)).one()
    assert (status, reasons) == ("failed", "ConnectionError")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"tier": Tier.NONE}, "tier"),
        ({"subject_id": ""}, "subject_id"),
        ({"full_name": "  "}, "full_name"),
        ({"country": "gbr"}, "country"),
        ({"document_number": None}, "document_number"),  # a full check needs one
        ({"document_number": "X" * 65}, "document_number"),
    ],
)
def test_bad_requests_are_refused_naming_the_field(changes: dict[str, object], field: str):
    with pytest.raises(InvalidCheck) as refused:
        _request(**changes)  # type: ignore[arg-type]
    assert refused.value.field == field
