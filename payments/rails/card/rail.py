"""The card rail: the payment intents' `Rail` over the card processor's API.

The payment method is the processor's token (`pm_...`, made by `POST /v1/payment-methods`); the processor
knows it only for the merchant and mode it was made for, so another merchant's (or the other mode's)
payment method is refused as not found, naming `payment_method`. Every request carries the step's
idempotency key; a decline keeps the processor's decline code, a refused capture, cancel or refund is a
decline of the processor's problem code.
"""

from dataclasses import dataclass
from typing import Any

from payments.intents.errors import InvalidRequest
from payments.intents.model import RailKind
from payments.intents.rails import OutcomeKind, RailOutcome, RailRequest
from payments.rails.card.client import CardProcessorClient, ProcessorProblem, ProcessorUnavailable


def outcome_of(authorization: dict[str, Any]) -> RailOutcome:
    """The rail outcome an authorization object of the processor says."""
    match authorization.get("status"):
        case "requires_action":
            return RailOutcome(
                OutcomeKind.REQUIRES_ACTION, challenge_url=str(authorization["next_action"]["url"])
            )
        case "authorized":
            return RailOutcome(OutcomeKind.AUTHORIZED)
        case "captured":
            return RailOutcome(OutcomeKind.SUCCEEDED)
        case "declined":
            return RailOutcome(OutcomeKind.DECLINED, decline_code=str(authorization.get("decline_code")))
    raise ProcessorUnavailable(
        f"the card processor answered an authorization {authorization.get('status')!r}"
    )


def refund_reference(request: RailRequest) -> str:
    """The refund's id, which the step's key ends with (`<intent>:refund:<refund id>`): the processor books
    the refund under it, so the settlement file names our refund."""
    return request.idempotency_key.rsplit(":", 1)[-1]


@dataclass(frozen=True)
class CardRail:
    client: CardProcessorClient

    @property
    def kind(self) -> RailKind:
        return RailKind.CARD

    def _owner(self, request: RailRequest) -> dict[str, Any]:
        return {"account": request.merchant_id, "livemode": request.livemode}

    def _done(self, path: str, request: RailRequest, body: dict[str, Any]) -> RailOutcome:
        try:
            self.client.post(path, self._owner(request) | body, request.idempotency_key)
        except ProcessorProblem as problem:
            return RailOutcome(OutcomeKind.DECLINED, decline_code=problem.code)
        return RailOutcome(OutcomeKind.SUCCEEDED)

    def authorize(self, request: RailRequest) -> RailOutcome:
        body = self._owner(request) | {
            "token": request.payment_method,
            "amount": str(request.amount),
            "currency": request.currency,
            "capture": request.capture,
            "merchant_reference": request.payment_intent_id,
        }
        try:
            answer = self.client.post("/v1/authorizations", body, request.idempotency_key)
        except ProcessorProblem as problem:
            raise InvalidRequest(
                f"the card processor refused the payment method: {problem.detail}", field="payment_method"
            ) from None
        return outcome_of(answer)

    def capture(self, request: RailRequest) -> RailOutcome:
        body = {"merchant_reference": request.payment_intent_id, "amount": str(request.amount)}
        return self._done("/v1/captures", request, body)

    def cancel(self, request: RailRequest) -> RailOutcome:
        return self._done("/v1/voids", request, {"merchant_reference": request.payment_intent_id})

    def refund(self, request: RailRequest) -> RailOutcome:
        body = {
            "merchant_reference": request.payment_intent_id,
            "amount": str(request.amount),
            "refund_reference": refund_reference(request),
        }
        return self._done("/v1/refunds", request, body)
