"""chain.eip712 against the EIP-712 specification's worked example and against eth-account's encoder."""

import re
from typing import Any

import pytest
from eth_account.messages import encode_typed_data
from eth_utils import keccak, to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from chain.eip712 import (
    Eip712Error,
    Types,
    domain_separator,
    encode_type,
    struct_hash,
    type_hash,
    typed_data_digest,
)

# The example of EIP-712 itself (eips.ethereum.org/EIPS/eip-712, "Example" and its test vectors).
MAIL_TYPES: Types = {
    "Mail": [("from", "Person"), ("to", "Person"), ("contents", "string")],
    "Person": [("name", "string"), ("wallet", "address")],
}
MAIL = {
    "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
    "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
    "contents": "Hello, Bob!",
}
MAIL_DOMAIN = ("Ether Mail", "1", 1, "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC")

# A type table that touches every kind of field the encoder supports.
WIDE_TYPES: Types = {
    "Wide": [
        ("small", "uint8"),
        ("medium", "uint64"),
        ("large", "uint256"),
        ("signed", "int256"),
        ("flag", "bool"),
        ("account", "address"),
        ("selector", "bytes4"),
        ("root", "bytes32"),
        ("payload", "bytes"),
        ("memo", "string"),
        ("amounts", "uint256[]"),
        ("pair", "bytes32[2]"),
        ("leg", "Leg"),
        ("legs", "Leg[]"),
    ],
    "Leg": [("asset", "address"), ("quantity", "int64"), ("tag", "string")],
}
WIDE_TYPE_STRING = (
    "Wide(uint8 small,uint64 medium,uint256 large,int256 signed,bool flag,address account,bytes4 selector,"
    "bytes32 root,bytes payload,string memo,uint256[] amounts,bytes32[2] pair,Leg leg,Leg[] legs)"
    "Leg(address asset,int64 quantity,string tag)"
)

addresses = st.binary(min_size=20, max_size=20).map(to_checksum_address)
legs = st.fixed_dictionaries(
    {"asset": addresses, "quantity": st.integers(-(2**63), 2**63 - 1), "tag": st.text(max_size=20)}
)
wide_messages = st.fixed_dictionaries(
    {
        "small": st.integers(0, 2**8 - 1),
        "medium": st.integers(0, 2**64 - 1),
        "large": st.integers(0, 2**256 - 1),
        "signed": st.integers(-(2**255), 2**255 - 1),
        "flag": st.booleans(),
        "account": addresses,
        "selector": st.binary(min_size=4, max_size=4),
        "root": st.binary(min_size=32, max_size=32),
        "payload": st.binary(max_size=200),
        "memo": st.text(max_size=40),
        "amounts": st.lists(st.integers(0, 2**256 - 1), max_size=4),
        "pair": st.lists(st.binary(min_size=32, max_size=32), min_size=2, max_size=2),
        "leg": legs,
        "legs": st.lists(legs, max_size=3),
    }
)
domains = st.tuples(
    st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=8), st.integers(0, 2**64), addresses
)


def eth_account_digest(domain: tuple[str, str, int, str], types: Types, message: dict[str, Any]) -> bytes:
    name, version, chain_id, verifying_contract = domain
    signable = encode_typed_data(
        domain_data={
            "name": name,
            "version": version,
            "chainId": chain_id,
            "verifyingContract": verifying_contract,
        },
        message_types={
            struct: [{"name": field, "type": typ} for field, typ in fields]
            for struct, fields in types.items()
        },
        message_data=message,
    )
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def test_mail_example_matches_the_eip() -> None:
    assert encode_type("Mail", MAIL_TYPES) == (
        "Mail(Person from,Person to,string contents)Person(string name,address wallet)"
    )
    assert type_hash("Mail", MAIL_TYPES).hex() == (
        "a0cedeb2dc280ba39b857546d74f5549c3a1d7bdc2dd96bf881f76108e23dac2"
    )
    assert struct_hash("Mail", MAIL_TYPES, MAIL).hex() == (
        "c52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e"
    )
    separator = domain_separator(*MAIL_DOMAIN)
    assert separator.hex() == "f2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f"
    digest = typed_data_digest(separator, struct_hash("Mail", MAIL_TYPES, MAIL))
    assert digest.hex() == "be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2"
    assert digest == eth_account_digest(MAIL_DOMAIN, MAIL_TYPES, MAIL)


def test_referenced_structs_are_sorted_after_the_primary_type() -> None:
    assert encode_type("Wide", WIDE_TYPES) == WIDE_TYPE_STRING
    types: Types = {"Z": [("b", "B"), ("a", "A[]")], "A": [("x", "uint8")], "B": [("a", "A")]}
    assert encode_type("Z", types) == "Z(B b,A[] a)A(uint8 x)B(A a)"


@given(domain=domains, message=wide_messages)
def test_digest_matches_eth_account(domain: tuple[str, str, int, str], message: dict[str, Any]) -> None:
    digest = typed_data_digest(domain_separator(*domain), struct_hash("Wide", WIDE_TYPES, message))
    assert digest == eth_account_digest(domain, WIDE_TYPES, message)


@given(message=wide_messages, other=wide_messages)
def test_different_messages_have_different_hashes(message: dict[str, Any], other: dict[str, Any]) -> None:
    assert (struct_hash("Wide", WIDE_TYPES, message) == struct_hash("Wide", WIDE_TYPES, other)) == (
        message == other
    )


