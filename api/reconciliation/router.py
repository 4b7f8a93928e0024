"""`/v1/reconciliation/{date}`: a day's ledger matched against the rails' records, every break listed.

Thin routes over `api.reconciliation.service`. Operator scopes only: `reconciliation:read` to read a run,
`reconciliation:write` to run a day (with an `Idempotency-Key`). A date is a UTC day, YYYY-MM-DD, not in
the future (422 naming `date`). What a break is and how a run is made: docs/reconciliation.md.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Annotated, Any, Final

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.responses import Response

from api.auth import KEY_RESPONSES
from api.deps import IdempotencyDep, ReconciliationReader, ReconciliationWriter, SessionDep
from api.errors import problem_doc
from api.idempotency.route import idempotent_posts
from api.pagination import DEFAULT_LIMIT, LIST_RESPONSES, CursorQuery, LimitQuery
from api.reconciliation import schemas, service
from api.reconciliation.daily import reconciling_daily
from api.reconciliation.sources import statement_sources


@asynccontextmanager
async def reconciliation_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build the reconciled rails' statement sources from their settings (`api.reconciliation.sources`: a
    rail not configured stops the start), then run the daily loop while the app serves
    (`api.reconciliation.daily`)."""
    settings = app.state.settings
    app.state.reconciliation_sources = statement_sources(settings, app.state.engine)
    interval = settings.reconciliation_interval_seconds
    async with reconciling_daily(app.state.engine, app.state.reconciliation_sources, interval):
        yield


router = APIRouter(prefix="/v1/reconciliation", tags=["reconciliation"], lifespan=reconciliation_lifespan)

DatePath = Annotated[str, Path(max_length=10, description="The day (UTC), YYYY-MM-DD; not in the future.")]
RunQuery = Annotated[int | None, Query(ge=1, description="The run's number; absent: the day's latest run.")]
AUTH_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    **KEY_RESPONSES,
    422: problem_doc("The date is not a calendar date, or is in the future; `errors` names `date`."),
}
_post = idempotent_posts(router, AUTH_RESPONSES)


@router.get(
    "/{date}",
    summary="A day's reconciliation run and its breaks",
    responses={
        **AUTH_RESPONSES,
        **LIST_RESPONSES,
        404: problem_doc("No run of this day (or of this number) yet: POST one."),
    },
)
async def read_run(
    date: DatePath,
    _client: ReconciliationReader,
    session: SessionDep,
    run: RunQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> schemas.RunOut:
    """Scope `reconciliation:read`. The run's status (`incomplete` names the rails not reconciled), each
    rail's state, and a page of its breaks in a fixed order; pass `breaks.next_cursor` as `cursor` while
    `breaks.has_more` (the cursor stays on the run it started with)."""
    return await service.read_run(session, date, run, cursor, limit)


@_post("/{date}/runs", schemas.RunOut, "Reconcile a day now", status_code=HTTPStatus.CREATED)
async def create_run(
    date: DatePath,
    request: Request,
    _client: ReconciliationWriter,
    idempotency: IdempotencyDep,
    session: SessionDep,
) -> Response:
    """Scope `reconciliation:write`. Reads each configured rail's record of the day, matches it against the
    ledger and stores a new run (the day's next number) with its breaks; a rail whose record cannot be read
    makes it `incomplete`. Earlier runs stay as they were."""
    sources = request.app.state.reconciliation_sources
    return await idempotency.run(
        lambda progress: service.run_day(session, date, sources, progress),
        body=None,
        status_code=HTTPStatus.CREATED,
    )
