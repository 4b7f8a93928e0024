"""The KYC routes' work on `risk.kyc`, and its refusals as problem documents.

Starting a check screens the customer's name first (`risk.screening`, trigger `onboarding`): a blocked
subject is refused, one waiting for a sanctions reviewer is held (409) until the reviewer clears it, and
only a clear one is sent to the provider. The provider's result arrives at `/v1/rails/kyc/events`; an approval
raises the tier in the transaction that records it (`Checks.record_outcome`), a rejection is recorded
with its reasons, a manual review waits in the operators' queue (`Reviews`). Every function blocks on the
database: the routes run them on a worker thread, outside the request's session (each domain call
commits on its own).
"""

import time
from typing import Final

from sqlalchemy import Engine

from api.errors import ApiError, InvalidRequest, NotFound
from api.idempotency.progress import Progress, committed
from api.kyc import schemas
from api.kyc.runtime import KycProvider, KycUnavailable
from api.screening.runtime import ScreeningRuntime
from api.screening.service import screen
from payments.rails.kyc.client import KycProviderUnavailable
from payments.rails.kyc.events import parse_result
from risk.kyc import errors
from risk.kyc.assignments import Tiers
from risk.kyc.checks import Check, CheckRequest, Checks
from risk.kyc.reviews import ReviewDecision, Reviews
from risk.kyc.tiers import Tier
from risk.screening.model import ItemKind, Standing, Trigger


class CheckNotFound(NotFound, problem="kyc-check-not-found", title="KYC check not found"):
    """No check has this id, or it is another customer's (a customer learns nothing of the others')."""


class ScreeningHold(ApiError, status=409, problem="kyc-screening-hold", title="Held for compliance review"):
    """The customer's name is waiting for a sanctions reviewer: the check can start once it is cleared."""


class ScreeningRefused(ApiError, status=403, problem="kyc-screening-refused", title="KYC refused"):
    """The customer's name is a confirmed sanctions match: no check is started."""


class CheckConflict(ApiError, status=409, problem="kyc-check-conflict", title="KYC check conflict"):
    """The check is not in a state that takes this (a decision on a check not in review; a provider's
    result for a check we have not finished recording: it delivers it again)."""


class InvalidResult(ApiError, status=422, problem="kyc-result-invalid", title="Invalid KYC result"):
    """The signed body is not a result this provider reports about one of our checks."""


_PROBLEMS: Final[dict[type[errors.KycError], type[ApiError]]] = {
    errors.CheckNotFound: CheckNotFound,
    errors.OutcomeConflict: CheckConflict,
}


CHECK_RECORDED: Final = "check_recorded"
"""The start's recovery point: the pending check is stored (`data`: its id), not yet known to the provider."""


def millis() -> int:
    return int(time.time() * 1000)


def problem(error: errors.KycError) -> ApiError:
    named = [{"field": error.field, "message": error.detail}] if error.field else None
    return _PROBLEMS.get(type(error), InvalidRequest)(error.detail, errors=named)


def view(check: Check) -> schemas.CheckOut:
    return schemas.CheckOut(
        id=check.id,
        subject_id=check.subject_id,
        provider=check.provider,
        tier=check.tier,
        status=check.status,
        reasons=check.reasons,
        created_at=check.created_at,
        completed_at=check.completed_at,
    )


