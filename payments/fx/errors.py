"""What FX refuses, as exceptions naming the request field at fault (the API turns each into a problem)."""


class FxError(Exception):
    """A refusal of FX; `field` names the input at fault (a request's field name)."""

    field = ""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        if field is not None:
            self.field = field


class UnknownCurrency(FxError):
    """A code that is neither ISO 4217 with a minor unit nor a configured non-ISO currency."""

    field = "currency"


class NoRate(FxError):
    """The rate source has no rate for a currency of the pair."""


class InvalidAmount(FxError):
    """An amount the quote cannot be priced for: too small to buy one minor unit, or beyond int64."""


class SameCurrency(FxError):
    """Selling and buying one currency is no exchange."""

    field = "buy_currency"


class QuoteNotFound(FxError):
    field = "quote_id"


class QuoteExpired(FxError):
    field = "quote_id"


class QuoteUsed(FxError):
    field = "quote_id"


class AccountRefused(FxError):
    """A customer account that does not exist, is of another currency, or is the FX desk's own."""


class ConversionRefused(FxError):
    """The ledger refused the conversion's transfers (e.g. the sell account lacks the funds)."""
