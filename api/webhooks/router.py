"""`/v1/webhook-endpoints`, `/v1/events`, `/v1/webhook-deliveries`: the calling merchant's webhooks.

Thin routes over `api.webhooks.service`. Every route needs a merchant's API key, with `webhooks:read` for
reads and `webhooks:write` for writes, and acts for that key's merchant in that key's mode
(`api.deps.merchant_tenant`); every POST needs an `Idempotency-Key`. Events are made by the payment flows
(`payments.webhooks.outbox`) and sent by the worker (`python -m payments.webhooks.worker`), not by these
routes.

A new signing secret is in the first answer only: it is added after the answer is stored under the
Idempotency-Key, so the store never holds it and a replay answers `secret: null`.
"""

import json
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Annotated, Any, Final

from fastapi import APIRouter, FastAPI, Path, Query
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from api.auth import KEY_RESPONSES
from api.deps import (
    IdempotencyDep,
    SessionDep,
    SettingsDep,
    WebhookBoxDep,
    WebhookTenantReader,
    WebhookTenantWriter,
)
from api.errors import problem_doc
from api.idempotency.progress import Progress
from api.idempotency.route import Idempotency, idempotent_post
from api.pagination import DEFAULT_LIMIT, LIST_RESPONSES, CursorQuery, LimitQuery
from api.settings import ApiSettings
from api.webhooks import schemas, service
from payments.webhooks.deliveries import DeliveryStatus
from payments.webhooks.sealing import SealingError, SecretBox

log = logging.getLogger("api.webhooks")
ID_PATTERN: Final = r"^[a-z]{2,3}_[0-9a-f]{24}$"


@asynccontextmanager
async def webhooks_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the sealing key for the app's life (`app.state.webhook_box`); a malformed file stops the start."""
    settings: ApiSettings = app.state.settings
    path = settings.webhook_key_path
    box: SecretBox | None = None
    if path.exists():
        try:
            box = SecretBox.from_file(path)
        except SealingError as error:
            raise RuntimeError(str(error)) from None
    else:
        log.warning("webhooks: no sealing key, endpoints cannot be created", extra={"path": str(path)})
    app.state.webhook_box = box
    try:
        yield
    finally:
        app.state.webhook_box = None


router = APIRouter(prefix="/v1", tags=["webhooks"], lifespan=webhooks_lifespan)

EndpointIdPath = Annotated[str, Path(pattern=ID_PATTERN, description="The endpoint's id (`we_...`).")]
EventIdPath = Annotated[str, Path(pattern=ID_PATTERN, description="The event's id (`evt_...`).")]
DeliveryIdPath = Annotated[str, Path(pattern=ID_PATTERN, description="The delivery's id (`whd_...`).")]

AUTH: Final[dict[int | str, dict[str, Any]]] = {
    **KEY_RESPONSES,
    422: problem_doc("The request is invalid; `errors` names each bad field."),
}
SEALING: Final[dict[int | str, dict[str, Any]]] = {503: problem_doc("The server has no webhook sealing key.")}


def _not_found(what: str) -> dict[int | str, dict[str, Any]]:
    return {404: problem_doc(f"The calling merchant has no {what} of this id in this mode.")}


async def _showing_secret(
    idempotency: Idempotency,
    work: Callable[[Callable[[schemas.EndpointOut], None]], tuple[schemas.EndpointOut, str]],
    body: schemas.EndpointCreate | schemas.SecretRotation,
    status_code: int,
) -> Response:
    """`work` under the Idempotency-Key, its new secret added to the first answer only (not stored)."""
    shown: list[str] = []

    async def run(progress: Progress) -> schemas.EndpointOut:
        view, secret = await run_in_threadpool(work, progress.finish(lambda stored: stored))
        shown.append(secret)
        return view

    response = await idempotency.run(run, body=body, status_code=status_code)
    if not shown:
        return response
    return JSONResponse({**json.loads(bytes(response.body)), "secret": shown[0]}, status_code=status_code)


