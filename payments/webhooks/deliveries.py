"""Deliveries: leased, settled by their outcome, retried with backoff, dead-lettered, redelivered.

A delivery is `pending` until an attempt gets a 2xx (`succeeded`), it has used `max_attempts` attempts
(`dead`: the dead-letter list, from which the API redelivers), or its endpoint is deleted (`canceled`).

Claiming is one UPDATE over the due rows (`pending`, `next_attempt_at` passed, no live lease) picked by a
subquery: on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so concurrent workers take disjoint rows without
waiting on each other; SQLite runs one writer at a time, so the same statement is atomic there. The claim
stamps a random lease token and `lease_until`, and counts the attempt; a worker never starts an attempt
that could outlast its lease (it releases the rest of a slow batch instead). An outcome is written only by the
lease's holder (its token is in the WHERE clause): a worker that outlived its lease, or was killed with
kill -9, loses the row to the next claim once the lease expires, and its late result is ignored. So each
attempt is made by one worker, and a delivery is made at least once; a receiver deduplicates by event id.

Backoff after the n-th failed attempt: `base * 2^(n-1)`, capped, then "equal jitter" (a uniformly random
time between half and all of it), so failing endpoints do not see their retries arrive in lockstep.
"""

import random
import secrets
from dataclasses import dataclass
from typing import Final, Literal, get_args

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from payments.webhooks.schema import deliveries, endpoints, events

DeliveryStatus = Literal["pending", "succeeded", "dead", "canceled"]
STATUSES: Final = get_args(DeliveryStatus)
MAX_ERROR_LENGTH: Final = 256


class DeliveryNotFound(LookupError):
    """No delivery of that id for this tenant."""


class NotRedeliverable(ValueError):
    """A delivery whose endpoint was deleted: there is nowhere to send it."""


@dataclass(frozen=True)
class RetryPolicy:
    """How long a claim lasts, how often and how far apart a delivery is tried."""

    max_attempts: int = 8
    base_seconds: float = 30.0
    cap_seconds: float = 6 * 3600.0
    lease_seconds: float = 60.0
    """Longer than an attempt can take (the request timeout), or two workers could hold one delivery."""

    def backoff_ms(self, attempts: int, rng: random.Random) -> int:
        """Milliseconds to wait after the `attempts`-th failed attempt."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** (attempts - 1)) * 1000
        return int(ceiling / 2 + rng.random() * ceiling / 2)


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker holds the lease of, with what it needs to make the attempt."""

    id: str
    event_id: str
    endpoint_id: str
    livemode: bool
    url: str
    body: str
    attempts: int
    lease_token: str
    lease_until: int


@dataclass(frozen=True)
class Delivery:
    """A delivery as the API shows it."""

    id: str
    event_id: str
    endpoint_id: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: int
    last_status_code: int | None
    last_error: str | None
    created_at: int
    delivered_at: int | None