def test_domain_separator_binds_every_field() -> None:
    base = domain_separator(*MAIL_DOMAIN)
    variants = [
        ("Ether Mail!", "1", 1, MAIL_DOMAIN[3]),
        ("Ether Mail", "2", 1, MAIL_DOMAIN[3]),
        ("Ether Mail", "1", 2, MAIL_DOMAIN[3]),
        ("Ether Mail", "1", 1, "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"),
    ]
    assert len({base, *(domain_separator(*variant) for variant in variants)}) == 5


def test_lowercase_address_hashes_like_its_checksummed_form() -> None:
    lowercase = dict(MAIL, to={"name": "Bob", "wallet": MAIL["to"]["wallet"].lower()})  # type: ignore[index]
    assert struct_hash("Mail", MAIL_TYPES, lowercase) == struct_hash("Mail", MAIL_TYPES, MAIL)


def wide_message(**changes: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "small": 1,
        "medium": 2,
        "large": 3,
        "signed": -4,
        "flag": True,
        "account": MAIL_DOMAIN[3],
        "selector": b"\x01\x02\x03\x04",
        "root": b"\x05" * 32,
        "payload": b"\x06",
        "memo": "memo",
        "amounts": [7],
        "pair": [b"\x08" * 32, b"\x09" * 32],
        "leg": {"asset": MAIL_DOMAIN[3], "quantity": -10, "tag": "t"},
        "legs": [],
    }
    message.update(changes)
    return message


def test_the_valid_wide_message_encodes() -> None:
    assert len(struct_hash("Wide", WIDE_TYPES, wide_message())) == 32


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"small": 256}, "Wide.small: value out of range for uint8"),
        ({"small": -1}, "Wide.small: value out of range for uint8"),
        ({"signed": 2**255}, "Wide.signed: value out of range for int256"),
        ({"large": True}, "Wide.large: uint256 needs an int value, got bool"),
        ({"large": "3"}, "Wide.large: uint256 needs an int value, got str"),
        ({"flag": 1}, "Wide.flag: bool needs a bool value, got int"),
        ({"account": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccc"}, "Wide.account: address fails its EIP-55"),
        ({"account": "0x1234"}, "Wide.account: not a 20-byte hex address"),
        ({"account": b"\x01" * 20}, "Wide.account: not a 20-byte hex address"),
        ({"selector": b"\x01\x02\x03"}, "Wide.selector: bytes4 needs exactly 4 bytes"),
        ({"root": b"\x05" * 31}, "Wide.root: bytes32 needs exactly 32 bytes"),
        ({"root": "0x" + "05" * 32}, "Wide.root: bytes32 needs exactly 32 bytes"),
        ({"payload": "0x06"}, "Wide.payload: bytes needs a bytes value, got str"),
        ({"memo": b"memo"}, "Wide.memo: string needs a str value, got bytes"),
        ({"amounts": 7}, "Wide.amounts: uint256[] needs a list, got int"),
        ({"amounts": [2**256]}, "Wide.amounts[0]: value out of range for uint256"),
        ({"pair": [b"\x08" * 32]}, "Wide.pair: bytes32[2] needs 2 elements, got 1"),
        ({"leg": [MAIL_DOMAIN[3], -10, "t"]}, "Wide.leg: struct Leg needs a mapping, got list"),
        ({"leg": {"asset": MAIL_DOMAIN[3], "quantity": -10}}, "Wide.leg: missing fields ['tag']"),
        (
            {"legs": [{"asset": MAIL_DOMAIN[3], "quantity": 2**63, "tag": ""}]},
            "Wide.legs[0].quantity: value out of range for int64",
        ),
        ({"extra": 1}, "Wide: missing fields [], unexpected fields ['extra']"),
    ],
)
def test_values_that_do_not_fit_their_type_are_refused(changes: dict[str, Any], error: str) -> None:
    with pytest.raises(Eip712Error, match=re.escape(error)):
        struct_hash("Wide", WIDE_TYPES, wide_message(**changes))


@pytest.mark.parametrize(
    ("types", "error"),
    [
        ({"S": [("x", "uint7")]}, "S: unknown field type 'uint7'"),
        ({"S": [("x", "uint264")]}, "S: unknown field type 'uint264'"),
        ({"S": [("x", "uint08")]}, "S: unknown field type 'uint08'"),
        ({"S": [("x", "bytes33")]}, "S: unknown field type 'bytes33'"),
        ({"S": [("x", "bytes0")]}, "S: unknown field type 'bytes0'"),
        ({"S": [("x", "Missing")]}, "S: unknown field type 'Missing'"),
        ({"S": [("x", "Missing[]")]}, "S: unknown field type 'Missing'"),
        ({"S": [("x y", "uint8")]}, "S: field name 'x y' is not an identifier"),
    ],
)
def test_malformed_type_tables_are_refused(types: Types, error: str) -> None:
    with pytest.raises(Eip712Error, match=re.escape(error)):
        type_hash("S", types)


def test_unknown_primary_type_is_refused() -> None:
    with pytest.raises(Eip712Error, match="unknown struct type 'Nope'"):
        struct_hash("Nope", MAIL_TYPES, {})


def test_typed_data_digest_takes_two_32_byte_hashes() -> None:
    with pytest.raises(Eip712Error, match="32 bytes each"):
        typed_data_digest(b"\x00" * 31, b"\x00" * 32)
