"""Bank account identifiers checked with `schwifty`: an IBAN's country format and check digits, a BIC's
structure and country. A payment by bank names the customer's IBAN as its payment method; the platform's
collection account is an IBAN and a BIC from the settings. A bad one is refused naming the field at fault.
"""

from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from payments.intents.errors import InvalidRequest


def checked_iban(value: str | None, field: str) -> IBAN:
    """`value` as an IBAN (spaces and case forgiven), or `InvalidRequest` naming `field`."""
    if not value:
        raise InvalidRequest("an IBAN is required", field=field)
    try:
        return IBAN(value)
    except SchwiftyException as error:
        raise InvalidRequest(f"not a valid IBAN: {error}", field=field) from error


def checked_bic(value: str, field: str) -> BIC:
    try:
        return BIC(value)
    except SchwiftyException as error:
        raise InvalidRequest(f"not a valid BIC: {error}", field=field) from error
