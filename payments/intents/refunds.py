"""Refunds of a succeeded payment: partial or full, never more in total than was captured.

A refund is asked of the rail first, then recorded with its ledger transfers (merchant -> clearing, shared
among a split payment's merchants by what each still holds of it) in one transaction. What a refund may
take is what was received, less earlier refunds and what disputes withhold or took (`refundable`). The
platform keeps its fee, as Stripe does. A refund id given again names the same refund: the retry answers
it instead of refunding twice.
"""

import re
from dataclasses import replace
from typing import Final

from payments.intents import movements, store
from payments.intents.context import Payments, new_id, rail_request
from payments.intents.errors import InvalidAmount, InvalidRequest, RailRefused
from payments.intents.model import Action, Refund, RefundReason, Tenant, require_amount
from payments.intents.postings import submit
from payments.intents.rails import OutcomeKind
from payments.intents.schema import payment_refunds

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
    """Refund `amount` (default: all that is refundable) of a succeeded intent."""
    reason = None if reason is None else RefundReason(reason)
    if refund_id is not None:
        with payments.engine.connect() as connection:
            existing = store.load_refund(connection, tenant, check_object_id(refund_id, "refund_id"))
        if existing is not None:
            return _same(existing, intent_id, amount)
    refund_id = refund_id or new_id("re")
    seen = payments.read(tenant, intent_id, Action.REFUND)
    value = requested_amount(amount, seen.refundable, "refund")
    outcome = payments.rail(seen.rail).refund(rail_request(seen, f"refund:{refund_id}", value))
    if outcome.kind is not OutcomeKind.SUCCEEDED:
        raise RailRefused(f"the rail answered {outcome.kind} to the refund")
    with payments.writing(tenant, intent_id, Action.REFUND) as (connection, intent):
        existing = store.load_refund(connection, tenant, refund_id)
        if existing is not None:  # a concurrent retry won the race
            return _same(existing, intent_id, amount)
        value = requested_amount(value, intent.refundable, "refund")
        specs, shares = movements.refund(intent, refund_id, value)
        submit(connection, specs)
        now = payments.clock()
        created = Refund(
            refund_id, intent.id, tenant.merchant_id, tenant.livemode, value, reason, "succeeded", now
        )
        row = {
            "id": created.id,
            "payment_intent_id": created.payment_intent_id,
            "merchant_id": created.merchant_id,
            "livemode": created.livemode,
            "amount": created.amount,
            "reason": None if reason is None else str(reason),
            "status": created.status,
            "created_at": now,
        }
        store.insert_row(connection, payment_refunds, row)
        after = replace(intent, amount_refunded=intent.amount_refunded + value, shares=shares, updated_at=now)
        store.save(connection, intent, after)
    return created


def retrieve_refund(payments: Payments, tenant: Tenant, refund_id: str) -> Refund:
    return payments.fetch(store.load_refund, tenant, refund_id, "refund")
