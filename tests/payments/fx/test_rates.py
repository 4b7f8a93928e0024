"""Rates: the shipped ECB reference file, cross rates through the euro, tUSD's peg; exact, never float."""

from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

from chain.paths import PROJECT_ROOT
from payments.fx.currency import currency
from payments.fx.errors import NoRate
from payments.fx.rates import RateFileError, ReferenceRates, default_rate_source

SHIPPED = PROJECT_ROOT / "config" / "fx" / "eurofxref.xml"


def test_the_shipped_file_is_read_exactly() -> None:
    rates = ReferenceRates.from_file(SHIPPED)
    assert rates.as_of == date(2026, 12, 4)
    assert len(rates.per_base) >= 10
    assert rates.per_base["USD"] == Fraction(10832, 10000)
    assert rates.per_base["GBP"] == Fraction(84215, 100000)


def test_cross_rates_go_through_the_euro() -> None:
    rates = ReferenceRates.from_file(SHIPPED)
    eur, usd, jpy = currency("EUR"), currency("USD"), currency("JPY")
    assert rates.mid_rate(eur, usd).value == Fraction("1.0832")
    assert rates.mid_rate(usd, eur).value == 1 / Fraction("1.0832")
    assert rates.mid_rate(usd, jpy).value == Fraction("162.45") / Fraction("1.0832")
    assert rates.mid_rate(usd, jpy).value * rates.mid_rate(jpy, usd).value == 1


def test_tusd_is_pegged_to_usd() -> None:
    source = default_rate_source(SHIPPED)
    tusd, usd, eur = currency("tUSD"), currency("USD"), currency("EUR")
    assert source.mid_rate(tusd, usd).value == 1
    assert source.mid_rate(eur, tusd).value == Fraction("1.0832")


def test_a_currency_without_a_rate_is_refused_naming_its_side() -> None:
    rates = ReferenceRates.from_file(SHIPPED)
    with pytest.raises(NoRate) as raised:
        rates.mid_rate(currency("EUR"), currency("KWD"))
    assert raised.value.field == "buy_currency"
    with pytest.raises(NoRate) as raised:
        rates.mid_rate(currency("KWD"), currency("EUR"))
    assert raised.value.field == "sell_currency"


@pytest.mark.parametrize("rate", ["1,08", "-1", "0", "NaN", ""])
def test_a_malformed_rate_file_is_refused(tmp_path: Path, rate: str) -> None:
    text = SHIPPED.read_text().replace("rate='1.0832'", f"rate='{rate}'")
    with pytest.raises(RateFileError):
        ReferenceRates.parse(text.encode())
