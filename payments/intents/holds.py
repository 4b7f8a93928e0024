"""Money held back from a succeeded intent's merchants, then let go or kept: refunds and disputes alike.

A refund is held while the rail carries it out; a dispute while the card network decides it. Both take
at most what the intent can still give back (`refundable`), as pending ledger transfers merchant ->
clearing shared among its shares, recorded with the intent's counter in one transaction; both end by
posting the holds (the money leaves) or voiding them (it stays), again in one transaction. A record id
given again names the same record, so a retry never holds twice. Each announces itself to the merchant
in its own transaction (`opened` when held, `ended` when released: `payments.intents.events`).
"""

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Table

from payments.intents import movements, store
from payments.intents.context import Payments
from payments.intents.errors import InvalidAmount, InvalidRequest, NotFound, UnexpectedState
from payments.intents.events import announce
from payments.intents.model import Action, Dispute, PaymentIntent, Refund, Share, require_amount
from payments.intents.postings import Code, held, submit
from payments.intents.rendering import JsonObject
from payments.merchants.tenant import Tenant

Record = TypeVar("Record", Refund, Dispute)


@dataclass(frozen=True)
class HoldKind(Generic[Record]):
    """What is held: `what` names it (and its step, `<what>:<id>`), `field` is the share's and the
    intent's counter of it (`refunded`, `disputed`); `opened` and `ended` the events announcing a record's
    creation and its end, with the record as `render` makes it."""

    what: str
    action: Action
    field: str
    code: Code
    table: Table
    load: Callable[..., Record | None]
    open_status: enum.Enum
    opened: str
    ended: str
    render: Callable[[Record], JsonObject]

    def step(self, record_id: str) -> str:
        return f"{self.what}:{record_id}"

    def counted(
        self, intent: PaymentIntent, delta: int, shares: tuple[Share, ...], now: int
    ) -> PaymentIntent:
        """The intent with its counter of this kind moved by `delta`."""
        counter: dict[str, Any] = {f"amount_{self.field}": getattr(intent, f"amount_{self.field}") + delta}
        return replace(intent, shares=shares, updated_at=now, **counter)


def requested_amount(requested: int | None, available: int, what: str) -> int:
    """`requested` (default: all of `available`) within 1..`available`, or `InvalidAmount` naming `amount`."""
    if available == 0:
        raise InvalidAmount(f"nothing is left to {what}", field="amount")
    if requested is None:
        return available
    try:
        require_amount("amount", requested)
    except (TypeError, ValueError) as error:
        raise InvalidAmount(str(error), field="amount") from error
    if requested > available:
        raise InvalidAmount(f"amount {requested} exceeds the {available} left to {what}", field="amount")
    return requested


def same(kind: HoldKind[Record], record: Record, intent_id: str, amount: int | None) -> Record:
    """`record` again, unless the retry asks for something else under its id."""
    if record.payment_intent_id != intent_id or amount not in (None, record.amount):
        raise InvalidRequest(f"{kind.what} {record.id} exists with other parameters", field=f"{kind.what}_id")
    return record


def take(
    payments: Payments,
    tenant: Tenant,
    kind: HoldKind[Record],
    intent_id: str,
    record_id: str,
    amount: int | None,
    make: Callable[..., Record],
) -> Record:
    """Hold `amount` (default: all still refundable) of the intent and store the record `make` builds from
    the fields every record has (id, intent, tenant, amount, creation time). Always a transaction of its
    own, committed before the rail is asked: no row lock is held while a rail answers."""
    with payments.writing(tenant, intent_id, kind.action, last=False) as (connection, intent):
        existing = kind.load(connection, tenant, record_id)
        if existing is not None:  # the same id again (a retry, or a concurrent one that won)
            return same(kind, existing, intent_id, amount)
        value = requested_amount(amount, intent.refundable, kind.what)
        specs, shares = movements.hold(intent, kind.step(record_id), value, kind.code, kind.field)
        submit(connection, specs)
        now = payments.clock()
        record = make(
            id=record_id,
            payment_intent_id=intent.id,
            merchant_id=tenant.merchant_id,
            livemode=tenant.livemode,
            amount=value,
            created_at=now,
        )
        store.insert_record(connection, kind.table, record)
        store.save(connection, intent, kind.counted(intent, value, shares, now))
        announce(connection, tenant, kind.opened, kind.render(record), now)
    return record


def release(
    payments: Payments,
    tenant: Tenant,
    kind: HoldKind[Record],
    record_id: str,
    *,
    post: bool,
    status: enum.Enum,
    last: bool = True,
    **closing: Any,
) -> Record:
    """End an open hold: post it or void it, and give its record `status` (and `closing`'s fields, a None
    among them meaning now: a dispute's `closed_at`). `last`: the call's last transaction, which may be the
    caller's (`Payments.transaction`)."""
    with payments.transaction(last) as connection:
        record = open_record(connection, tenant, kind, record_id)
        intent = store.load(connection, tenant, record.payment_intent_id, lock=True)
        parts = held(connection, intent, kind.step(record_id))
        specs, shares = movements.release_hold(intent, kind.step(record_id), parts, kind.field, post=post)
        submit(connection, specs)
        now = payments.clock()
        store.save(connection, intent, kind.counted(intent, 0 if post else -record.amount, shares, now))
        changes: dict[str, Any] = {name: now if value is None else value for name, value in closing.items()}
        changes["status"] = status
        store.set_status(connection, kind.table, tenant, record_id, **changes)
        ended = replace(record, **changes)
        announce(connection, tenant, kind.ended, kind.render(ended), now)
    return ended


def open_record(connection: Connection, tenant: Tenant, kind: HoldKind[Record], record_id: str) -> Record:
    """The tenant's record `record_id`, locked, while it is open; `NotFound`, or `UnexpectedState` naming
    its status once it ended."""
    record = kind.load(connection, tenant, record_id, lock=True)
    if record is None:
        raise NotFound(f"no {kind.what} {record_id}", field=kind.what)
    if record.status is not kind.open_status:
        raise UnexpectedState(record.id, str(record.status), f"close_{kind.what}")
    return record