def claim(session: Session, *, now: int, lease_ms: int, limit: int) -> list[Claimed]:
    """Lease up to `limit` due deliveries, oldest due first, and commit the lease."""
    token = secrets.token_hex(16)
    due = (
        select(deliveries.c.id)
        .where(
            deliveries.c.status == "pending",
            deliveries.c.next_attempt_at <= now,
            or_(deliveries.c.lease_until.is_(None), deliveries.c.lease_until <= now),
        )
        .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    session.execute(
        update(deliveries)
        .where(deliveries.c.id.in_(due))
        .values(lease_token=token, lease_until=now + lease_ms, attempts=deliveries.c.attempts + 1)
    )
    rows = session.execute(
        select(
            deliveries.c.id,
            deliveries.c.event_id,
            deliveries.c.endpoint_id,
            deliveries.c.livemode,
            endpoints.c.url,
            events.c.body,
            deliveries.c.attempts,
            deliveries.c.lease_token,
            deliveries.c.lease_until,
        )
        .join(events, events.c.id == deliveries.c.event_id)
        .join(endpoints, endpoints.c.id == deliveries.c.endpoint_id)
        .where(deliveries.c.lease_token == token)
        .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
    ).all()
    session.commit()
    return [Claimed(*row) for row in rows]


def _settle(session: Session, claimed: Claimed, **values: object) -> bool:
    written = session.execute(
        update(deliveries)
        .where(deliveries.c.id == claimed.id, deliveries.c.lease_token == claimed.lease_token)
        .values(lease_token=None, lease_until=None, **values)
    )
    session.commit()
    return bool(written.rowcount == 1)  # type: ignore[attr-defined]


def release(session: Session, claimed: Claimed) -> bool:
    """Give back a claim not attempted (its lease would run out before an attempt could end): due again at
    once, the attempt it counted uncounted."""
    return _settle(session, claimed, attempts=claimed.attempts - 1)


def succeeded(session: Session, claimed: Claimed, *, now: int, status_code: int) -> bool:
    """Record a 2xx; False if the lease was lost meanwhile (the result is then not ours to write)."""
    return _settle(
        session, claimed, status="succeeded", delivered_at=now, last_status_code=status_code, last_error=None
    )


def failed(
    session: Session,
    claimed: Claimed,
    *,
    now: int,
    status_code: int | None,
    error: str,
    policy: RetryPolicy,
    rng: random.Random,
) -> str:
    """Record a failed attempt: `dead` after the last allowed one, else `pending` again after a backoff.
    The status written; `lost` if the lease was lost meanwhile."""
    dead = claimed.attempts >= policy.max_attempts
    status = "dead" if dead else "pending"
    next_attempt = now if dead else now + policy.backoff_ms(claimed.attempts, rng)
    written = _settle(
        session,
        claimed,
        status=status,
        next_attempt_at=next_attempt,
        last_status_code=status_code,
        last_error=error[:MAX_ERROR_LENGTH],
    )
    return status if written else "lost"


def _tenant(merchant_id: str, livemode: bool) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return deliveries.c.merchant_id == merchant_id, deliveries.c.livemode == livemode


_VIEW_COLUMNS: Final = [getattr(deliveries.c, name) for name in Delivery.__dataclass_fields__]


def get(session: Session, merchant_id: str, livemode: bool, delivery_id: str) -> Delivery:
    """The tenant's delivery; `DeliveryNotFound` if absent or another tenant's."""
    row = session.execute(
        select(*_VIEW_COLUMNS).where(deliveries.c.id == delivery_id, *_tenant(merchant_id, livemode))
    ).first()
    if row is None:
        raise DeliveryNotFound(delivery_id)
    return Delivery(*row)


def page(
    session: Session,
    merchant_id: str,
    livemode: bool,
    *,
    status: str | None,
    after: tuple[int, str] | None,
    limit: int,
) -> list[Delivery]:
    """Up to `limit` of the tenant's deliveries (of `status` if given), oldest first, after key `after`."""
    query = select(*_VIEW_COLUMNS).where(*_tenant(merchant_id, livemode))
    if status is not None:
        query = query.where(deliveries.c.status == status)
    if after is not None:
        created, last_id = after
        query = query.where(
            or_(
                deliveries.c.created_at > created,
                and_(deliveries.c.created_at == created, deliveries.c.id > last_id),
            )
        )
    rows = session.execute(query.order_by(deliveries.c.created_at, deliveries.c.id).limit(limit)).all()
    return [Delivery(*row) for row in rows]


def redeliver(session: Session, merchant_id: str, livemode: bool, delivery_id: str, *, now: int) -> Delivery:
    """Make a dead or succeeded delivery due again now with a fresh attempt budget (a pending one is left
    as it is: it is due already); the caller commits. `NotRedeliverable` once its endpoint is deleted."""
    current = get(session, merchant_id, livemode, delivery_id)
    deleted_at = session.scalar(select(endpoints.c.deleted_at).where(endpoints.c.id == current.endpoint_id))
    if current.status == "canceled" or deleted_at is not None:
        raise NotRedeliverable(f"the endpoint of {delivery_id} was deleted")
    if current.status != "pending":
        session.execute(
            update(deliveries)
            .where(deliveries.c.id == delivery_id, deliveries.c.status == current.status)
            .values(status="pending", attempts=0, next_attempt_at=now, lease_token=None, lease_until=None)
        )
    return get(session, merchant_id, livemode, delivery_id)
