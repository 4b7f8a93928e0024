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

What never changes is computed once: a type hash per type table (keyed by the table's content, so an edited
table is a new key), a domain separator per (name, version, chain id, verifying contract), and the 32-byte
encoding of each address seen. Custody signer nodes digest every intent they are asked to sign more than
once, and these are most of a digest's cost.
"""

import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from eth_utils import is_address, is_checksum_address, keccak, to_canonical_address

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
    key = _types_key(types)
    if key is None:
        return keccak(text=encode_type(primary_type, types))
    return _cached_type_hash(primary_type, key)


_TypesKey = tuple[tuple[str, tuple[Field, ...]], ...]


def _types_key(types: Types) -> _TypesKey | None:
    """A hashable copy of a type table's content (None if it holds something unhashable)."""
    try:
        key = tuple((name, tuple(tuple(field) for field in fields)) for name, fields in types.items())
        hash(key)
    except TypeError:
        return None
    return key  # type: ignore[return-value]


@functools.lru_cache(maxsize=256)
def _cached_type_hash(primary_type: str, key: _TypesKey) -> bytes:
    return keccak(text=encode_type(primary_type, dict(key)))


def encode_data(primary_type: str, types: Types, message: Mapping[str, Any]) -> bytes:
    """encodeData: the type hash followed by each field's 32-byte encoding, in field order."""
    return _encode_data(primary_type, primary_type, types, message)


def struct_hash(primary_type: str, types: Types, message: Mapping[str, Any]) -> bytes:
    """hashStruct(message) = keccak256(encodeData(message))."""
    return keccak(encode_data(primary_type, types, message))


def domain_separator(name: str, version: str, chain_id: int, verifying_contract: str) -> bytes:
    """hashStruct(EIP712Domain{name, version, chainId, verifyingContract}), as the eip712 module builds it.

    Cached per domain; only values of exactly the right types are looked up (so `True` never passes for the
    chain id 1), anything else is validated and refused as before."""
    exact = (type(name), type(version), type(chain_id), type(verifying_contract)) == (str, str, int, str)
    if exact:
        return _cached_domain_separator(name, version, chain_id, verifying_contract)
    return _domain_separator(name, version, chain_id, verifying_contract)


def _domain_separator(name: str, version: str, chain_id: int, verifying_contract: str) -> bytes:
    domain = {"name": name, "version": version, "chainId": chain_id, "verifyingContract": verifying_contract}
    return struct_hash(DOMAIN_TYPE, {DOMAIN_TYPE: DOMAIN_FIELDS}, domain)


_cached_domain_separator: Final = functools.lru_cache(maxsize=1024)(_domain_separator)


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
    """The ABI encoding of one atomic value, as eth-abi's, computed directly (every one is a single word)."""
    if typ == "address":
        if not isinstance(value, str):
            raise Eip712Error(f"{path}: not a 20-byte hex address")
        encoded = _encode_address(value)
        if encoded is None:
            raise Eip712Error(f"{path}: not a 20-byte hex address")
        if not encoded:
            raise Eip712Error(f"{path}: address fails its EIP-55 checksum")
        return encoded
    if typ == "bool":
        if not isinstance(value, bool):
            raise Eip712Error(f"{path}: bool needs a bool value, got {type(value).__name__}")
        return _TRUE_WORD if value else _ZERO_WORD
    if typ.startswith("bytes"):
        size = int(typ.removeprefix("bytes"))
        if not isinstance(value, bytes) or len(value) != size:
            raise Eip712Error(f"{path}: {typ} needs exactly {size} bytes")
        return value + bytes(_WORD - size)
    if not isinstance(value, int) or isinstance(value, bool):
        raise Eip712Error(f"{path}: {typ} needs an int value, got {type(value).__name__}")
    signed = typ.startswith("int")
    bits = int(typ[3:] if signed else typ[4:])
    low, high = (-(1 << (bits - 1)), 1 << (bits - 1)) if signed else (0, 1 << bits)
    if not low <= value < high:  # an integer out of the type's range
        raise Eip712Error(f"{path}: value out of range for {typ}")
    return (value % _WORD_MODULUS).to_bytes(_WORD, "big")


_WORD: Final = 32
_WORD_MODULUS: Final = 1 << 256
_ZERO_WORD: Final = bytes(_WORD)
_TRUE_WORD: Final = (1).to_bytes(_WORD, "big")


@functools.lru_cache(maxsize=4096)
def _encode_address(value: str) -> bytes | None:
    """The 32-byte word of an address; None if it is no address, b"" if it fails its EIP-55 checksum."""
    if not is_address(value):
        return None
    if value != value.lower() and not is_checksum_address(value):
        return b""
    return bytes(_WORD - 20) + to_canonical_address(value)
