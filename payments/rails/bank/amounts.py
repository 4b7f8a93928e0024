"""Amounts between our integers in minor units and ISO 20022's decimal text (`12.34` for 1234 EUR cents).

Never through a float: the decimal is built from the integer's digits, and a decimal read back must have no
more fractional digits than the currency has (a bank sending 12.345 EUR is refused, not rounded).
"""

from decimal import Decimal

from iso4217 import Currency

from payments.rails.bank.xsd import InvalidMessage


def _exponent(currency: str) -> int:
    """The currency's number of decimal places; `InvalidMessage` for a code that is not a currency with
    minor units (a precious metal, a fund code)."""
    try:
        exponent = Currency(currency).exponent
    except ValueError as error:
        raise InvalidMessage(f"{currency!r} is not an ISO 4217 currency code") from error
    if exponent is None:
        raise InvalidMessage(f"{currency} has no minor unit")
    return exponent


def to_decimal(amount: int, currency: str) -> Decimal:
    """`amount` minor units of `currency` as the decimal a message carries."""
    return Decimal(amount).scaleb(-_exponent(currency))


def from_decimal(value: Decimal | str, currency: str) -> int:
    """A message's decimal amount of `currency` in minor units; `InvalidMessage` if it is not exact."""
    exponent = _exponent(currency)
    minor = Decimal(value).scaleb(exponent)
    if minor != minor.to_integral_value():
        raise InvalidMessage(f"{value} {currency} has more than {exponent} decimal places")
    return int(minor)
