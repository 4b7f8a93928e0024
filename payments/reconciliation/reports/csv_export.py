"""CSV as the reports export it: amounts in major units as exact decimal strings, and no cell a
spreadsheet would run as a formula.

Amounts are ints in minor units; a cell shows them in major units with the currency's exponent (ISO 4217:
2 for EUR, 0 for JPY, 3 for KWD), computed in integers, so "-12.05" is exactly -1205 cents. A text cell
starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'` (OWASP's advice on CSV
injection), so a reference a merchant or a rail chose cannot become a formula. Amount cells are exempt:
they are numbers this module wrote (a leading `-` is a sign), and prefixing them would turn every
negative amount into text for the accountant's spreadsheet.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in minor units of a currency whose minor unit is 10^-`exponent` of the major."""

    amount: int
    exponent: int

    def __str__(self) -> str:
        if self.exponent == 0:
            return str(self.amount)
        sign = "-" if self.amount < 0 else ""
        whole, fraction = divmod(abs(self.amount), 10**self.exponent)
        return f"{sign}{whole}.{fraction:0{self.exponent}d}"


Cell = str | Money


def safe_text(value: str) -> str:
    """`value`, prefixed with `'` if a spreadsheet would read it as a formula."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """The CSV document (RFC 4180, CRLF line ends) of `header` and `rows`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_text(name) for name in header])
    for row in rows:
        writer.writerow([str(cell) if isinstance(cell, Money) else safe_text(cell) for cell in row])
    return out.getvalue()
