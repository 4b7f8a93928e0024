"""Cards entered by customers, tokenized at the processor: the platform forwards the card's fields once and
keeps only the token (the payment method's id), brand, last 4 digits and expiry. The card number and CVC
are never stored, logged or put in an error here."""

from dataclasses import dataclass

from payments.intents.errors import InvalidRequest
from payments.merchants.tenant import Tenant
from payments.rails.card.client import CardProcessorClient, ProcessorProblem


@dataclass(frozen=True, slots=True)
class CardDetails:
    number: str
    exp_month: int
    exp_year: int
    cvc: str
    name: str | None = None

    def __repr__(self) -> str:  # never the number or the CVC, even in a traceback's locals
        return f"CardDetails(last4={self.number[-4:]!r}, exp={self.exp_month}/{self.exp_year})"


@dataclass(frozen=True, slots=True)
class CardPaymentMethod:
    id: str
    livemode: bool
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    created: int


class CardRejected(InvalidRequest):
    """The processor refused the card's fields; `errors` names each (`card.number`, `card.exp_month`, ...)."""

    def __init__(self, detail: str, errors: list[dict[str, str]]) -> None:
        super().__init__(detail, field=errors[0]["field"] if errors else "card")
        self.errors = errors


def tokenize(client: CardProcessorClient, tenant: Tenant, card: CardDetails) -> CardPaymentMethod:
    body = {
        "account": tenant.merchant_id,
        "livemode": tenant.livemode,
        "card": {
            "number": card.number,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
            "cvc": card.cvc,
            "name": card.name,
        },
    }
    try:
        token = client.post("/v1/tokens", body)
    except ProcessorProblem as problem:
        errors = [{"field": str(e["field"]), "message": str(e["message"])} for e in problem.errors]
        raise CardRejected(problem.detail, errors) from None
    return CardPaymentMethod(
        id=str(token["id"]),
        livemode=bool(token["livemode"]),
        brand=str(token["brand"]),
        last4=str(token["last4"]),
        exp_month=int(token["exp_month"]),
        exp_year=int(token["exp_year"]),
        created=int(token["created"]),
    )
