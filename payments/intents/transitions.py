"""Which action is allowed from which status: Stripe's PaymentIntent lifecycle as one table.

    requires_payment_method -> requires_confirmation -> requires_action -> processing
        -> requires_capture -> succeeded | canceled | failed

A payment method may be attached (or replaced) until the intent is confirmed or while a challenge is
open; confirming asks the rail, whose answer moves the intent on (a decline returns it to
`requires_payment_method`, as Stripe does), unless the risk engine holds it first (`requires_action`
waiting for a factor or a review, then resumed or rejected: `payments.intents.guard`). A challenge
(`requires_action`) or an asynchronous payment (`processing`) ends with the rail's report. Only a held
authorization is captured. Cancelling is allowed from the four statuses Stripe allows it from in general;
Stripe's exception for some `processing` payment methods is the rail's business, so `processing` is refused
here. Refunds and disputes apply to a succeeded payment only; `canceled` and `failed` are final.
"""

from typing import Final

from payments.intents.errors import UnexpectedState
from payments.intents.model import Action, IntentStatus, PaymentIntent

S = IntentStatus

ALLOWED: Final[dict[Action, frozenset[IntentStatus]]] = {
    Action.ATTACH_PAYMENT_METHOD: frozenset(
        {S.REQUIRES_PAYMENT_METHOD, S.REQUIRES_CONFIRMATION, S.REQUIRES_ACTION}
    ),
    Action.CONFIRM: frozenset({S.REQUIRES_PAYMENT_METHOD, S.REQUIRES_CONFIRMATION}),
    Action.COMPLETE_ACTION: frozenset({S.REQUIRES_ACTION}),
    Action.RESUME_CONFIRM: frozenset({S.REQUIRES_ACTION}),
    Action.RISK_REJECT: frozenset({S.REQUIRES_ACTION}),
    Action.COMPLETE_PROCESSING: frozenset({S.PROCESSING}),
    Action.CAPTURE: frozenset({S.REQUIRES_CAPTURE}),
    Action.CANCEL: frozenset(
        {S.REQUIRES_PAYMENT_METHOD, S.REQUIRES_CONFIRMATION, S.REQUIRES_ACTION, S.REQUIRES_CAPTURE}
    ),
    Action.REFUND: frozenset({S.SUCCEEDED}),
    Action.OPEN_DISPUTE: frozenset({S.SUCCEEDED}),
}

FINAL: Final = frozenset({S.CANCELED, S.FAILED})


def require(intent: PaymentIntent, action: Action) -> None:
    """Raise `UnexpectedState` naming the intent's status unless `action` is allowed from it."""
    if intent.status not in ALLOWED[action]:
        raise UnexpectedState(intent.id, str(intent.status), action)
