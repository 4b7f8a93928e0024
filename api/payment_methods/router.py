"""`/v1/payment-methods`: cards tokenized at the card processor for the calling merchant.

Scope `payments:write` and an `Idempotency-Key`, as every payments POST. The answer's `id` confirms a card
payment intent of the same merchant and mode; the processor refuses it for any other.
"""

from http import HTTPStatus

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import CardProcessorDep, PaymentsWriter
from api.errors import problem_doc
from api.idempotency.route import idempotent_posts
from api.payment_intents.router import AUTH_RESPONSES
from api.payment_methods import schemas, service

router = APIRouter(tags=["payments"])

_post = idempotent_posts(
    router,
    {
        **AUTH_RESPONSES,
        503: problem_doc("No card processor is configured on this server, or it does not answer."),
    },
)


@_post(
    "/v1/payment-methods",
    schemas.PaymentMethodOut,
    "Create a card payment method",
    status_code=HTTPStatus.CREATED,
)
async def create_payment_method(
    body: schemas.PaymentMethodCreate, post: PaymentsWriter, client: CardProcessorDep
) -> Response:
    """Scope `payments:write`. A 422 names each bad card field (`card.number`, `card.exp_month`,
    `card.exp_year`, `card.cvc`); the card number is never echoed, stored or logged."""
    fingerprint = service.fingerprint(client, body)
    return await post.run(
        service.create_payment_method, client, body, body=fingerprint, status_code=HTTPStatus.CREATED
    )
