"""EIP-712 typed-data hashing in Python: the digests `contracts/modules/eip712.vy` computes on-chain.

A generic encoder over a type table — a mapping of struct name to its fields, each `(name, solidity type)` —
so every typed intent (see `chain/intents.py`) is hashed by the same code and a wallet's
`eth_signTypedData_v4` agrees with it. Supported field types: `uint<M>`, `int<M>`, `address`, `bool`,
`bytes<M>`, `bytes` and `string` (hashed), structs named in the table (hashed recursively), and arrays
`T[]` / `T[n]` of any of these.

Values are strict Python values, because a digest over a silently coerced value is a signature over something
the signer did not mean: integers are `int` (not `bool`) within the type's range, `bool` is `bool`, addresses
are EIP-55 checksummed strings (or all-lowercase hex, which carries no checksum to get wrong), `bytes<M>` is
exactly M bytes, `bytes` is `bytes`, `string` is `str`, and a struct's value has exactly its fields, no more.
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any

from eth_abi import encode
from eth_abi.exceptions import EncodingError
from eth_utils import is_address, is_checksum_address, keccak

from chain.errors import ChainError

Field = tuple[str, str]
"""A struct field: (name, solidity type), e.g. ("amount", "uint256")."""

Types = Mapping[str, Sequence[Field]]
"""A type table: struct name -> its fields in order (the order is part of the type hash)."""

DOMAIN_TYPE = "EIP712Domain"
DOMAIN_FIELDS: tuple[Field, ...] = (
    ("name", "string"),
    ("version", "string"),
    ("chainId", "uint256"),
    ("verifyingContract", "address"),
)
"""The domain fields every TPWallet contract uses (no salt), in the order the domain type hash fixes."""

TYPED_DATA_PREFIX = b"\x19\x01"
"""EIP-191 version byte 0x01: what precedes the domain separator in a typed-data digest."""

_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_ARRAY = re.compile(r"(?P<element>.+)\[(?P<length>[0-9]*)\]")
_SIZED = re.compile(r"(?P<kind>uint|int|bytes)(?P<size>[0-9]+)")


class Eip712Error(ChainError, ValueError):
    """A type table or a value that EIP-712 cannot encode (unknown type, value of the wrong kind or size)."""


def encode_type(primary_type: str, types: Types) -> str:
    """The type string, e.g. `Mail(Person from,Person to,string contents)Person(string name,address wallet)`.

    The primary type comes first, then every struct it references (directly or not) sorted by name.
    """
    referenced = sorted(_referenced_structs(primary_type, types) - {primary_type})
    return "".join(_encode_one_type(name, types) for name in [primary_type, *referenced])


def type_hash(primary_type: str, types: Types) -> bytes:
    """keccak256 of the type string: what the contracts keep as their `*_TYPEHASH` constants."""
    return keccak(text=encode_type(primary_type, types))


def encode_data(primary_type: str, types: Types, message: Mapping[str, Any]) -> bytes:
    """encodeData: the type hash followed by each field's 32-byte encoding, in field order."""
    return _encode_data(primary_type, primary_type, types, message)


def struct_hash(primary_type: str, types: Types, message: Mapping[str, Any]) -> bytes:
    """hashStruct(message) = keccak256(encodeData(message))."""
    return keccak(encode_data(primary_type, types, message))


def domain_separator(name: str, version: str, chain_id: int, verifying_contract: str) -> bytes:
    """hashStruct(EIP712Domain{name, version, chainId, verifyingContract}), as the eip712 module builds it."""
    domain = {"name": name, "version": version, "chainId": chain_id, "verifyingContract": verifying_contract}
    return struct_hash(DOMAIN_TYPE, {DOMAIN_TYPE: DOMAIN_FIELDS}, domain)


def typed_data_digest(separator: bytes, message_hash: bytes) -> bytes:
    """The digest a signer signs: keccak256("\\x19\\x01" || domain separator || hashStruct(message))."""
    if len(separator) != 32 or len(message_hash) != 32:
        raise Eip712Error("a domain separator and a struct hash are 32 bytes each")
    return keccak(TYPED_DATA_PREFIX + separator + message_hash)


def _encode_data(path: str, struct: str, types: Types, message: Mapping[str, Any]) -> bytes:
    """encodeData of `struct`; `path` names the value in errors (e.g. `Order.legs[2]`)."""
    fields = _fields_of(struct, types)
    names = [name for name, _ in fields]
    missing = [name for name in names if name not in message]
    unexpected = sorted(str(key) for key in set(message) - set(names))
    if missing or unexpected:
        raise Eip712Error(f"{path}: missing fields {missing}, unexpected fields {unexpected}")
    encoded = [_encode_value(f"{path}.{name}", typ, types, message[name]) for name, typ in fields]
    return type_hash(struct, types) + b"".join(encoded)


