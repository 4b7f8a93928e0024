"""Refunds of a succeeded payment: partial or full, never more in total than was captured.

A refund is reserved first (a pending refund, and pending ledger transfers merchant -> clearing shared
among a split payment's merchants by what each still holds of it, in one transaction), then asked of the
rail, whose answer posts or voids the reservation (again one transaction). What a refund may
take is what was received, less earlier refunds and what disputes withhold or took (`refundable`). The
platform keeps its fee, as Stripe does. A refund id given again names the same refund: the retry answers
it instead of refunding twice.
"""

import re
from dataclasses import replace
from typing import Final

from ledger.store import begin_writing
from payments.intents import movements, store
from payments.intents.context import Payments, new_id, rail_request
from payments.intents.errors import InvalidAmount, InvalidRequest, RailRefused
from payments.intents.model import Action, Refund, RefundReason, RefundStatus, require_amount
from payments.intents.postings import held, submit
from payments.intents.rails import OutcomeKind
from payments.intents.schema import payment_refunds
from payments.merchants.tenant import Tenant

# Short enough that the ledger references built from it stay within the ledger's 128 characters.
OBJECT_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,40}")


def check_object_id(value: str, field: str) -> str:
    if not OBJECT_ID.fullmatch(value):
        raise InvalidRequest(f"{field} is 1..40 letters, digits, '_' or '-'", field=field)
    return value


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


def _same(refund: Refund, intent_id: str, amount: int | None) -> Refund:
    if refund.payment_intent_id != intent_id or amount not in (None, refund.amount):
        raise InvalidRequest(f"refund {refund.id} exists with other parameters", field="refund_id")
    return refund


def refund(
    payments: Payments,
    tenant: Tenant,
    intent_id: str,
    amount: int | None = None,
    reason: RefundReason | None = None,
    refund_id: str | None = None,
) -> Refund:
    """Refund `amount` (default: all that is refundable) of a succeeded intent.

    Three steps: the amount is reserved (a pending refund, its ledger holds), the rail is asked, and the
    answer settles the holds. Concurrent refunds thus never promise the rail more than is refundable, and
    a refund left pending by a crash is finished by a retry with its id.
    """
    existing = None
    if refund_id is not None:
        with payments.engine.connect() as connection:
            existing = store.load_refund(connection, tenant, check_object_id(refund_id, "refund_id"))
    if existing is None:
        existing = _reserve(payments, tenant, intent_id, amount, reason, refund_id or new_id("re"))
    pending = _same(existing, intent_id, amount)
    if pending.status is not RefundStatus.PENDING:
        return pending
    intent = payments.read(tenant, intent_id)
    outcome = payments.rail(intent.rail).refund(rail_request(intent, f"refund:{pending.id}", pending.amount))
    done = _settle(payments, tenant, pending, succeeded=outcome.kind is OutcomeKind.SUCCEEDED)
    if done.status is RefundStatus.FAILED:
        raise RailRefused(f"the rail answered {outcome.kind} to refund {done.id}")
    return done


def _reserve(
    payments: Payments,
    tenant: Tenant,
    intent_id: str,
    amount: int | None,
    reason: RefundReason | None,
    refund_id: str,
) -> Refund:
    with payments.writing(tenant, intent_id, Action.REFUND) as (connection, intent):
        existing = store.load_refund(connection, tenant, refund_id)
        if existing is not None:  # a concurrent retry won the race
            return existing
        value = requested_amount(amount, intent.refundable, "refund")
        specs, shares = movements.hold_refund(intent, refund_id, value)
        submit(connection, specs)
        now = payments.clock()
        reserved = Refund(
            refund_id,
            intent.id,
            tenant.merchant_id,
            tenant.livemode,
            value,
            reason,
            RefundStatus.PENDING,
            now,
        )
        row = {column.name: getattr(reserved, column.name) for column in payment_refunds.columns}
        store.insert_row(
            connection,
            payment_refunds,
            row | {"reason": reason and str(reason), "status": str(reserved.status)},
        )
        after = replace(intent, amount_refunded=intent.amount_refunded + value, shares=shares, updated_at=now)
        store.save(connection, intent, after)
    return reserved


def _settle(payments: Payments, tenant: Tenant, pending: Refund, *, succeeded: bool) -> Refund:
    """Post the refund's holds (it succeeded) or void them and give the amount back to refundable."""
    with payments.engine.begin() as connection:
        begin_writing(connection)
        intent = store.load(connection, tenant, pending.payment_intent_id, lock=True)
        current = store.load_refund(connection, tenant, pending.id, lock=True)
        if current is None or current.status is not RefundStatus.PENDING:  # settled by a concurrent retry
            return current or pending
        parts = held(connection, intent, movements.refund_step(pending.id))
        specs, shares = movements.settle_refund(intent, pending.id, parts, succeeded=succeeded)
        submit(connection, specs)
        refunded = intent.amount_refunded - (0 if succeeded else pending.amount)
        now = payments.clock()
        store.save(
            connection, intent, replace(intent, amount_refunded=refunded, shares=shares, updated_at=now)
        )
        status = RefundStatus.SUCCEEDED if succeeded else RefundStatus.FAILED
        store.set_status(connection, payment_refunds, tenant, pending.id, status=status)
    return replace(pending, status=status)


def retrieve_refund(payments: Payments, tenant: Tenant, refund_id: str) -> Refund:
    return payments.fetch(store.load_refund, tenant, refund_id, "refund")
