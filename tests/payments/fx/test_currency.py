"""Currencies: ISO 4217 minor units, tUSD's configuration, and the codes refused."""

import pytest

from payments.fx.currency import TUSD, currency
from payments.fx.errors import UnknownCurrency


@pytest.mark.parametrize(("code", "exponent"), [("EUR", 2), ("USD", 2), ("JPY", 0), ("KWD", 3), ("BHD", 3)])
def test_iso_currencies_have_their_minor_unit(code: str, exponent: int) -> None:
    found = currency(code)
    assert (found.code, found.exponent, found.ledger_code) == (code, exponent, code)


def test_tusd_is_a_configured_currency_of_six_decimals_with_a_user_assigned_ledger_code() -> None:
    assert currency("tUSD") == TUSD
    assert (TUSD.exponent, TUSD.ledger_code) == (6, "QTU")
    with pytest.raises(UnknownCurrency):
        currency("QTU")  # the ledger's code is not a currency clients can name


@pytest.mark.parametrize("code", ["XAU", "XAG", "XDR", "XTS", "XXX"])
def test_codes_without_a_minor_unit_are_refused(code: str) -> None:
    with pytest.raises(UnknownCurrency, match="no minor unit") as raised:
        currency(code, "sell_currency")
    assert raised.value.field == "sell_currency"


@pytest.mark.parametrize("code", ["ABC", "usd", "EURO", "", "E1R"])
def test_unknown_codes_are_refused(code: str) -> None:
    with pytest.raises(UnknownCurrency):
        currency(code)
