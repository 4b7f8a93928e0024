"""Currencies and their minor units: ISO 4217 through the `iso4217` package, plus the devnet's tUSD.

Amounts are ints in a currency's minor unit (10^-exponent of a major unit), as the ledger keeps them. A code
ISO 4217 does not know is refused, and so is one it knows without a minor unit (gold, silver, the SDR, the
testing and "no currency" codes: XAU, XAG, XDR, XTS, XXX...): such an amount has no smallest unit to round
to, so it cannot be paid in minor units.

tUSD, the devnet's stablecoin, is not ISO 4217. It is configured here as a currency of its own: code "tUSD"
(the token's symbol, as clients know it), exponent 6 (the token's `decimals`, contracts/Token.vy), so one
minor unit is one base unit on chain. The ledger keys a currency by three capital letters, so tUSD's ledger
code is "QTU": from ISO 3166's user-assigned range (QM-QZ), which ISO 4217 never allocates, so it cannot
collide with a real currency.
"""

import re
from dataclasses import dataclass
from typing import Final

from iso4217 import Currency as Iso4217

from payments.fx.errors import UnknownCurrency

_ISO_CODE: Final = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True, slots=True)
class Currency:
    """A currency as FX uses it: the code clients send, its minor-unit exponent, its ledger currency."""

    code: str
    exponent: int
    ledger_code: str

    @property
    def minor_units_per_major(self) -> int:
        return 10**self.exponent

    def __str__(self) -> str:
        return self.code


TUSD: Final = Currency(code="tUSD", exponent=6, ledger_code="QTU")
NON_ISO: Final = {TUSD.code: TUSD}
"""Currencies that are not ISO 4217, by code."""


def currency(code: str, field: str = "currency") -> Currency:
    """The currency `code` names (case-sensitive: "EUR", "tUSD"); `UnknownCurrency` (about the request field
    `field`) saying why not."""
    if code in NON_ISO:
        return NON_ISO[code]
    if not _ISO_CODE.fullmatch(code):
        raise UnknownCurrency(f"{code!r} is not an ISO 4217 code (three capital letters) nor tUSD", field)
    try:
        found = Iso4217(code)
    except ValueError:
        raise UnknownCurrency(f"{code} is not an ISO 4217 currency", field) from None
    if found.exponent is None:
        raise UnknownCurrency(
            f"{code} ({found.currency_name}) has no minor unit: it cannot be paid in one", field
        )
    return Currency(code=code, exponent=int(found.exponent), ledger_code=code)
