"""`/v1/monitoring`: the monitoring's alerts, for operators. Reads need an API key with `monitoring:read`,
decisions `monitoring:write`; every POST an `Idempotency-Key`. Releasing voids the alert's ledger holds (the
customer's or merchant's available balance comes back exactly) and confirming keeps them; either is written
to the monitoring's hash-chained audit log with the operator's key and reason. docs/risk.md, "Monitoring".
"""

from contextlib import AbstractAsyncContextManager
from http import HTTPStatus
from typing import Annotated, Any, Final

from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.auth import KEY_RESPONSES
from api.deps import IdempotencyDep, MonitoringReader, MonitoringWriter, SessionDep
from api.errors import problem_doc
from api.idempotency.progress import Progress
from api.idempotency.route import idempotent_posts
from api.monitoring import service
from api.monitoring.schemas import ALERT_ID_PATTERN, AlertOut, DecisionIn
from api.pagination import DEFAULT_LIMIT, LIST_RESPONSES, CursorQuery, LimitQuery, Page
from risk.monitoring.alerts import AlertStatus


def monitoring_lifespan(app: FastAPI) -> AbstractAsyncContextManager[None]:
    """The monitoring's rounds while the app serves (`service.monitoring`)."""
    return service.monitoring(app.state)


router = APIRouter(prefix="/v1/monitoring", tags=["monitoring"], lifespan=monitoring_lifespan)

AUTH: Final[dict[int | str, dict[str, Any]]] = {
    **KEY_RESPONSES,
    422: problem_doc("The request is invalid; `errors` names each bad field."),
}
NOT_FOUND: Final[dict[int | str, dict[str, Any]]] = {404: problem_doc("No alert of this id.")}
DECIDED: Final[dict[int | str, dict[str, Any]]] = {
    409: problem_doc(
        "The alert was decided the other way already (`alert-decided`), or the Idempotency-Key was used "
        "for another request."
    )
}
_post = idempotent_posts(router, {**AUTH, **NOT_FOUND, **DECIDED})

AlertIdPath = Annotated[str, Path(pattern=ALERT_ID_PATTERN, description="The alert's id (`mal_...`).")]
StatusQuery = Annotated[
    AlertStatus | None, Query(description="Only alerts in this state (`open`: the review queue).")
]


@router.get(
    "/alerts", summary="List the monitoring's alerts, newest first", responses={**AUTH, **LIST_RESPONSES}
)
def list_alerts(
    _client: MonitoringReader,
    session: SessionDep,
    status: StatusQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[AlertOut]:
    """Scope `monitoring:read`."""
    return service.list_alerts(session, status, limit, cursor)


@router.get("/alerts/{alert_id}", summary="Read an alert", responses={**AUTH, **NOT_FOUND})
def read_alert(alert_id: AlertIdPath, _client: MonitoringReader, session: SessionDep) -> AlertOut:
    """Scope `monitoring:read`."""
    return service.read_alert(session, alert_id)


async def _decide(
    request: Request,
    alert_id: str,
    body: DecisionIn,
    actor: str,
    idempotency: IdempotencyDep,
    session: SessionDep,
    *,
    approve: bool,
) -> Response:
    now = service.app_clock(request.app.state)()

    async def work(progress: Progress) -> AlertOut:
        record = progress.finish(lambda view: view)
        return await run_in_threadpool(
            lambda: service.decide(
                session, alert_id, approve=approve, actor=actor, reason=body.reason, now=now, record=record
            )
        )

    return await idempotency.run(work, body=body, status_code=HTTPStatus.OK)


@_post("/alerts/{alert_id}/release", AlertOut, "Release an alert's freeze (the review approved)")
async def release_alert(
    request: Request,
    alert_id: AlertIdPath,
    body: DecisionIn,
    client: MonitoringWriter,
    idempotency: IdempotencyDep,
    session: SessionDep,
) -> Response:
    """Scope `monitoring:write`. Voids every ledger hold of the freeze; a release of a released alert
    answers it unchanged; of a confirmed one, 409."""
    return await _decide(request, alert_id, body, client.actor, idempotency, session, approve=True)


@_post("/alerts/{alert_id}/confirm", AlertOut, "Confirm an alert: the freeze stays (the review rejected)")
async def confirm_alert(
    request: Request,
    alert_id: AlertIdPath,
    body: DecisionIn,
    client: MonitoringWriter,
    idempotency: IdempotencyDep,
    session: SessionDep,
) -> Response:
    """Scope `monitoring:write`. The holds stay in place for escalation; the alert leaves the queue."""
    return await _decide(request, alert_id, body, client.actor, idempotency, session, approve=False)
