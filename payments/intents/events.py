"""The events a payment's changes announce to its merchant's webhook endpoints, Stripe's names and bodies.

Each is written by the transactional outbox (`payments.webhooks.outbox.emit`) on the very connection of
the step that made the change, before it commits: a step that commits has its event, one rolled back has
none, and a step refused on a retry (its change made already) announces nothing twice. `data.object` is
the object as the API answers it (`rendering`).

Events are a merchant's records (their rows name the merchant): an operator key's own sandbox book
(`key_...`, no merchant) has no webhook endpoints and no events, so nothing is written for it.
"""

from typing import Final

from sqlalchemy import Connection, select

from payments.intents.model import IntentStatus, PaymentIntent
from payments.intents.rendering import JsonObject
from payments.merchants.schema import merchants
from payments.merchants.tenant import Tenant
from payments.webhooks.outbox import emit

NS_PER_MS: Final = 1_000_000
PAYMENT_FAILED: Final = "payment_intent.payment_failed"
STATUS_EVENTS: Final = {
    IntentStatus.REQUIRES_ACTION: "payment_intent.requires_action",
    IntentStatus.PROCESSING: "payment_intent.processing",
    IntentStatus.REQUIRES_CAPTURE: "payment_intent.amount_capturable_updated",
    IntentStatus.SUCCEEDED: "payment_intent.succeeded",
    IntentStatus.CANCELED: "payment_intent.canceled",
    IntentStatus.FAILED: PAYMENT_FAILED,
}
"""The event each status announces when an intent enters it. `requires_confirmation` (a payment method
attached) has none, as at Stripe; `payment_intent.partially_funded` is Stripe's for customer-balance
transfers, which no rail here makes."""


def intent_event(before: PaymentIntent, after: PaymentIntent) -> str | None:
    """The event a step from `before` to `after` announces, if any: a new status's, or a failed attempt
    (a decline returns the intent to `requires_payment_method`, perhaps from there)."""
    if (after.status, after.attempt) == (before.status, before.attempt):
        return None
    if after.status is IntentStatus.REQUIRES_PAYMENT_METHOD:
        return PAYMENT_FAILED if after.last_payment_error is not None else None
    return STATUS_EVENTS.get(after.status)


def announce(connection: Connection, tenant: Tenant, event_type: str, payload: JsonObject, now: int) -> None:
    """Record the event `event_type` about `payload` (an object as `rendering` makes it) at `now` (ns) in
    the connection's open transaction, with a delivery to each of the tenant's endpoints subscribed to it."""
    is_merchant = connection.scalar(select(merchants.c.id).where(merchants.c.id == tenant.merchant_id))
    if is_merchant is None:
        return
    data = {"object": payload}
    emit(connection, tenant.merchant_id, tenant.livemode, event_type, data, now=now // NS_PER_MS)
