"""Reading and writing the intents' rows, always within one tenant (merchant id and mode).

`load` takes the intent's row lock when asked (FOR UPDATE on PostgreSQL; SQLite's writers are serialised
by `ledger.store.begin_writing`, which every writing step calls first), so two steps on one intent run one
after the other and the second sees the first's status. It reads the intent with its shares in one
statement: a step loads its intent twice (before asking the rail, then locked), and on PostgreSQL each
statement is a round trip.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update

from chain.files import canonical_json
from payments.intents.errors import NotFound
from payments.intents.model import (
    CancellationReason,
    CaptureMethod,
    Dispute,
    DisputeStatus,
    IntentStatus,
    PaymentIntent,
    RailKind,
    Refund,
    RefundReason,
    RefundStatus,
    Share,
)
from payments.intents.schema import payment_disputes, payment_intent_shares, payment_intents, payment_refunds
from payments.merchants.tenant import Tenant


def _names(table: Any) -> list[str]:
    return [column.name for column in table.columns]


_SHARE_AMOUNTS = ("amount", "captured", "fee", "refunded", "disputed")


def _share(row: Any, prefix: str) -> Share:
    """The share in `row`, its columns named `<prefix><column>`."""
    amounts = {name: int(getattr(row, prefix + name)) for name in _SHARE_AMOUNTS}
    return Share(
        index=getattr(row, f"{prefix}position"), destination=getattr(row, f"{prefix}destination"), **amounts
    )


def _intent(row: Any, shares: Sequence[Share]) -> PaymentIntent:
    values = {name: getattr(row, name) for name in _names(payment_intents)}
    values["status"] = IntentStatus(row.status)
    values["capture_method"] = CaptureMethod(row.capture_method)
    values["rail"] = RailKind(row.rail)
    reason = row.cancellation_reason
    values["cancellation_reason"] = None if reason is None else CancellationReason(reason)
    values["livemode"] = bool(row.livemode)
    return PaymentIntent(**values, shares=tuple(shares))


def _owned(table: Any, tenant: Tenant) -> Any:
    return (table.c.merchant_id == tenant.merchant_id) & (table.c.livemode == tenant.livemode)


_SHARE_PREFIX = "share_"
_WITH_SHARES = (
    select(
        payment_intents,
        *(
            payment_intent_shares.c[name].label(_SHARE_PREFIX + name)
            for name in ("position", "destination", *_SHARE_AMOUNTS)
        ),
    )
    .join(
        payment_intent_shares,
        and_(
            payment_intent_shares.c.payment_intent_id == payment_intents.c.id,
            payment_intent_shares.c.merchant_id == payment_intents.c.merchant_id,
            payment_intent_shares.c.livemode == payment_intents.c.livemode,
        ),
    )
    .order_by(payment_intent_shares.c.position)
)
"""An intent's row once per share (every intent has at least one), the share's columns prefixed."""


def load(connection: Connection, tenant: Tenant, intent_id: str, *, lock: bool = False) -> PaymentIntent:
    query = _WITH_SHARES.where(_owned(payment_intents, tenant), payment_intents.c.id == intent_id)
    if lock:
        query = query.with_for_update(of=payment_intents)
    rows = connection.execute(query).all()
    if not rows:
        raise NotFound(f"no payment intent {intent_id}", field="payment_intent")
    return _intent(rows[0], [_share(row, _SHARE_PREFIX) for row in rows])


def authorized_before(connection: Connection, tenant: Tenant | None, moment: int) -> list[tuple[Tenant, str]]:
    """The intents holding an authorization since before `moment` (ns), oldest first, with their tenants:
    `tenant`'s, or every tenant's (None)."""
    query = select(payment_intents.c.merchant_id, payment_intents.c.livemode, payment_intents.c.id).where(
        payment_intents.c.status == str(IntentStatus.REQUIRES_CAPTURE), payment_intents.c.updated_at < moment
    )
    if tenant is not None:
        query = query.where(_owned(payment_intents, tenant))
    rows = connection.execute(query.order_by(payment_intents.c.updated_at, payment_intents.c.id))
    return [(Tenant(row.merchant_id, bool(row.livemode)), row.id) for row in rows]


def insert_intent(connection: Connection, intent: PaymentIntent) -> None:
    row = {name: getattr(intent, name) for name in _names(payment_intents)}
    row |= {
        "status": str(intent.status),
        "capture_method": str(intent.capture_method),
        "rail": str(intent.rail),
    }
    connection.execute(insert(payment_intents), row)
    tenant = {"merchant_id": intent.merchant_id, "livemode": intent.livemode, "payment_intent_id": intent.id}
    connection.execute(
        insert(payment_intent_shares),
        [
            tenant
            | {
                "position": share.index,
                "destination": share.destination,
                "amount": share.amount,
                "captured": 0,
                "fee": 0,
                "refunded": 0,
                "disputed": 0,
            }
            for share in intent.shares
        ],
    )


def save(connection: Connection, before: PaymentIntent, after: PaymentIntent) -> None:
    """Store what changed from `before` to `after` (the intent's fields and each share's)."""
    changes = {
        name: getattr(after, name)
        for name in _names(payment_intents)
        if getattr(after, name) != getattr(before, name)
    }
    for name in ("status", "cancellation_reason"):
        if name in changes and changes[name] is not None:
            changes[name] = str(changes[name])
    tenant = Tenant(after.merchant_id, after.livemode)
    connection.execute(
        update(payment_intents).where(_owned(payment_intents, tenant), payment_intents.c.id == after.id),
        changes,
    )
    for old, new in zip(before.shares, after.shares, strict=True):
        if old != new:
            connection.execute(
                update(payment_intent_shares).where(
                    _owned(payment_intent_shares, tenant),
                    payment_intent_shares.c.payment_intent_id == after.id,
                    payment_intent_shares.c.position == new.index,
                ),
                {
                    "captured": new.captured,
                    "fee": new.fee,
                    "refunded": new.refunded,
                    "disputed": new.disputed,
                },
            )


def _column(value: Any) -> Any:
    """A record's field as its column holds it: a mapping (a dispute's evidence) as a JSON object."""
    return canonical_json(dict(value)).decode() if isinstance(value, Mapping) else value


def insert_record(connection: Connection, table: Any, record: Refund | Dispute) -> None:
    """Store a new refund or dispute (its fields are its table's columns)."""
    connection.execute(insert(table), {name: _column(getattr(record, name)) for name in _names(table)})


def _record(
    connection: Connection, table: Any, tenant: Tenant, record_id: str, lock: bool
) -> dict[str, Any] | None:
    """A refund's or dispute's row as a dict of its columns, or None (another tenant's too)."""
    query = select(table).where(_owned(table, tenant), table.c.id == record_id)
    row = connection.execute(query.with_for_update() if lock else query).one_or_none()
    return (
        None
        if row is None
        else {name: getattr(row, name) for name in _names(table)} | {"livemode": bool(row.livemode)}
    )


def load_refund(
    connection: Connection, tenant: Tenant, refund_id: str, *, lock: bool = False
) -> Refund | None:
    values = _record(connection, payment_refunds, tenant, refund_id, lock)
    if values is None:
        return None
    reason = None if values["reason"] is None else RefundReason(values["reason"])
    return Refund(**values | {"reason": reason, "status": RefundStatus(values["status"])})


def load_dispute(
    connection: Connection, tenant: Tenant, dispute_id: str, *, lock: bool = False
) -> Dispute | None:
    values = _record(connection, payment_disputes, tenant, dispute_id, lock)
    return None if values is None else _dispute(values)


def _dispute(values: dict[str, Any]) -> Dispute:
    return Dispute(
        **values
        | {
            "livemode": bool(values["livemode"]),
            "status": DisputeStatus(values["status"]),
            "evidence": json.loads(values["evidence"]),
        }
    )


def dispute_owner(connection: Connection, dispute_id: str) -> Tenant | None:
    """Whose dispute `dispute_id` is: for the operators, who act on every merchant's disputes."""
    return _owner(connection, payment_disputes, dispute_id)


def intent_owner(connection: Connection, intent_id: str) -> Tenant | None:
    """Whose intent `intent_id` is: for the operators, who record the card networks' disputes on it."""
    return _owner(connection, payment_intents, intent_id)


def _owner(connection: Connection, table: Any, key: str) -> Tenant | None:
    row = connection.execute(select(table.c.merchant_id, table.c.livemode).where(table.c.id == key)).first()
    return None if row is None else Tenant(row.merchant_id, bool(row.livemode))


def disputes_page(
    connection: Connection,
    tenant: Tenant | None,
    payment_intent_id: str | None,
    after: tuple[int, str] | None,
    limit: int,
) -> list[Dispute]:
    """Up to `limit` disputes, oldest first after the key (created_at, id) `after`: the tenant's, or every
    tenant's for an operator (`tenant` None); only those of `payment_intent_id` if given."""
    query = select(payment_disputes)
    if tenant is not None:
        query = query.where(_owned(payment_disputes, tenant))
    if payment_intent_id is not None:
        query = query.where(payment_disputes.c.payment_intent_id == payment_intent_id)
    if after is not None:
        created, last_id = after
        query = query.where(
            (payment_disputes.c.created_at > created)
            | ((payment_disputes.c.created_at == created) & (payment_disputes.c.id > last_id))
        )
    rows = connection.execute(
        query.order_by(payment_disputes.c.created_at, payment_disputes.c.id).limit(limit)
    )
    return [_dispute(dict(row._mapping)) for row in rows]


def set_status(connection: Connection, table: Any, tenant: Tenant, key: str, **values: Any) -> None:
    """Store a refund's or dispute's new status (and when it closed)."""
    values["status"] = str(values["status"])
    connection.execute(update(table).where(_owned(table, tenant), table.c.id == key), values)


def set_evidence(
    connection: Connection, tenant: Tenant, dispute_id: str, evidence: Mapping[str, str]
) -> None:
    connection.execute(
        update(payment_disputes).where(_owned(payment_disputes, tenant), payment_disputes.c.id == dispute_id),
        {"evidence": _column(evidence)},
    )
