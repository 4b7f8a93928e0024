"""The bodies of `/v1/payment-methods`: a card's fields in (forwarded to the processor, never kept), what may
be shown of it out."""

from typing import Annotated, Literal

from pydantic import Field

from api.schemas import ApiModel


class CardIn(ApiModel):
    number: Annotated[str, Field(min_length=1, max_length=32)]
    """The card number (PAN): digits only. Tokenized at the processor; never stored here."""
    exp_month: Annotated[int, Field(strict=True)]
    exp_year: Annotated[int, Field(strict=True)]
    cvc: Annotated[str, Field(min_length=1, max_length=8)]
    name: Annotated[str, Field(min_length=1, max_length=128)] | None = None


class PaymentMethodCreate(ApiModel):
    type: Literal["card"] = "card"
    card: CardIn


class CardFingerprint(ApiModel):
    """What the Idempotency-Key's request fingerprint is computed over: the card's number and CVC only as a
    keyed digest, so the stored fingerprint is no unsalted hash of a card number."""

    type: str
    card_digest: str
    exp_month: int
    exp_year: int
    name: str | None


class CardOut(ApiModel):
    brand: str
    last4: str
    exp_month: int
    exp_year: int


class PaymentMethodOut(ApiModel):
    id: str
    """The payment method to confirm a card payment intent with (`payment_method`)."""
    object: Literal["payment_method"] = "payment_method"
    type: Literal["card"] = "card"
    livemode: bool
    card: CardOut
    created: int
