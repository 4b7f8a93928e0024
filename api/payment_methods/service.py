"""Payment methods behind the route: a card tokenized at the card processor for the calling merchant.

The API never keeps the card's number or CVC: they are forwarded once, and the Idempotency-Key's
fingerprint covers them only through a digest keyed with the processor credential (`fingerprint`)."""

import hashlib
import hmac

from api.errors import InvalidRequest
from api.payment_intents.service import RailUnavailable
from api.payment_methods.schemas import CardFingerprint, CardOut, PaymentMethodCreate, PaymentMethodOut
from payments.intents.context import Payments
from payments.merchants.tenant import Tenant
from payments.rails.card.client import CardProcessorClient, ProcessorUnavailable
from payments.rails.card.payment_methods import CardDetails, CardRejected, tokenize


def fingerprint(client: CardProcessorClient, body: PaymentMethodCreate) -> CardFingerprint:
    card = body.card
    digest = hmac.new(client.credential.encode(), f"{card.number}|{card.cvc}".encode(), hashlib.sha256)
    return CardFingerprint(
        type=body.type,
        card_digest=digest.hexdigest(),
        exp_month=card.exp_month,
        exp_year=card.exp_year,
        name=card.name,
    )


def create_payment_method(
    _: Payments, tenant: Tenant, client: CardProcessorClient, body: PaymentMethodCreate
) -> PaymentMethodOut:
    card = body.card
    details = CardDetails(card.number, card.exp_month, card.exp_year, card.cvc, card.name)
    try:
        method = tokenize(client, tenant, details)
    except CardRejected as error:
        raise InvalidRequest(
            "invalid value for: " + ", ".join(sorted({e["field"] for e in error.errors})), errors=error.errors
        ) from None
    except ProcessorUnavailable as error:
        raise RailUnavailable(error.detail) from None
    return PaymentMethodOut(
        id=method.id,
        livemode=method.livemode,
        card=CardOut(
            brand=method.brand, last4=method.last4, exp_month=method.exp_month, exp_year=method.exp_year
        ),
        created=method.created,
    )
