"""Mid-market rates: a pluggable `RateSource`, the ECB's reference file by default, tUSD pegged to USD.

A rate is an exact rational (`fractions.Fraction`): how many major units of the buy currency one major unit
of the sell currency is worth. The reference file is the ECB's own format (eurofxref-daily.xml: one `Cube`
per currency, `rate` in that currency per euro), read as decimal strings straight into fractions, never
through a float; a cross rate is derived through the euro (USD->JPY = JPY per EUR / USD per EUR), exactly.
A source that lacks a currency says so (`NoRate`, naming the request field), it never guesses.
"""

import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Final, Protocol

from payments.fx.currency import TUSD, Currency, currency
from payments.fx.errors import NoRate

ECB_NAMESPACE: Final = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"
BASE: Final = "EUR"


@dataclass(frozen=True, slots=True)
class Rate:
    """`value` major units of the buy currency per major unit of the sell currency, as published `as_of`."""

    value: Fraction
    as_of: date


class RateSource(Protocol):
    """Where mid-market rates come from (a reference file, a market data feed, a test's table)."""

    def mid_rate(self, sell: Currency, buy: Currency) -> Rate:
        """The mid rate of selling `sell` for `buy`; `NoRate` if the source has none for either."""
        ...


class RateFileError(ValueError):
    """A reference rate file that is not in the ECB's format (the operator's, not a client's, problem)."""


def _fraction(text: str, where: str) -> Fraction:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise RateFileError(f"{where}: rate {text!r} is not a decimal number") from None
    if not value.is_finite() or value <= 0:
        raise RateFileError(f"{where}: rate {text!r} is not a positive number")
    return Fraction(value)


@dataclass(frozen=True)
class ReferenceRates:
    """One day's reference rates: `per_base[code]` units of `code` per euro."""

    as_of: date
    per_base: Mapping[str, Fraction]

    @classmethod
    def parse(cls, document: bytes, where: str = "rates") -> "ReferenceRates":
        """Rates from an ECB eurofxref XML document (the daily file: one dated `Cube`)."""
        root = ElementTree.fromstring(document)  # noqa: S314 - the operator's own file, not a client's input
        days = [cube for cube in root.iter(f"{ECB_NAMESPACE}Cube") if "time" in cube.attrib]
        if len(days) != 1:
            raise RateFileError(f"{where}: expected one dated Cube (a daily file), found {len(days)}")
        rates = {BASE: Fraction(1)}
        for cube in days[0]:
            code = cube.attrib.get("currency", "")
            rates[code] = _fraction(cube.attrib.get("rate", ""), f"{where}: {code}")
        return cls(date.fromisoformat(days[0].attrib["time"]), rates)

    @classmethod
    def from_file(cls, path: Path) -> "ReferenceRates":
        return cls.parse(path.read_bytes(), str(path))

    def _per_base(self, side: Currency, field_name: str) -> Fraction:
        rate = self.per_base.get(side.code)
        if rate is None:
            raise NoRate(f"the reference rates of {self.as_of} have no rate for {side.code}", field_name)
        return rate

    def mid_rate(self, sell: Currency, buy: Currency) -> Rate:
        sell_rate = self._per_base(sell, "sell_currency")
        return Rate(self._per_base(buy, "buy_currency") / sell_rate, self.as_of)


@dataclass(frozen=True)
class PeggedRates:
    """`source`'s rates, plus currencies pegged to one it knows: `pegs[code] = (anchor, anchor units per
    unit)`. The devnet's tUSD is redeemable 1:1 for USD, so it is priced as USD."""

    source: RateSource
    pegs: Mapping[str, tuple[str, Fraction]] = field(default_factory=dict)

    def _anchor(self, side: Currency) -> tuple[Currency, Fraction]:
        if side.code not in self.pegs:
            return side, Fraction(1)
        anchor, units = self.pegs[side.code]
        return currency(anchor), units

    def mid_rate(self, sell: Currency, buy: Currency) -> Rate:
        sell_anchor, sell_units = self._anchor(sell)
        buy_anchor, buy_units = self._anchor(buy)
        anchored = self.source.mid_rate(sell_anchor, buy_anchor)
        return Rate(anchored.value * sell_units / buy_units, anchored.as_of)


TUSD_PEG: Final = {TUSD.code: ("USD", Fraction(1))}


def default_rate_source(path: Path) -> RateSource:
    """The reference file at `path`, with tUSD pegged 1:1 to USD."""
    return PeggedRates(ReferenceRates.from_file(path), TUSD_PEG)
