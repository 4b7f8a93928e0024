"""The bodies of `/v1/fx/...`: quotes and conversions, amounts in minor units as decimal strings.

An amount or a ledger id is an int64 in minor units on the ledger, so on the wire it is a string of decimal
digits (a JSON number loses precision above 2^53 in most clients): positive, at most 2^63 - 1, no sign,
decimal point or exponent. A refused value is a 422 naming the field and saying which rule it broke.
"""

import re
from datetime import date, datetime
from typing import Annotated, Any, Final, Literal

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from api.schemas import ApiModel

INT64_MAX: Final = 2**63 - 1
_DIGITS: Final = re.compile(r"-?[0-9]+")


def _positive_int64(value: Any) -> int:
    """A positive int64 from its decimal string; a `minor_units` error saying what is wrong otherwise."""
    if not isinstance(value, str):
        raise PydanticCustomError("minor_units", 'a string of decimal digits, e.g. "1050", not a JSON number')
    if not _DIGITS.fullmatch(value):
        raise PydanticCustomError(
            "minor_units", "a whole number of minor units: digits only, no decimal point, exponent or spaces"
        )
    number = int(value)
    if number <= 0:
        raise PydanticCustomError("minor_units", "must be positive")
    if number > INT64_MAX:
        raise PydanticCustomError("minor_units", "must be at most 2^63 - 1")
    return number


_AS_STRING: Final = PlainSerializer(str, return_type=str)
PositiveInt64 = Annotated[
    int,
    PlainValidator(_positive_int64),
    _AS_STRING,
    WithJsonSchema({"type": "string", "pattern": r"^[1-9][0-9]{0,18}$", "examples": ["1050"]}),
]
"""A positive int64 (an amount in minor units, a ledger account id) spelt as decimal digits."""
Int64Text = Annotated[int, _AS_STRING, WithJsonSchema({"type": "string", "pattern": r"^-?(0|[1-9][0-9]*)$"})]
"""An int64 the API answers (possibly zero or negative), spelt as decimal digits."""


class QuoteCreate(ApiModel):
    """Exactly one of `sell_amount` and `buy_amount`: the side whose amount is fixed."""

    sell_currency: str
    """An ISO 4217 code with a minor unit ("EUR", "JPY", "KWD"), or "tUSD" (the devnet stablecoin)."""
    buy_currency: str
    sell_amount: PositiveInt64 | None = None
    """Minor units of `sell_currency` to sell; the buy amount is computed."""
    buy_amount: PositiveInt64 | None = None
    """Minor units of `buy_currency` to buy; the sell amount is computed."""


class QuoteOut(ApiModel):
    """A price for one exchange, convertible once until `expires_at`."""

    id: str
    sell_currency: str
    buy_currency: str
    sell_amount: Int64Text
    """Minor units of `sell_currency` the customer pays."""
    buy_amount: Int64Text
    """Minor units of `buy_currency` the customer receives: sell_amount x rate, rounded half to even."""
    rate: str
    """Units of `buy_currency` per unit of `sell_currency` (major units), spread included, exact as a decimal
    string (10 significant digits): the amounts were computed at exactly this rate."""
    spread_bps: int
    """The spread taken from the mid rate, in basis points, against the customer."""
    rates_as_of: date
    """The date of the reference rates the mid rate came from."""
    created_at: datetime
    expires_at: datetime
    status: Literal["open", "converted", "expired"]


class ConversionCreate(ApiModel):
    """Convert a quote, from and to the customer's ledger accounts (of the quote's two currencies)."""

    quote_id: str
    sell_account_id: PositiveInt64
    """The ledger account debited with the sell amount (of the sell currency)."""
    buy_account_id: PositiveInt64
    """The ledger account credited with the buy amount (of the buy currency)."""


class ConversionOut(ApiModel):
    """A quote converted: the two customer-side ledger transfers, and what the FX desk booked."""

    id: str
    quote: QuoteOut
    sell_account_id: Int64Text
    buy_account_id: Int64Text
    sell_transfer_id: Int64Text
    buy_transfer_id: Int64Text
    spread_amount: Int64Text
    """Minor units of the buy currency booked to the FX spread account."""
    rounding_booked: Int64Text
    """Whole minor units of the buy currency booked to (positive) or from (negative) the FX rounding account
    as its carry of rounding differences crossed a unit (docs/fx.md)."""
    created_at: datetime
