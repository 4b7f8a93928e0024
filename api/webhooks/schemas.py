"""The bodies of the webhook routes: endpoints, events and deliveries of one tenant.

Every route acts for the calling merchant in its key's mode (`api.deps.merchant_tenant`): a sandbox key sees
and makes sandbox endpoints and events only, and an object of another merchant or mode answers 404 as if it
did not exist. Times are unix seconds.
"""

from typing import Any, Literal

from pydantic import Field

from api.pagination import Page
from api.schemas import ApiModel
from payments.webhooks.deliveries import DeliveryStatus
from payments.webhooks.endpoints import DEFAULT_OVERLAP_SECONDS, MAX_EVENT_TYPES, MAX_OVERLAP_SECONDS
from payments.webhooks.urls import MAX_URL_LENGTH


class EndpointCreate(ApiModel):
    """A new endpoint: where to POST events, and which."""

    url: str = Field(max_length=MAX_URL_LENGTH)
    """https:// to a public address; http:// to a loopback receiver only for a sandbox key's endpoint on a
    dev server. Private, link-local and other internal addresses are refused."""
    enabled_events: list[str] = Field(min_length=1, max_length=MAX_EVENT_TYPES)
    """Event types like `payment_intent.succeeded`, or `["*"]` for every type."""


class SecretRotation(ApiModel):
    """A new signing secret; the current ones keep signing for `overlap_seconds`."""

    overlap_seconds: int = Field(default=DEFAULT_OVERLAP_SECONDS, ge=0, le=MAX_OVERLAP_SECONDS)
    """How long the current secrets stay valid beside the new one (0: they stop now)."""


class EndpointOut(ApiModel):
    """A webhook endpoint."""

    id: str
    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    merchant_id: str
    livemode: bool
    url: str
    enabled_events: list[str]
    created: int
    secret: str | None = None
    """The new signing secret (`whsec_...`): only in the answer that made it (creation, rotation), never in a
    read nor in the replay of an Idempotency-Key; store it then."""


class EndpointDeleted(ApiModel):
    """A deleted endpoint: nothing more is sent to it; its pending deliveries are canceled."""

    id: str
    object: Literal["webhook_endpoint"] = "webhook_endpoint"
    deleted: Literal[True] = True


class EventOut(ApiModel):
    """An event, as its deliveries send it."""

    id: str
    object: Literal["event"] = "event"
    type: str
    livemode: bool
    created: int
    data: dict[str, Any]


class DeliveryOut(ApiModel):
    """One event's delivery to one endpoint."""

    id: str
    object: Literal["webhook_delivery"] = "webhook_delivery"
    event_id: str
    endpoint_id: str
    status: DeliveryStatus
    """`pending` (being tried), `succeeded` (a 2xx), `dead` (gave up: redeliver it), `canceled` (endpoint
    deleted)."""
    attempts: int
    """Attempts made since it was created or last redelivered."""
    next_attempt_at: int | None
    """When a pending delivery is tried next."""
    last_status_code: int | None
    last_error: str | None
    created: int
    delivered_at: int | None


class DeliveryPage(Page[DeliveryOut]):
    """A page of deliveries, oldest first (`api.pagination`)."""
