"""Refunds of a succeeded payment: partial or full, never more in total than was captured.

A refund is reserved first (a pending refund holding its amount on the ledger, `payments.intents.holds`),
then asked of the rail, whose answer posts the hold (the money goes back to the customer) or voids it. What
a refund may take is what was received, less earlier refunds and what disputes withhold or took
(`refundable`), so concurrent refunds never promise the rail more than that. The platform keeps its fee,
as Stripe does. A refund id given again names the same refund: a retry answers it, or finishes it if it
was cut short at the rail, instead of refunding twice.
"""

import re
from functools import partial
from typing import Final

from payments.intents import holds, rendering, store
from payments.intents.context import Payments, new_id, rail_request
from payments.intents.errors import InvalidRequest, RailRefused
from payments.intents.model import Action, Refund, RefundReason, RefundStatus
from payments.intents.postings import Code
from payments.intents.rails import OutcomeKind
from payments.intents.schema import payment_refunds
from payments.merchants.tenant import Tenant

# Short enough that the ledger references built from it stay within the ledger's 128 characters.
OBJECT_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,40}")

REFUNDS: Final = holds.HoldKind[Refund](
    what="refund",
    action=Action.REFUND,
    field="refunded",
    code=Code.REFUND,
    table=payment_refunds,
    load=store.load_refund,
    open_status=RefundStatus.PENDING,
    opened="refund.created",
    ended="refund.updated",
    render=rendering.refund,
)


def check_object_id(value: str, field: str) -> str:
    if not OBJECT_ID.fullmatch(value):
        raise InvalidRequest(f"{field} is 1..40 letters, digits, '_' or '-'", field=field)
    return value


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
    existing = None
    if refund_id is not None:
        with payments.engine.connect() as connection:
            existing = store.load_refund(connection, tenant, check_object_id(refund_id, "refund_id"))
    if existing is None:
        chosen = refund_id or new_id("re")
        reserved = partial(Refund, reason=reason, status=RefundStatus.PENDING)
        existing = holds.take(payments, tenant, REFUNDS, intent_id, chosen, amount, reserved)
    pending = holds.same(REFUNDS, existing, intent_id, amount)
    if pending.status is not RefundStatus.PENDING:
        return pending
    intent = payments.read(tenant, intent_id)
    outcome = payments.rail(intent.rail).refund(rail_request(intent, f"refund:{pending.id}", pending.amount))
    if outcome.kind is OutcomeKind.PROCESSING:
        # An asynchronous rail (a bank transfer, an on-chain payout): the refund stays pending, its amount
        # held, until the rail reports the result (`complete_refund`).
        return pending
    succeeded = outcome.kind is OutcomeKind.SUCCEEDED
    status = RefundStatus.SUCCEEDED if succeeded else RefundStatus.FAILED
    # A refusal is a failed refund committed on its own: the error raised after it must not undo it.
    done = holds.release(payments, tenant, REFUNDS, pending.id, post=succeeded, status=status, last=succeeded)
    if not succeeded:
        raise RailRefused(f"the rail answered {outcome.kind} to refund {done.id}")
    return done


def complete_refund(payments: Payments, tenant: Tenant, refund_id: str, *, succeeded: bool) -> Refund:
    """The rail's final report on a refund it answered `processing`: the held amount goes back to the
    customer (posted) or to the merchant's balance (voided). A second report of a refund already ended is
    refused (`UnexpectedState`), so a webhook delivered twice moves the money once."""
    status = RefundStatus.SUCCEEDED if succeeded else RefundStatus.FAILED
    return holds.release(payments, tenant, REFUNDS, refund_id, post=succeeded, status=status)


def retrieve_refund(payments: Payments, tenant: Tenant, refund_id: str) -> Refund:
    return payments.fetch(store.load_refund, tenant, refund_id, "refund")
