"""Exact identifiers: EVM addresses checksum-insensitive, other chains case-sensitive, IBANs via schwifty."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from risk.screening import identifiers
from risk.screening.errors import InvalidIdentifier
from risk.screening.index import ListIndex
from risk.screening.model import HitKind
from risk.screening.sdn import SdnList

LISTED_ETH = "0xcA978112CA1bBDCAfac231b39a23dC4da786eff8"


@pytest.mark.parametrize(
    "written", [LISTED_ETH, LISTED_ETH.lower(), "0x" + LISTED_ETH[2:].upper(), f" {LISTED_ETH} "]
)
def test_an_eth_address_matches_whatever_its_letter_case(sample: SdnList, written: str):
    [hit] = ListIndex(sample).chain_address(written)
    assert (hit.ent_num, hit.kind, hit.score) == (9001, HitKind.ADDRESS, 100.0)
    assert hit.listed == f"ETH {LISTED_ETH}"


def test_a_base58_address_is_case_sensitive(sample: SdnList):
    index = ListIndex(sample)
    assert [hit.ent_num for hit in index.chain_address("1BoatSLRHtKNngkdXEeobR76b53LETtpyT")] == [9001]
    assert index.chain_address("1boatslrhtknngkdxeeobr76b53lettpyt") == []


def test_an_address_one_digit_off_is_clear(sample: SdnList):
    assert ListIndex(sample).chain_address(LISTED_ETH[:-1] + "9") == []


@pytest.mark.parametrize("written", ["DE62 3704 0044 0532 0130 01", "de62370400440532013001"])
def test_an_iban_matches_however_written(sample: SdnList, written: str):
    [hit] = ListIndex(sample).iban(written)
    assert (hit.ent_num, hit.kind) == (9002, HitKind.IBAN)


def test_another_valid_iban_is_clear(sample: SdnList):
    assert ListIndex(sample).iban("DE89 3704 0044 0532 0130 00") == []


@pytest.mark.parametrize("bad", ["DE62 3704 0044 0532 0130 02", "XX00", ""])
def test_an_invalid_iban_is_refused_naming_the_field(bad: str):
    with pytest.raises(InvalidIdentifier) as refused:
        identifiers.iban(bad)
    assert refused.value.field == "iban"


@pytest.mark.parametrize("bad", ["", "   ", "0x12 34", "a" * 129])
def test_an_impossible_chain_address_is_refused(bad: str):
    with pytest.raises(InvalidIdentifier) as refused:
        identifiers.chain_address(bad)
    assert refused.value.field == "address"


def test_bech32_is_lower_cased_and_a_bad_listed_iban_still_compares():
    assert identifiers.chain_address("BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ") == (
        "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
    )
    assert identifiers.listed_iban("ir00 1234 5678") == "IR0012345678"


def test_an_address_listed_under_two_currencies_is_one_hit(sample: SdnList):
    [hit] = ListIndex(sample).chain_address("0x2e7d2c03a9507ae265ecf5b5356885a53393a202")
    assert (hit.ent_num, hit.listed) == (9007, "ETH 0x2E7d2C03a9507AE265ecF5b5356885a53393A202")


@given(st.binary(min_size=20, max_size=20), st.lists(st.booleans(), min_size=40, max_size=40))
def test_any_letter_case_of_an_evm_address_compares_equal(raw: bytes, upper: list[bool]):
    digits = raw.hex()
    cased = "".join(c.upper() if up else c for c, up in zip(digits, upper, strict=True))
    assert identifiers.chain_address("0x" + cased) == "0x" + digits
