"""Reading and writing the intents' rows, always within one tenant (merchant id and mode).

`load` takes the intent's row lock when asked (FOR UPDATE on PostgreSQL; SQLite's writers are serialised
by `ledger.store.begin_writing`, which every writing step calls first), so two steps on one intent run one
after the other and the second sees the first's status.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select, update

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


def _share(row: Any) -> Share:
    amounts = {
        name: int(getattr(row, name)) for name in ("amount", "captured", "fee", "refunded", "disputed")
    }
    return Share(index=row.position, destination=row.destination, **amounts)


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


def load(connection: Connection, tenant: Tenant, intent_id: str, *, lock: bool = False) -> PaymentIntent:
    query = select(payment_intents).where(_owned(payment_intents, tenant), payment_intents.c.id == intent_id)
    if lock:
        query = query.with_for_update()
    row = connection.execute(query).one_or_none()
    if row is None:
        raise NotFound(f"no payment intent {intent_id}", field="payment_intent")
    shares = connection.execute(
        select(payment_intent_shares)
        .where(_owned(payment_intent_shares, tenant), payment_intent_shares.c.payment_intent_id == intent_id)
        .order_by(payment_intent_shares.c.position)
    )
    return _intent(row, [_share(share) for share in shares])


def authorized_before(connection: Connection, tenant: Tenant, moment: int) -> list[str]:
    """The tenant's intents holding an authorization since before `moment` (ns), oldest first."""
    query = (
        select(payment_intents.c.id)
        .where(
            _owned(payment_intents, tenant),
            payment_intents.c.status == str(IntentStatus.REQUIRES_CAPTURE),
            payment_intents.c.updated_at < moment,
        )
        .order_by(payment_intents.c.updated_at)
    )
    return list(connection.scalars(query))


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


def insert_record(connection: Connection, table: Any, record: Refund | Dispute) -> None:
    """Store a new refund or dispute (its fields are its table's columns)."""
    connection.execute(insert(table), {name: getattr(record, name) for name in _names(table)})


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
    return None if values is None else Dispute(**values | {"status": DisputeStatus(values["status"])})


def set_status(connection: Connection, table: Any, tenant: Tenant, key: str, **values: Any) -> None:
    """Store a refund's or dispute's new status (and when it closed)."""
    values["status"] = str(values["status"])
    connection.execute(update(table).where(_owned(table, tenant), table.c.id == key), values)
