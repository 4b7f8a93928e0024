"""The webhook routes' work on `payments.webhooks`, and its failures as problem documents.

Each write runs in the request's session and commits once, with the hook the route gives it (`record`,
`Progress.finish`) called just before the commit: the change and the POST's stored answer commit together.
A new signing secret is returned beside the answer, never inside what is stored (the route adds it to the
first answer only).
"""

import json
from collections.abc import Callable
from typing import Final

from sqlalchemy.orm import Session

from api.errors import ApiError, NotFound
from api.pagination import Listing, Page, key_part
from api.webhooks.schemas import (
    DeliveryOut,
    DeliveryPage,
    EndpointCreate,
    EndpointDeleted,
    EndpointOut,
    EventOut,
    SecretRotation,
)
from payments.merchants.tenant import Tenant
from payments.webhooks import deliveries, endpoints
from payments.webhooks.deliveries import Delivery, DeliveryNotFound, NotRedeliverable
from payments.webhooks.endpoints import Endpoint, EndpointNotFound, InvalidEndpoint
from payments.webhooks.ids import now_ms
from payments.webhooks.outbox import get_event
from payments.webhooks.sealing import SecretBox

DELIVERIES = Listing("webhook-deliveries", (int, str))
Record = Callable[[EndpointOut], None]


class WebhooksUnavailable(ApiError, status=503, problem="webhooks-unavailable", title="Webhooks unavailable"):
    """The server has no webhook sealing key (no file at its webhook_key_path)."""


class WebhookEndpointNotFound(NotFound, problem="webhook-endpoint-not-found", title="Endpoint not found"):
    """No live endpoint of this id for this merchant and mode."""


class EventNotFound(NotFound, problem="event-not-found", title="Event not found"):
    """No event of this id for this merchant and mode."""


class DeliveryNotFoundError(NotFound, problem="webhook-delivery-not-found", title="Delivery not found"):
    """No delivery of this id for this merchant and mode."""


class InvalidWebhookEndpoint(
    ApiError, status=422, problem="invalid-webhook-endpoint", title="Invalid endpoint"
):
    """A URL or event type the rules refuse; `errors` names the field."""


class DeliveryNotRedeliverable(ApiError, status=409, problem="not-redeliverable", title="Cannot redeliver"):
    """The delivery's endpoint was deleted."""


ENDPOINT_FIELDS: Final = ("id", "merchant_id", "livemode", "url", "enabled_events")
"""What an endpoint's answer shows as `payments.webhooks.endpoints.Endpoint` holds it."""
DELIVERY_FIELDS: Final = (
    "id",
    "event_id",
    "endpoint_id",
    "status",
    "attempts",
    "last_status_code",
    "last_error",
)
"""What a delivery's answer shows as `payments.webhooks.deliveries.Delivery` holds it."""


def _seconds(ms: int | None) -> int | None:
    return None if ms is None else ms // 1000


