"""The transactional outbox: `emit` records an event and its deliveries in the caller's transaction.

Whatever changed a payment and the event announcing it commit together or not at all: a rolled-back change
leaves no event, and a committed one always has its event and one pending delivery per endpoint of the tenant
subscribed to its type at that moment. The worker (`worker`) sends them later, so no HTTP call ever happens
inside a business transaction.

The event's body is rendered once, here, as canonical JSON (`id`, `type`, `created` in unix seconds,
`livemode`, `data`), and every attempt and redelivery sends exactly those bytes. Delivery is at least once: a
receiver deduplicates by the event `id`.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from chain.files import canonical_json
from payments.webhooks.endpoints import endpoint_from_row, event_types
from payments.webhooks.ids import new_id, now_ms
from payments.webhooks.schema import deliveries, endpoints, events


@dataclass(frozen=True)
class Event:
    """An event as stored: its tenant, type, exact body and creation time (unix ms)."""

    id: str
    merchant_id: str
    livemode: bool
    type: str
    body: str
    created_at: int


def emit(
    session: Session | Connection,
    merchant_id: str,
    livemode: bool,
    event_type: str,
    payload: Mapping[str, Any],
    *,
    now: int | None = None,
) -> Event:
    """Record the event and its deliveries on `session`, in its open transaction; the caller commits.

    `session` may be a bare connection: a payment step writes its change on one (`payments.intents.context`),
    and its event must be written in that very transaction."""
    (event_type,) = event_types([event_type])
    created = now_ms() if now is None else now
    event_id = new_id("evt")
    body = canonical_json(
        {
            "id": event_id,
            "type": event_type,
            "created": created // 1000,
            "livemode": livemode,
            "data": dict(payload),
        },
        allow_nan=False,
    ).decode()
    event = Event(event_id, merchant_id, livemode, event_type, body, created)
    session.execute(
        insert(events).values(
            id=event_id,
            merchant_id=merchant_id,
            livemode=livemode,
            type=event_type,
            body=body,
            created_at=created,
        )
    )
    subscribed = [
        endpoint
        for endpoint in map(
            endpoint_from_row,
            session.execute(
                select(endpoints).where(
                    endpoints.c.merchant_id == merchant_id,
                    endpoints.c.livemode == livemode,
                    endpoints.c.deleted_at.is_(None),
                )
            ),
        )
        if endpoint.wants(event_type)
    ]
    if subscribed:
        session.execute(
            insert(deliveries),
            [
                {
                    "id": new_id("whd"),
                    "event_id": event_id,
                    "endpoint_id": endpoint.id,
                    "merchant_id": merchant_id,
                    "livemode": livemode,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": created,
                    "lease_token": None,
                    "lease_until": None,
                    "last_status_code": None,
                    "last_error": None,
                    "created_at": created,
                    "delivered_at": None,
                }
                for endpoint in subscribed
            ],
        )
    return event


def get_event(session: Session, merchant_id: str, livemode: bool, event_id: str) -> Event | None:
    """The tenant's event `event_id`, or None (also when it is another tenant's)."""
    row = session.execute(
        select(events).where(
            events.c.id == event_id, events.c.merchant_id == merchant_id, events.c.livemode == livemode
        )
    ).first()
    return None if row is None else Event(**row._mapping)
