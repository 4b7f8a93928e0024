"""The card processor's webhooks, once their signature is verified, as the payment intents' steps.

`authorization.updated` ends a 3-D Secure challenge: its authorization moves the intent as the rail's answer
to the confirmation would have (`intents.complete_action`). `dispute.created` opens a dispute of the
captured payment (`disputes.open_dispute`, under the processor's dispute id, so a redelivery opens none
more). A report that arrives twice, or about a payment method the intent has since dropped, changes nothing;
one that arrives before the intent can take it (a dispute racing the capture's commit) is refused with the
domain's error, and the processor delivers it again later.
"""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from payments.intents import disputes, intents
from payments.intents.context import Payments
from payments.intents.errors import InvalidRequest
from payments.intents.model import IntentStatus
from payments.merchants.tenant import Tenant
from payments.rails.card.rail import outcome_of

_T = TypeVar("_T")


def handle(payments: Payments, event: Mapping[str, Any]) -> str:
    """Apply one event; what it did (`applied`, `duplicate`, `ignored`)."""
    kind, target = _read(lambda: (str(event["type"]), dict(event["data"]["object"])))
    tenant, reference = _read(
        lambda: (Tenant(str(target["account"]), bool(target["livemode"])), str(target["merchant_reference"]))
    )
    if kind == "authorization.updated":
        return _challenge_done(payments, tenant, reference, target)
    if kind == "dispute.created":
        dispute_id, amount, reason = _read(
            lambda: (str(target["id"]), int(target["amount"]), str(target.get("reason") or "general"))
        )
        disputes.open_dispute(payments, tenant, reference, amount, reason, dispute_id)
        return "applied"
    return "ignored"


def _read(fields: Callable[[], _T]) -> _T:
    """`fields()`, or `InvalidRequest` if the event lacks one or holds one of another type."""
    try:
        return fields()
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidRequest(
            f"the event does not say what a card event says: {error}", field="data.object"
        ) from None


def _challenge_done(payments: Payments, tenant: Tenant, reference: str, target: dict[str, Any]) -> str:
    intent = intents.retrieve(payments, tenant, reference)
    if intent.status is not IntentStatus.REQUIRES_ACTION or intent.payment_method != target.get("token"):
        return "duplicate"
    intents.complete_action(payments, tenant, reference, outcome_of(target))
    return "applied"
