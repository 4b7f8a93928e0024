"""`/v1/cases`: the review queue. Reading needs `cases:read` (or `cases:review`); opening, claiming and
deciding need `cases:review` and an `Idempotency-Key`. Operators' API keys only: a merchant's key holds
neither scope. Every action is on the risk audit log; a case's report comes as JSON or plain text."""

from http import HTTPStatus
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.auth import KEY_RESPONSES, ApiClient
from api.cases import schemas, service
from api.deps import CasesReader, CasesReviewer, IdempotencyDep, SessionDep
from api.errors import problem_doc
from api.idempotency.route import Idempotency, idempotent_posts
from api.pagination import DEFAULT_LIMIT, LIST_RESPONSES, CursorQuery, LimitQuery
from api.risk.runtime import risk_clock
from risk.cases import CaseStatus, Resolutions, SubjectKind, report_text

router = APIRouter(tags=["cases"])

CaseIdPath = Annotated[str, Path(pattern=r"^case_[0-9a-f]{24}$", description="The case's id.")]
RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    **KEY_RESPONSES,
    422: problem_doc("The request is invalid; `errors` names each bad field."),
}
NOT_FOUND: Final[dict[int | str, dict[str, Any]]] = {404: problem_doc("No case of this id.")}


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _now(app: FastAPI) -> int:
    return risk_clock(app.state)()


@router.get("/v1/cases", summary="The review queue", responses={**RESPONSES, **LIST_RESPONSES})
async def list_cases(
    request: Request,
    _: CasesReader,
    status: CaseStatus | None = None,
    subject_kind: SubjectKind | None = None,
    subject_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> schemas.CasePage:
    """Scope `cases:read`. Oldest first; filter by `status` (`open` for the queue), subject kind and id."""
    return await run_in_threadpool(
        service.listing, _engine(request), status, subject_kind, subject_id, cursor, limit
    )


@router.get("/v1/cases/{case_id}", summary="A case", responses={**RESPONSES, **NOT_FOUND})
async def get_case(request: Request, case_id: CaseIdPath, _: CasesReader) -> schemas.CaseOut:
    """Scope `cases:read`."""
    return await run_in_threadpool(service.get, _engine(request), case_id)


@router.get(
    "/v1/cases/{case_id}/report",
    summary="A case's compliance report",
    responses={
        **RESPONSES,
        **NOT_FOUND,
        200: {"content": {"application/json": {}, "text/plain": {}}, "description": "The report."},
    },
)
async def get_report(
    request: Request,
    case_id: CaseIdPath,
    client: CasesReader,
    session: SessionDep,
    format: Literal["json", "text"] = "json",
) -> Response:
    """Scope `cases:read`. The case, its decision and its audit trail (records with their hashes); each
    export is recorded on the audit log with the report's SHA-256."""

    def work() -> dict[str, Any]:
        try:
            document = service.report(session.connection(), client, case_id, _now(request.app))
            session.commit()
        except BaseException:
            session.rollback()
            raise
        return document

    document = await run_in_threadpool(work)
    if format == "text":
        return PlainTextResponse(report_text(document))
    return JSONResponse(document)


_post = idempotent_posts(
    router,
    {
        **RESPONSES,
        **NOT_FOUND,
        409: problem_doc(
            "The case's status does not allow this (`case_status`), or the Idempotency-Key was used for "
            "another request."
        ),
    },
)


@_post("/v1/cases", schemas.CaseOut, "Open a case", status_code=HTTPStatus.CREATED)
async def open_case(
    request: Request,
    body: schemas.CaseCreate,
    client: CasesReviewer,
    idempotency: IdempotencyDep,
) -> Response:
    """Scope `cases:review`. A case on a subject (a monitor's finding, an operator's suspicion)."""
    now = _now(request.app)
    return await idempotency.committed(
        lambda connection: service.create(connection, client, body, now),
        body=body,
        status_code=HTTPStatus.CREATED,
    )


@_post("/v1/cases/{case_id}/claim", schemas.CaseOut, "Claim a case")
async def claim_case(
    request: Request,
    case_id: CaseIdPath,
    client: CasesReviewer,
    idempotency: IdempotencyDep,
) -> Response:
    """Scope `cases:review`. The caller holds the case; only it may decide it then."""
    now = _now(request.app)
    return await idempotency.committed(
        lambda connection: service.take(connection, client, case_id, now),
        body=None,
        status_code=HTTPStatus.OK,
    )


async def _decide(
    request: Request,
    case_id: str,
    body: schemas.CaseDecisionIn,
    client: ApiClient,
    idempotency: Idempotency,
    session: Session,
    *,
    approve: bool,
) -> Response:
    resolutions: Resolutions = request.app.state.case_resolutions
    now = _now(request.app)
    return await idempotency.run(
        lambda progress: run_in_threadpool(
            lambda: service.decide(
                session, progress, resolutions, client, case_id, body, approve=approve, now=now
            )
        ),
        body=body,
        status_code=HTTPStatus.OK,
    )


@_post("/v1/cases/{case_id}/approve", schemas.CaseOut, "Approve a case")
async def approve_case(
    request: Request,
    case_id: CaseIdPath,
    body: schemas.CaseDecisionIn,
    client: CasesReviewer,
    idempotency: IdempotencyDep,
    session: SessionDep,
) -> Response:
    """Scope `cases:review`. A payment intent held for review resumes at its rail."""
    return await _decide(request, case_id, body, client, idempotency, session, approve=True)


@_post("/v1/cases/{case_id}/reject", schemas.CaseOut, "Reject a case")
async def reject_case(
    request: Request,
    case_id: CaseIdPath,
    body: schemas.CaseDecisionIn,
    client: CasesReviewer,
    idempotency: IdempotencyDep,
    session: SessionDep,
) -> Response:
    """Scope `cases:review`. A payment intent held for review fails (`risk_review_rejected`)."""
    return await _decide(request, case_id, body, client, idempotency, session, approve=False)
