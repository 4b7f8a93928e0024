"""Webhook endpoints of a tenant (merchant id and mode): create, read, rotate the signing secret, delete.

A tenant is (`merchant_id`, `livemode`): every read and write names both, and an endpoint of another tenant
is as absent as one that never existed. A signing secret (`whsec_` and 256 random bits) is returned by
`create` and `rotate_secret` and never again: only its sealed form is stored (`sealing`). Rotation keeps the
older secrets valid for `overlap_seconds` (default a day, at most a week); meanwhile deliveries carry one
`v1=` signature per valid secret, so a receiver can switch at any moment of the overlap. Deleting an endpoint
cancels its pending deliveries; its past events and deliveries stay readable.
"""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session

from payments.webhooks.ids import new_id
from payments.webhooks.schema import deliveries, endpoint_secrets, endpoints
from payments.webhooks.sealing import SecretBox
from payments.webhooks.urls import Resolver, check_url, resolve

SECRET_PREFIX: Final = "whsec_"  # noqa: S105 - the public prefix of every signing secret
SECRET_BYTES: Final = 32
DEFAULT_OVERLAP_SECONDS: Final = 24 * 3600
MAX_OVERLAP_SECONDS: Final = 7 * 24 * 3600
MAX_EVENT_TYPES: Final = 64
ALL_EVENTS: Final = "*"
EVENT_TYPES: Final = frozenset(
    {
        "payment_intent.created",
        "payment_intent.requires_action",
        "payment_intent.processing",
        "payment_intent.amount_capturable_updated",
        "payment_intent.succeeded",
        "payment_intent.payment_failed",
        "payment_intent.canceled",
        "refund.created",
        "refund.updated",
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.closed",
    }
)
"""Every event type the platform emits (Stripe's names; docs/webhooks.md says when each is sent): an endpoint
subscribes to some of them or to all (`*`), so a misspelt subscription is refused rather than never served."""