def start_check(
    engine: Engine,
    screening: ScreeningRuntime,
    provider: KycProvider,
    subject_id: str,
    body: schemas.CheckIn,
    progress: Progress,
) -> schemas.CheckOut:
    """Start a check under the request's Idempotency-Key, in Stripe's atomic phases: the pending check is
    recorded with the key's recovery point (`check_recorded`) before the provider is asked, and the
    provider's id is stored with the answer in one transaction. A request cut short anywhere is finished by
    its retry with the same key: it resumes from the recorded check and submits the same reference, which
    the provider answers with its first check, so the provider never runs a second one. A provider that
    does not answer leaves the check pending and the key resumable (503)."""
    try:
        request = CheckRequest(
            subject_id=subject_id,
            tier=Tier(body.tier),
            full_name=body.full_name,
            date_of_birth=body.date_of_birth,
            country=body.country,
            document_number=body.document_number,
            document_expires_on=body.document_expires_on,
        )
    except errors.KycError as error:
        raise problem(error) from None
    screened = screen(screening.screener(), subject_id, ItemKind.NAME, body.full_name, Trigger.ONBOARDING)
    if screened.standing is Standing.BLOCKED:
        raise ScreeningRefused("this name is a confirmed sanctions match: no KYC check can be started")
    if screened.standing is Standing.PENDING_REVIEW:
        raise ScreeningHold("this name waits for a compliance review; try again once it is cleared")
    store = Checks(engine, clock=millis)
    session = progress.session
    if progress.point == CHECK_RECORDED:
        check_id = str(progress.data["check_id"])  # a retry after the check was recorded: the same check
    else:
        # The check and the key's recovery point commit together, before the provider is asked.
        check_id = store.record_pending(session.connection(), provider.client.name, request)
        progress.save(CHECK_RECORDED, check_id=check_id)
    try:
        # The provider keeps one check per reference (our check id): asked again, it starts nothing new.
        provider_check_id = provider.client.submit(check_id, request)
    except KycProviderUnavailable as error:
        raise KycUnavailable(str(error)) from None
    return committed(
        session,
        progress,
        lambda connection: view(store.note_submitted(connection, check_id, provider_check_id)),
    )


def overview(engine: Engine, subject_id: str) -> schemas.KycOut:
    return schemas.KycOut(
        subject_id=subject_id,
        tier=Tiers(engine, clock=millis).tier_of(subject_id),
        checks=[view(check) for check in Checks(engine, clock=millis).of_subject(subject_id)],
    )


def read_check(engine: Engine, check_id: str, subject_id: str | None) -> schemas.CheckOut:
    """A check; with `subject_id`, only that subject's (another's answers 404 as if it did not exist)."""
    try:
        check = Checks(engine, clock=millis).get(check_id)
    except errors.KycError as error:
        raise problem(error) from None
    if subject_id is not None and check.subject_id != subject_id:
        raise CheckNotFound(f"no check {check_id}")
    return view(check)


def record_result(engine: Engine, provider: KycProvider, body: bytes) -> schemas.EventAnswer:
    """Apply a verified result webhook to its check."""
    try:
        result = parse_result(body)
    except ValueError as error:
        field = getattr(error, "field", "body")
        raise InvalidResult(str(error), errors=[{"field": field, "message": str(error)}]) from None
    checks = Checks(engine, clock=millis)
    try:
        ours = checks.get(result.check_id)
    except errors.CheckNotFound:
        raise InvalidResult(
            "the result names no check of ours",
            errors=[{"field": "data.reference", "message": "unknown check"}],
        ) from None
    if ours.provider != provider.client.name:
        raise InvalidResult(
            "the check is another provider's",
            errors=[{"field": "data.reference", "message": "other provider"}],
        )
    if ours.provider_check_id is None:
        raise CheckConflict("the check's submission is still being recorded; deliver the result again")
    if ours.provider_check_id != result.provider_check_id:
        raise InvalidResult(
            "the result's check id is not the one the provider gave for this check",
            errors=[{"field": "data.id", "message": "does not match the check"}],
        )
    try:
        recorded = checks.record_outcome(
            provider.client.name, result.provider_check_id, result.status, result.reasons
        )
    except errors.KycError as error:
        raise problem(error) from None
    return schemas.EventAnswer(received=True, status=recorded.status.value)


def pending_reviews(engine: Engine, limit: int) -> schemas.CheckList:
    return schemas.CheckList(data=[view(check) for check in Reviews(engine, clock=millis).pending(limit)])


def decide_review(engine: Engine, check_id: str, body: schemas.ReviewIn, reviewer: str) -> schemas.CheckOut:
    try:
        decided = Reviews(engine, clock=millis).decide(
            check_id, ReviewDecision(body.decision), reviewer=reviewer, reason=body.reason
        )
    except errors.KycError as error:
        raise problem(error) from None
    return view(decided)