@idempotent_post(
    router,
    "/webhook-endpoints",
    schemas.EndpointOut,
    "Create a webhook endpoint (its signing secret is in this answer only)",
    {**AUTH, **SEALING},
    HTTPStatus.CREATED,
)
async def create_endpoint(
    body: schemas.EndpointCreate,
    tenant: WebhookTenantWriter,
    box: WebhookBoxDep,
    idempotency: IdempotencyDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Scope `webhooks:write`. Events of the enabled types are POSTed to `url`, signed with the secret."""
    dev = settings.environment == "dev"
    return await _showing_secret(
        idempotency,
        lambda record: service.create_endpoint(session, box, tenant, body, dev=dev, record=record),
        body,
        HTTPStatus.CREATED,
    )


@router.get(
    "/webhook-endpoints/{endpoint_id}",
    summary="Read a webhook endpoint",
    responses={**AUTH, **_not_found("endpoint")},
)
def read_endpoint(
    endpoint_id: EndpointIdPath, tenant: WebhookTenantReader, session: SessionDep
) -> schemas.EndpointOut:
    """Scope `webhooks:read`. Never shows a secret."""
    return service.read_endpoint(session, tenant, endpoint_id)


@idempotent_post(
    router,
    "/webhook-endpoints/{endpoint_id}/rotate-secret",
    schemas.EndpointOut,
    "Rotate an endpoint's signing secret (the new one is in this answer only)",
    {**AUTH, **SEALING, **_not_found("endpoint")},
    HTTPStatus.OK,
)
async def rotate_secret(
    endpoint_id: EndpointIdPath,
    body: schemas.SecretRotation,
    tenant: WebhookTenantWriter,
    box: WebhookBoxDep,
    idempotency: IdempotencyDep,
    session: SessionDep,
) -> Response:
    """Scope `webhooks:write`. Until `overlap_seconds` pass, deliveries carry one `v1=` per valid secret."""
    return await _showing_secret(
        idempotency,
        lambda record: service.rotate_secret(session, box, tenant, endpoint_id, body, record=record),
        body,
        HTTPStatus.OK,
    )


@router.delete(
    "/webhook-endpoints/{endpoint_id}",
    summary="Delete a webhook endpoint",
    responses={**AUTH, **_not_found("endpoint")},
)
def delete_endpoint(
    endpoint_id: EndpointIdPath, tenant: WebhookTenantWriter, session: SessionDep
) -> schemas.EndpointDeleted:
    """Scope `webhooks:write`. Its pending deliveries are canceled; its events and deliveries stay."""
    return service.delete_endpoint(session, tenant, endpoint_id)


@router.get("/events/{event_id}", summary="Read an event", responses={**AUTH, **_not_found("event")})
def read_event(event_id: EventIdPath, tenant: WebhookTenantReader, session: SessionDep) -> schemas.EventOut:
    """Scope `webhooks:read`. The event as its deliveries send it (receivers deduplicate by its `id`)."""
    return service.read_event(session, tenant, event_id)


@router.get(
    "/webhook-deliveries",
    summary="List deliveries, oldest first (`status=dead`: the dead-letter list)",
    responses={**AUTH, **LIST_RESPONSES},
)
def list_deliveries(
    tenant: WebhookTenantReader,
    session: SessionDep,
    status: Annotated[DeliveryStatus | None, Query(description="Only deliveries in this status.")] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> schemas.DeliveryPage:
    """Scope `webhooks:read`. Pages as every list does: pass `next_cursor` as `cursor` while `has_more`."""
    return service.list_deliveries(session, tenant, status, cursor, limit)


@idempotent_post(
    router,
    "/webhook-deliveries/{delivery_id}/redeliver",
    schemas.DeliveryOut,
    "Send a delivery again (a dead one, typically)",
    {
        **AUTH,
        **_not_found("delivery"),
        409: problem_doc("The endpoint was deleted, or the Idempotency-Key was used for another request."),
    },
    HTTPStatus.OK,
)
async def redeliver(
    delivery_id: DeliveryIdPath, tenant: WebhookTenantWriter, idempotency: IdempotencyDep, session: SessionDep
) -> Response:
    """Scope `webhooks:write`. Due now with a fresh attempt budget; the same event id and body are sent."""

    async def run(progress: Progress) -> schemas.DeliveryOut:
        record = progress.finish(lambda stored: stored)
        return await run_in_threadpool(service.redeliver, session, tenant, delivery_id, record=record)

    return await idempotency.run(run, body=None, status_code=HTTPStatus.OK)
