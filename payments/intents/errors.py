"""The payment domain's refusals: each names what it refused and why, for the API to turn into a problem.

They are plain exceptions (this package knows no HTTP). `field` names the caller's input at fault, where
there is one, so a 4xx document can name it.
"""

from payments.intents.model import Action


class PaymentError(Exception):
    """Root of the domain's refusals; nothing was written when one is raised."""

    field: str | None = None

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if field is not None:
            self.field = field


class UnexpectedState(PaymentError):
    """The action is not allowed from the intent's (or dispute's) current status (Stripe's
    `payment_intent_unexpected_state`)."""

    def __init__(self, intent_id: str, status: str, action: Action | str) -> None:
        super().__init__(f"payment intent {intent_id} is {status}: {action} is not allowed from {status}")
        self.intent_id = intent_id
        self.status = status
        self.action = str(action)


class NotFound(PaymentError):
    """No such object for this tenant (another tenant's object is not found either)."""


class InvalidAmount(PaymentError):
    """An amount out of its bounds for this intent (over-capture, over-refund, a split not summing up)."""


class InvalidRequest(PaymentError):
    """An input that does not fit the intent (a missing payment method, an unknown currency, ...)."""


class RailRefused(PaymentError):
    """The rail refused a capture, cancel or refund; nothing changed on the intent or the ledger."""


class RailConflict(PaymentError):
    """The rail refused the request because its idempotency key names another one: a concurrent step on the
    same intent asked first with other parameters. Nothing changed here; the other step decides."""


class LedgerRefused(PaymentError):
    """The ledger refused a transfer the step needs: a bug or a corrupted ledger, never a caller's error."""
