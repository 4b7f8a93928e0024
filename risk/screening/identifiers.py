"""Exact identifiers, written one way so equal ones compare equal: chain addresses and IBANs.

An EVM address (0x and 40 hex digits) is compared lower-cased: its EIP-55 checksum is only letter case, so
`0xAbC...` and `0xabc...` are the same account. Other chains' addresses (Bitcoin base58, Tron, ...) are
case-sensitive and kept as written, except bech32 (`bc1...`), which is case-insensitive and lower-cased.
IBANs are compacted and checked with schwifty; a list's IBAN that fails the check is still compared in its
compact upper-case form (a list is evidence, not input to validate).
"""

import re
from typing import Final

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from risk.screening.errors import InvalidIdentifier

EVM_ADDRESS: Final = re.compile(r"0x[0-9a-fA-F]{40}")
BECH32_PREFIXES: Final = ("bc1", "tb1", "ltc1")
MAX_ADDRESS_LENGTH: Final = 128


def chain_address(value: str) -> str:
    """`value` as compared: EVM lower-cased, bech32 lower-cased, anything else as written (trimmed)."""
    text = value.strip()
    if not text or len(text) > MAX_ADDRESS_LENGTH or any(c.isspace() for c in text):
        raise InvalidIdentifier(f"{value!r} is not a chain address", field="address")
    if EVM_ADDRESS.fullmatch(text) or text.lower().startswith(BECH32_PREFIXES):
        return text.lower()
    return text


def iban(value: str) -> str:
    """A caller's IBAN, compact and upper-case; refused when its country, length or checksum is wrong."""
    try:
        return str(IBAN(value).compact)
    except SchwiftyException as error:
        raise InvalidIdentifier(f"not a valid IBAN: {error}", field="iban") from error


def listed_iban(value: str) -> str:
    """A list's IBAN as compared: schwifty's compact form when valid, else compacted and upper-cased."""
    try:
        return iban(value)
    except InvalidIdentifier:
        return re.sub(r"\s", "", value).upper()
