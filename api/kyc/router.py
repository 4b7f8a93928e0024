"""`/v1/kyc`: know your customer. Thin routes over `api.kyc.service`.

A signed-in customer (a session access token, `CustomerSession`; never an API key) starts a check for a
tier (`light` or `full`) and reads its own checks and tier; another customer's check answers 404. The KYC
provider reports each result to `POST /v1/rails/kyc/events` signed with `TPW-Signature` (300 s tolerance, the
inbound replay store of the rails' webhooks, scope `kyc:<provider>`): no API key. Operators read every
check and the manual-review queue (`kyc:read`) and decide a check in review (`kyc:review`).
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Annotated, Any, Final

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.auth import KEY_RESPONSES
from api.deps import (
    CustomerIdempotency,
    CustomerSession,
    EngineDep,
    IdempotencyDep,
    KycProviderDep,
    KycReader,
    KycReviewer,
    ScreeningDep,
    SessionDep,
)
from api.errors import ApiError, problem_doc
from api.idempotency.route import idempotent_post
from api.kyc import schemas, service
from api.kyc.runtime import kyc_provider_from
from api.kyc.schemas import CHECK_ID_PATTERN
from payments.webhooks.replays import SqlReplayStore
from payments.webhooks.signing import HEADER, SignatureError, verify

log = logging.getLogger("api.kyc")
PREFIX: Final = "/v1/kyc"
MAX_EVENT_BYTES: Final = 64 * 1024
SESSION: Final[dict[int | str, dict[str, Any]]] = {
    401: problem_doc("No valid session access token (`WWW-Authenticate: Bearer`)."),
    422: problem_doc("The request is invalid; `errors` names each bad field."),
}
OPERATOR: Final[dict[int | str, dict[str, Any]]] = {
    **KEY_RESPONSES,
    422: problem_doc("The request is invalid; `errors` names each bad field."),
}
NOT_FOUND: Final[dict[int | str, dict[str, Any]]] = {404: problem_doc("No such check (or another's).")}
CheckIdPath = Annotated[str, Path(pattern=CHECK_ID_PATTERN, description="A KYC check's id.")]


class SignatureRefused(ApiError, status=400, problem="kyc-signature-refused", title="Signature refused"):
    """The result's `TPW-Signature` is missing, malformed, wrong, stale or replayed."""


@asynccontextmanager
async def kyc_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The KYC provider the settings name, for the app's life (`app.state.kyc_provider`)."""
    provider = kyc_provider_from(app.state.settings)
    app.state.kyc_provider = provider
    if provider is not None:
        log.info("kyc provider ready", extra={"kyc_provider_url": provider.client.base_url})
    try:
        yield
    finally:
        if provider is not None:
            provider.client.close()


router = APIRouter(tags=["kyc"], lifespan=kyc_lifespan)


@idempotent_post(
    router,
    f"{PREFIX}/checks",
    schemas.CheckOut,
    "Start a KYC check for a tier (the customer's own)",
    {
        **SESSION,
        403: problem_doc("The name is a confirmed sanctions match."),
        409: problem_doc("The name waits for a compliance review, or the Idempotency-Key was reused."),
        503: problem_doc("No KYC provider is configured, or it did not take the check."),
    },
    HTTPStatus.CREATED,
)
async def start_check(
    body: schemas.CheckIn,
    principal: CustomerSession,
    idempotency: CustomerIdempotency,
    engine: EngineDep,
    screening: ScreeningDep,
    provider: KycProviderDep,
) -> Response:
    """A session access token. The name is screened against the sanctions list first; the provider's result
    arrives later (`status` moves from `pending`)."""
    return await idempotency.run(
        lambda progress: run_in_threadpool(
            service.start_check, engine, screening, provider, principal.subject_id, body, progress
        ),
        body=body,
        status_code=HTTPStatus.CREATED,
    )


@router.get(PREFIX, summary="The customer's KYC tier and checks", responses=SESSION)
async def overview(principal: CustomerSession, engine: EngineDep) -> schemas.KycOut:
    """A session access token."""
    return await run_in_threadpool(service.overview, engine, principal.subject_id)


@router.get(
    PREFIX + "/checks/{check_id}",
    summary="Read one of the customer's checks",
    responses={**SESSION, **NOT_FOUND},
)
async def read_own_check(
    check_id: CheckIdPath, principal: CustomerSession, engine: EngineDep
) -> schemas.CheckOut:
    """A session access token; another customer's check is 404."""
    return await run_in_threadpool(service.read_check, engine, check_id, principal.subject_id)


@router.post(
    "/v1/rails/kyc/events",
    summary="Receive the KYC provider's signed result (the provider calls this)",
    responses={
        400: problem_doc("The signature is missing, malformed, wrong, stale or replayed."),
        409: problem_doc("The check cannot take the result (yet, or it contradicts a final one)."),
        422: problem_doc("The signed body is not a result about one of our checks."),
        503: problem_doc("No KYC provider is configured."),
    },
)
async def provider_event(
    request: Request, session: SessionDep, engine: EngineDep, provider: KycProviderDep
) -> schemas.EventAnswer:
    """No API key: the provider's `TPW-Signature` authenticates the body, checked on its exact bytes before
    it is parsed. The accepted signature is committed first, so a replay is refused even while the first
    delivery runs; the provider signs each retry afresh."""
    body = await request.body()
    if len(body) > MAX_EVENT_BYTES:
        raise service.InvalidResult(
            "the body is larger than 64 KiB", errors=[{"field": "body", "message": "too large"}]
        )

    def check() -> None:
        scope = f"kyc:{provider.client.name}"
        try:
            verify(
                request.headers.get(HEADER), body, [provider.secret], replays=SqlReplayStore(session, scope)
            )
        except SignatureError as error:
            session.rollback()
            raise SignatureRefused(str(error), errors=[{"field": HEADER, "message": str(error)}]) from None
        session.commit()

    await run_in_threadpool(check)
    return await run_in_threadpool(service.record_result, engine, provider, body)


@router.get(
    f"{PREFIX}/reviews", summary="Checks the provider sent to manual review, oldest first", responses=OPERATOR
)
async def pending_reviews(
    _: KycReader, engine: EngineDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> schemas.CheckList:
    """Scope `kyc:read`."""
    return await run_in_threadpool(service.pending_reviews, engine, limit)


@router.get(
    PREFIX + "/operator/checks/{check_id}",
    summary="Read any customer's check",
    responses={**OPERATOR, **NOT_FOUND},
)
async def read_check(check_id: CheckIdPath, _: KycReader, engine: EngineDep) -> schemas.CheckOut:
    """Scope `kyc:read`."""
    return await run_in_threadpool(service.read_check, engine, check_id, None)


@idempotent_post(
    router,
    PREFIX + "/checks/{check_id}/review",
    schemas.CheckOut,
    "Decide a check in manual review: approved (the tier is raised) or rejected",
    {
        **OPERATOR,
        **NOT_FOUND,
        409: problem_doc("The check is not in review, or the Idempotency-Key was reused."),
    },
    HTTPStatus.OK,
)
async def decide_review(
    check_id: CheckIdPath,
    body: schemas.ReviewIn,
    client: KycReviewer,
    idempotency: IdempotencyDep,
    engine: EngineDep,
) -> Response:
    """Scope `kyc:review`. The calling key is recorded as the reviewer (the decision and the tier change)."""
    reviewer = f"key:{client.key_id}"
    return await idempotency.run(
        lambda _: run_in_threadpool(service.decide_review, engine, check_id, body, reviewer),
        body=body,
        status_code=HTTPStatus.OK,
    )
