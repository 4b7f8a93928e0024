"""`/v1/risk/decisions`: the risk engine's decisions for operators. Reads need `risk:read`; evaluating facts
against the rules in force (nothing enforced, stored `enforced: false`) needs `risk:evaluate` and an
`Idempotency-Key`. The engine itself is built with the app (`api.risk.runtime.risk_lifespan`)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Annotated, Any, Final

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from api.auth import KEY_RESPONSES
from api.deps import IdempotencyDep, RiskEvaluator, RiskReader
from api.errors import problem_doc
from api.idempotency.route import idempotent_posts
from api.pagination import DEFAULT_LIMIT, LIST_RESPONSES, CursorQuery, LimitQuery
from api.risk import schemas, service
from api.risk.runtime import build_gate, resolutions


@asynccontextmanager
async def risk_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build the risk gate and the case resolutions once the database is open (`api.risk.runtime`)."""
    if getattr(app.state, "risk_gate", None) is None:
        app.state.risk_gate = build_gate(app.state)
    app.state.case_resolutions = resolutions(app.state)
    yield


router = APIRouter(tags=["risk"], lifespan=risk_lifespan)

DecisionIdPath = Annotated[str, Path(pattern=r"^rd_[0-9a-f]{24}$", description="The decision's id.")]
RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    **KEY_RESPONSES,
    422: problem_doc("The request is invalid; `errors` names each bad field."),
}


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


@router.get(
    "/v1/risk/decisions", summary="The risk engine's decisions", responses={**RESPONSES, **LIST_RESPONSES}
)
async def list_decisions(
    request: Request,
    _: RiskReader,
    subject_id: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    reference: Annotated[str | None, Query(min_length=1, max_length=80)] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> schemas.DecisionPage:
    """Scope `risk:read`. Newest first; filtered by `subject_id` (a customer), `reference` (an intent)."""
    return await run_in_threadpool(service.listing, _engine(request), subject_id, reference, cursor, limit)


@router.get(
    "/v1/risk/decisions/{decision_id}",
    summary="A risk decision",
    responses={**RESPONSES, 404: problem_doc("No decision of this id.")},
)
async def get_decision(request: Request, decision_id: DecisionIdPath, _: RiskReader) -> schemas.DecisionOut:
    """Scope `risk:read`."""
    return await run_in_threadpool(service.get, _engine(request), decision_id)


_post = idempotent_posts(
    router, {**RESPONSES, 503: problem_doc("The risk engine is not running (its rule file did not load).")}
)


@_post(
    "/v1/risk/decisions",
    schemas.DecisionOut,
    "Evaluate facts against the rules, enforcing nothing",
    status_code=HTTPStatus.CREATED,
)
async def evaluate(
    request: Request,
    body: schemas.EvaluationIn,
    client: RiskEvaluator,
    idempotency: IdempotencyDep,
) -> Response:
    """Scope `risk:evaluate`. The decision the rules in force make on these facts (the engine's current
    velocity windows read, none moved), stored with `enforced: false`: for testing a rule edit."""
    gate = getattr(request.app.state, "risk_gate", None)
    return await idempotency.committed(
        lambda connection: service.evaluate(connection, gate, client, body),
        body=body,
        status_code=HTTPStatus.CREATED,
    )