class InvalidEndpoint(ValueError):
    """An endpoint field the rules refuse; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class EndpointNotFound(LookupError):
    """No live endpoint of that id for this tenant."""


@dataclass(frozen=True)
class Endpoint:
    """An endpoint as stored (its secrets apart)."""

    id: str
    merchant_id: str
    livemode: bool
    url: str
    enabled_events: tuple[str, ...]
    created_at: int
    deleted_at: int | None

    def wants(self, event_type: str) -> bool:
        """Whether events of `event_type` are sent to this endpoint."""
        return ALL_EVENTS in self.enabled_events or event_type in self.enabled_events


def endpoint_from_row(row: object) -> Endpoint:
    """An `Endpoint` from a row of `webhook_endpoints`."""
    fields = row._mapping  # type: ignore[attr-defined]
    return Endpoint(
        id=fields["id"],
        merchant_id=fields["merchant_id"],
        livemode=fields["livemode"],
        url=fields["url"],
        enabled_events=tuple(fields["enabled_events"].split()),
        created_at=fields["created_at"],
        deleted_at=fields["deleted_at"],
    )


def event_types(names: Sequence[str]) -> tuple[str, ...]:
    """`names` checked (known event types like `payment_intent.succeeded`, or `*`), sorted, once each."""
    if not names or len(names) > MAX_EVENT_TYPES:
        raise InvalidEndpoint("enabled_events", f"give 1 to {MAX_EVENT_TYPES} event types, or ['*']")
    for name in names:
        if name != ALL_EVENTS and name not in EVENT_TYPES:
            raise InvalidEndpoint(
                "enabled_events", f"{name[:128]!r} is not an event type like payment_intent.succeeded"
            )
    return tuple(sorted(set(names)))


def _new_secret(session: Session, box: SecretBox, endpoint_id: str, now: int) -> str:
    secret = SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    secret_id = new_id("whs")
    session.execute(
        insert(endpoint_secrets).values(
            id=secret_id,
            endpoint_id=endpoint_id,
            sealed=box.seal(secret, secret_id),
            created_at=now,
            expires_at=None,
        )
    )
    return secret


def create(
    session: Session,
    box: SecretBox,
    *,
    merchant_id: str,
    livemode: bool,
    url: str,
    enabled_events: Sequence[str],
    allow_loopback: bool,
    now: int,
    resolver: Resolver = resolve,
) -> tuple[Endpoint, str]:
    """A new endpoint and its first signing secret, in the caller's transaction (the caller commits).
    `allow_loopback`: the endpoint is a sandbox one in a dev environment (`urls`'s exception)."""
    try:
        check_url(url, allow_loopback=allow_loopback, resolver=resolver)
    except ValueError as error:
        raise InvalidEndpoint("url", str(error)) from None
    endpoint = Endpoint(new_id("we"), merchant_id, livemode, url, event_types(enabled_events), now, None)
    session.execute(
        insert(endpoints).values(
            id=endpoint.id,
            merchant_id=merchant_id,
            livemode=livemode,
            url=url,
            enabled_events=" ".join(endpoint.enabled_events),
            created_at=now,
            deleted_at=None,
        )
    )
    return endpoint, _new_secret(session, box, endpoint.id, now)


def get(session: Session, merchant_id: str, livemode: bool, endpoint_id: str) -> Endpoint:
    """The tenant's live endpoint `endpoint_id`; `EndpointNotFound` if deleted, absent or another's."""
    row = session.execute(
        select(endpoints).where(
            endpoints.c.id == endpoint_id,
            endpoints.c.merchant_id == merchant_id,
            endpoints.c.livemode == livemode,
            endpoints.c.deleted_at.is_(None),
        )
    ).first()
    if row is None:
        raise EndpointNotFound(endpoint_id)
    return endpoint_from_row(row)


def rotate_secret(
    session: Session,
    box: SecretBox,
    endpoint: Endpoint,
    *,
    now: int,
    overlap_seconds: int = DEFAULT_OVERLAP_SECONDS,
) -> str:
    """A new signing secret for `endpoint`; its current ones stay valid `overlap_seconds` more (0: none)."""
    if not 0 <= overlap_seconds <= MAX_OVERLAP_SECONDS:
        raise InvalidEndpoint("overlap_seconds", f"the overlap is 0 to {MAX_OVERLAP_SECONDS} seconds")
    until = now + overlap_seconds * 1000
    session.execute(
        update(endpoint_secrets)
        .where(
            endpoint_secrets.c.endpoint_id == endpoint.id,
            or_(endpoint_secrets.c.expires_at.is_(None), endpoint_secrets.c.expires_at > until),
        )
        .values(expires_at=until)
    )
    return _new_secret(session, box, endpoint.id, now)


def active_secrets(session: Session, box: SecretBox, endpoint_id: str, now: int) -> list[str]:
    """The secrets that sign a delivery now, newest first."""
    rows = session.execute(
        select(endpoint_secrets.c.id, endpoint_secrets.c.sealed)
        .where(
            endpoint_secrets.c.endpoint_id == endpoint_id,
            or_(endpoint_secrets.c.expires_at.is_(None), endpoint_secrets.c.expires_at > now),
        )
        .order_by(endpoint_secrets.c.created_at.desc(), endpoint_secrets.c.id)
    ).all()
    return [box.open(row.sealed, row.id) for row in rows]


def delete(session: Session, endpoint: Endpoint, *, now: int) -> None:
    """Mark `endpoint` deleted and cancel its pending deliveries (the caller commits)."""
    session.execute(update(endpoints).where(endpoints.c.id == endpoint.id).values(deleted_at=now))
    session.execute(
        update(deliveries)
        .where(and_(deliveries.c.endpoint_id == endpoint.id, deliveries.c.status == "pending"))
        .values(status="canceled", lease_token=None, lease_until=None)
    )