def _fields_of(struct: str, types: Types) -> Sequence[Field]:
    if struct not in types:
        raise Eip712Error(f"unknown struct type {struct!r}")
    return types[struct]


def _encode_one_type(struct: str, types: Types) -> str:
    fields = _fields_of(struct, types)
    for name, typ in fields:
        if not _IDENTIFIER.fullmatch(name):
            raise Eip712Error(f"{struct}: field name {name!r} is not an identifier")
        _check_type(struct, typ, types)
    return f"{struct}({','.join(f'{typ} {name}' for name, typ in fields)})"


def _check_type(struct: str, typ: str, types: Types) -> None:
    element = _array_element(typ)
    if element is not None:
        _check_type(struct, element[0], types)
    elif not (typ in types or _is_atomic(typ) or typ in ("bytes", "string")):
        raise Eip712Error(f"{struct}: unknown field type {typ!r}")


def _referenced_structs(struct: str, types: Types) -> set[str]:
    """`struct` and every struct reachable from its fields (cycles allowed)."""
    found: set[str] = set()
    pending = [struct]
    while pending:
        current = pending.pop()
        if current in found:
            continue
        found.add(current)
        for _, typ in _fields_of(current, types):
            base = _base_type(typ)
            if base in types:
                pending.append(base)
    return found


def _base_type(typ: str) -> str:
    element = _array_element(typ)
    return typ if element is None else _base_type(element[0])


def _array_element(typ: str) -> tuple[str, int | None] | None:
    """(element type, fixed length or None) for an array type, None for anything else."""
    match = _ARRAY.fullmatch(typ)
    if match is None:
        return None
    length = match["length"]
    return match["element"], int(length) if length else None


def _is_atomic(typ: str) -> bool:
    if typ in ("address", "bool"):
        return True
    match = _SIZED.fullmatch(typ)
    if match is None or match["size"].startswith("0"):
        return False
    size = int(match["size"])
    if match["kind"] == "bytes":
        return 1 <= size <= 32
    return size % 8 == 0 and 8 <= size <= 256


def _encode_value(path: str, typ: str, types: Types, value: Any) -> bytes:
    """A field's 32-byte encoding: atomic values ABI-encoded, everything dynamic or nested hashed."""
    element = _array_element(typ)
    if element is not None:
        element_type, length = element
        if not isinstance(value, list | tuple):
            raise Eip712Error(f"{path}: {typ} needs a list, got {type(value).__name__}")
        if length is not None and len(value) != length:
            raise Eip712Error(f"{path}: {typ} needs {length} elements, got {len(value)}")
        items = [_encode_value(f"{path}[{i}]", element_type, types, item) for i, item in enumerate(value)]
        return keccak(b"".join(items))
    if typ in types:
        if not isinstance(value, Mapping):
            raise Eip712Error(f"{path}: struct {typ} needs a mapping, got {type(value).__name__}")
        return keccak(_encode_data(path, typ, types, value))
    if typ == "bytes":
        if not isinstance(value, bytes):
            raise Eip712Error(f"{path}: bytes needs a bytes value, got {type(value).__name__}")
        return keccak(value)
    if typ == "string":
        if not isinstance(value, str):
            raise Eip712Error(f"{path}: string needs a str value, got {type(value).__name__}")
        return keccak(text=value)
    if not _is_atomic(typ):
        raise Eip712Error(f"{path}: unknown field type {typ!r}")
    return _encode_atomic(path, typ, value)


def _encode_atomic(path: str, typ: str, value: Any) -> bytes:
    if typ == "address":
        if not isinstance(value, str) or not is_address(value):
            raise Eip712Error(f"{path}: not a 20-byte hex address")
        if value != value.lower() and not is_checksum_address(value):
            raise Eip712Error(f"{path}: address fails its EIP-55 checksum")
    elif typ == "bool":
        if not isinstance(value, bool):
            raise Eip712Error(f"{path}: bool needs a bool value, got {type(value).__name__}")
    elif typ.startswith("bytes"):
        size = int(typ.removeprefix("bytes"))
        if not isinstance(value, bytes) or len(value) != size:
            raise Eip712Error(f"{path}: {typ} needs exactly {size} bytes")
    elif not isinstance(value, int) or isinstance(value, bool):
        raise Eip712Error(f"{path}: {typ} needs an int value, got {type(value).__name__}")
    try:
        return encode([typ], [value])
    except EncodingError as exc:  # an integer out of the type's range
        raise Eip712Error(f"{path}: value out of range for {typ}") from exc