def _endpoint_view(endpoint: Endpoint) -> EndpointOut:
    shown = {name: getattr(endpoint, name) for name in ENDPOINT_FIELDS}
    return EndpointOut(**shown, created=endpoint.created_at // 1000)


def _delivery_view(delivery: Delivery) -> DeliveryOut:
    pending = delivery.status == "pending"
    return DeliveryOut(
        **{name: getattr(delivery, name) for name in DELIVERY_FIELDS},
        next_attempt_at=_seconds(delivery.next_attempt_at) if pending else None,
        created=delivery.created_at // 1000,
        delivered_at=_seconds(delivery.delivered_at),
    )


def _endpoint(session: Session, tenant: Tenant, endpoint_id: str) -> Endpoint:
    try:
        return endpoints.get(session, tenant.merchant_id, tenant.livemode, endpoint_id)
    except EndpointNotFound:
        mode = "live" if tenant.livemode else "sandbox"
        raise WebhookEndpointNotFound(
            f"{tenant.merchant_id} has no {mode} webhook endpoint {endpoint_id}", endpoint_id=endpoint_id
        ) from None


def _invalid(error: InvalidEndpoint) -> InvalidWebhookEndpoint:
    return InvalidWebhookEndpoint(
        f"invalid value for: {error.field} ({error})", errors=[{"field": error.field, "message": str(error)}]
    )


def create_endpoint(
    session: Session, box: SecretBox, tenant: Tenant, body: EndpointCreate, *, dev: bool, record: Record
) -> tuple[EndpointOut, str]:
    """A new endpoint and its signing secret. `dev`: the server runs in dev (loopback sandbox receivers)."""
    try:
        endpoint, secret = endpoints.create(
            session,
            box,
            merchant_id=tenant.merchant_id,
            livemode=tenant.livemode,
            url=body.url,
            enabled_events=body.enabled_events,
            allow_loopback=dev and not tenant.livemode,
            now=now_ms(),
        )
    except InvalidEndpoint as error:
        raise _invalid(error) from None
    view = _endpoint_view(endpoint)
    record(view)
    session.commit()
    return view, secret


def read_endpoint(session: Session, tenant: Tenant, endpoint_id: str) -> EndpointOut:
    """The tenant's live endpoint."""
    return _endpoint_view(_endpoint(session, tenant, endpoint_id))


def rotate_secret(
    session: Session,
    box: SecretBox,
    tenant: Tenant,
    endpoint_id: str,
    body: SecretRotation,
    *,
    record: Record,
) -> tuple[EndpointOut, str]:
    """A new signing secret for the tenant's endpoint; the current ones sign on for the overlap."""
    endpoint = _endpoint(session, tenant, endpoint_id)
    secret = endpoints.rotate_secret(
        session, box, endpoint, now=now_ms(), overlap_seconds=body.overlap_seconds
    )
    view = _endpoint_view(endpoint)
    record(view)
    session.commit()
    return view, secret


def delete_endpoint(session: Session, tenant: Tenant, endpoint_id: str) -> EndpointDeleted:
    """Delete the tenant's endpoint and cancel its pending deliveries."""
    endpoints.delete(session, _endpoint(session, tenant, endpoint_id), now=now_ms())
    session.commit()
    return EndpointDeleted(id=endpoint_id)


def read_event(session: Session, tenant: Tenant, event_id: str) -> EventOut:
    """The tenant's event, with the data its deliveries carry."""
    event = get_event(session, tenant.merchant_id, tenant.livemode, event_id)
    if event is None:
        raise EventNotFound(f"{tenant.merchant_id} has no such event {event_id}", event_id=event_id)
    sent = json.loads(event.body)
    return EventOut(
        id=event.id, type=event.type, livemode=event.livemode, created=sent["created"], data=sent["data"]
    )


def list_deliveries(
    session: Session, tenant: Tenant, status: str | None, cursor: str | None, limit: int
) -> DeliveryPage:
    """A page of the tenant's deliveries (of `status` if given), oldest first."""
    filters = {**tenant.values(), "status": status}
    after = DELIVERIES.decode(cursor, filters)
    position = None if after is None else (key_part(after, 0, int), key_part(after, 1, str))
    found = deliveries.page(
        session, tenant.merchant_id, tenant.livemode, status=status, after=position, limit=limit + 1
    )
    page: Page[Delivery] = DELIVERIES.page(
        found, limit, lambda delivery: (delivery.created_at, delivery.id), cursor=cursor, filters=filters
    )
    return DeliveryPage(
        data=[_delivery_view(d) for d in page.data], has_more=page.has_more, next_cursor=page.next_cursor
    )


def redeliver(
    session: Session, tenant: Tenant, delivery_id: str, *, record: Callable[[DeliveryOut], None]
) -> DeliveryOut:
    """Make the tenant's dead (or succeeded) delivery due now, with a fresh attempt budget."""
    try:
        delivery = deliveries.redeliver(
            session, tenant.merchant_id, tenant.livemode, delivery_id, now=now_ms()
        )
    except DeliveryNotFound:
        raise DeliveryNotFoundError(
            f"{tenant.merchant_id} has no such delivery {delivery_id}", delivery_id=delivery_id
        ) from None
    except NotRedeliverable as error:
        raise DeliveryNotRedeliverable(str(error), delivery_id=delivery_id) from None
    view = _delivery_view(delivery)
    record(view)
    session.commit()
    return view
