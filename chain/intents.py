"""The typed intents TPWallet's signers sign: EIP-712 structs with their digests and strict JSON decoding.

Every intent the treasury owners or the custody group key sign is one of these frozen dataclasses. Each field
is annotated with its solidity type, which fixes the EIP-712 type string (field order = declaration order;
EIP-712 names are the attributes in camelCase, `prev_root` -> `prevRoot`), so the type string, the validation
and the encoding cannot drift apart. The digest is the one the verifying contract computes with
`contracts/modules/eip712.vy`; a test holds the two equal.

Custody signer nodes decode the intents they are asked to sign (`decode_intent`) and re-check them against
policy, never signing a raw digest; decoding therefore accepts one spelling of each value and nothing loose:

- addresses: EIP-55 checksummed strings;
- unsigned integers: JSON integers, or decimal strings without sign, spaces or leading zeros (for clients
  whose JSON numbers are doubles), within the type's range;
- `bytes32`: "0x" and exactly 64 hex digits; `bytes`: "0x" and an even number of hex digits;
- exactly the intent's fields: a missing or an unknown key is an error.

Constructing an intent in Python checks the same rules on Python values (`int`, `bytes`, checksummed `str`).
"""

import dataclasses
import functools
import re
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Self, get_type_hints

from eth_utils import is_checksum_address

from chain.eip712 import DOMAIN_FIELDS, DOMAIN_TYPE, Types, domain_separator, struct_hash, typed_data_digest
from chain.errors import ChainError

DOMAIN_NAME = "TPWallet"
DOMAIN_VERSION = "1"
"""The signing domain of every TPWallet contract (a token's permit domain uses the token's name instead)."""


class SolidityType(str):
    """Annotation metadata naming a field's solidity type, e.g. `Annotated[int, SolidityType("uint64")]`."""

    __slots__ = ()


Address = Annotated[str, SolidityType("address")]
Uint8 = Annotated[int, SolidityType("uint8")]
Uint64 = Annotated[int, SolidityType("uint64")]
Uint256 = Annotated[int, SolidityType("uint256")]
Bytes32 = Annotated[bytes, SolidityType("bytes32")]
DynamicBytes = Annotated[bytes, SolidityType("bytes")]

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
"""`TreasuryTx.token` and `CustodyTransfer.token` for ether."""

_STRUCT_HASH_CACHE = "_struct_hash"
_is_checksummed = functools.lru_cache(maxsize=4096)(is_checksum_address)
"""EIP-55 validity of an address string (a keccak each), remembered: the same few addresses recur."""
_UINT = re.compile(r"uint(?P<bits>[0-9]+)")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,77}")
"""A decimal string integer: no sign, no leading zero, at most the 78 digits of the largest uint256."""
_HEX = re.compile(r"0x(?P<digits>(?:[0-9a-fA-F]{2})*)")


class IntentError(ChainError, ValueError):
    """An intent with a missing, unknown or malformed field: never sign it."""


@dataclasses.dataclass(frozen=True)
class _Field:
    attribute: str
    eip712_name: str
    solidity_type: str


class Intent:
    """Base of the typed intents: EIP-712 encoding, digest, validation and JSON, from field annotations."""

    PRIMARY_TYPE: ClassVar[str]

    def __post_init__(self) -> None:
        for field in _fields(type(self)):
            _check_value(
                f"{self.PRIMARY_TYPE}.{field.eip712_name}",
                field.solidity_type,
                getattr(self, field.attribute),
            )

    @classmethod
    def eip712_types(cls) -> Types:
        """The type table of this intent (no EIP712Domain entry): primary type -> [(name, type), ...]."""
        return {cls.PRIMARY_TYPE: [(field.eip712_name, field.solidity_type) for field in _fields(cls)]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Self:
        """Decodes the intent from its JSON message (EIP-712 field names), refusing anything not canonical."""
        if not isinstance(data, Mapping):
            raise IntentError(f"{cls.PRIMARY_TYPE}: the message must be a JSON object")
        fields = _fields(cls)
        expected = {field.eip712_name for field in fields}
        missing = sorted(expected - set(data))
        unexpected = sorted(str(key) for key in set(data) - expected)
        if missing or unexpected:
            raise IntentError(f"{cls.PRIMARY_TYPE}: missing fields {missing}, unknown fields {unexpected}")
        values = {
            field.attribute: _decode_json_value(
                f"{cls.PRIMARY_TYPE}.{field.eip712_name}", field.solidity_type, data[field.eip712_name]
            )
            for field in fields
        }
        return cls(**values)

    def to_json(self, *, uint256_as_string: bool = False) -> dict[str, Any]:
        """The JSON message `from_json` takes: EIP-712 field names, ints as JSON integers, bytes as 0x-hex.

        With `uint256_as_string`, uint256 values are decimal strings instead: the API's spelling, for clients
        whose JSON numbers are doubles (narrower uints stay integers; they fit in 53 bits)."""
        message: dict[str, Any] = {}
        for field in _fields(type(self)):
            value = getattr(self, field.attribute)
            if isinstance(value, bytes):
                value = "0x" + value.hex()
            elif uint256_as_string and field.solidity_type == "uint256":
                value = str(value)
            message[field.eip712_name] = value
        return message

    def to_message(self) -> dict[str, Any]:
        """The message with Python values (EIP-712 field names), as `chain.eip712` and eth-account take it."""
        return {field.eip712_name: getattr(self, field.attribute) for field in _fields(type(self))}

    def struct_hash(self) -> bytes:
        """hashStruct(intent): what a contract computes from the intent's fields.

        Computed once per intent: intents are frozen and their fields immutable values, and a signer node
        asks for the digest of the same intent several times (its own digest, then the policy's check)."""
        cached: bytes | None = self.__dict__.get(_STRUCT_HASH_CACHE)
        if cached is None:
            cached = struct_hash(self.PRIMARY_TYPE, self.eip712_types(), self.to_message())
            self.__dict__[_STRUCT_HASH_CACHE] = cached  # not a field: equality, repr and JSON ignore it
        return cached

    def digest(
        self, chain_id: int, verifying_contract: str, name: str = DOMAIN_NAME, version: str = DOMAIN_VERSION
    ) -> bytes:
        """The 32-byte EIP-712 digest the signers sign and `verifying_contract` on `chain_id` checks."""
        _check_value("domain.chainId", "uint256", chain_id)
        _check_value("domain.verifyingContract", "address", verifying_contract)
        separator = domain_separator(name, version, chain_id, verifying_contract)
        return typed_data_digest(separator, self.struct_hash())

    def typed_data(
        self, chain_id: int, verifying_contract: str, name: str = DOMAIN_NAME, version: str = DOMAIN_VERSION
    ) -> dict[str, Any]:
        """The full JSON typed data a wallet signs with `eth_signTypedData_v4`; it hashes to `digest(...)`."""
        _check_value("domain.chainId", "uint256", chain_id)
        _check_value("domain.verifyingContract", "address", verifying_contract)
        types = {DOMAIN_TYPE: DOMAIN_FIELDS, **self.eip712_types()}
        return {
            "types": {
                struct: [{"name": field, "type": typ} for field, typ in fields]
                for struct, fields in types.items()
            },
            "primaryType": self.PRIMARY_TYPE,
            "domain": {
                "name": name,
                "version": version,
                "chainId": chain_id,
                "verifyingContract": verifying_contract,
            },
            "message": self.to_json(),
        }


@dataclasses.dataclass(frozen=True)
class TreasuryTx(Intent):
    """A treasury owner's order: send `amount` of `token` (the zero address for ether) to `to`, calling it
    with `data`; valid for the treasury nonce `nonce` until the timestamp `deadline`."""

    PRIMARY_TYPE: ClassVar[str] = "TreasuryTx"

    to: Address
    token: Address
    amount: Uint256
    data: DynamicBytes
    nonce: Uint256
    deadline: Uint256


@dataclasses.dataclass(frozen=True)
class CustodyTransfer(Intent):
    """The custody group key's order to the treasury: send `amount` of `token` (the zero address for ether)
    to `to`, with the token's custody nonce `nonce` (`MultisigTreasury.custody_nonce(token)`), submitted no
    later than the timestamp `deadline`. A transfer and nothing else: it carries no call data."""

    PRIMARY_TYPE: ClassVar[str] = "CustodyTransfer"

    to: Address
    token: Address
    amount: Uint256
    nonce: Uint256
    deadline: Uint256


@dataclasses.dataclass(frozen=True)
class Anchor(Intent):
    """The custody key's statement that the Merkle tree of kind `kind` and sequence number `seq` has root
    `root` over `count` leaves summing to `total`, following the anchor whose root is `prev_root`."""

    PRIMARY_TYPE: ClassVar[str] = "Anchor"

    kind: Uint8
    seq: Uint64
    root: Bytes32
    count: Uint64
    total: Uint256
    prev_root: Bytes32


@dataclasses.dataclass(frozen=True)
class BridgeBatch(Intent):
    """The custody key's statement that batch `seq` of messages from bridge `src_bridge` on chain
    `src_chain_id` to bridge `dst_bridge` on chain `dst_chain_id` is the Merkle tree with root `root` over
    `count` messages, following the batch whose root is `prev_root` (zero for the first).

    Both chains and both bridges are signed (not only the domain's destination), so a signature for one route
    or one deployment is refused by every other; `prev_root` hash-chains the batches as `Anchor`'s does."""

    PRIMARY_TYPE: ClassVar[str] = "BridgeBatch"

    src_chain_id: Uint256
    dst_chain_id: Uint256
    src_bridge: Address
    dst_bridge: Address
    seq: Uint64
    root: Bytes32
    count: Uint64
    prev_root: Bytes32


@dataclasses.dataclass(frozen=True)
class Permit(Intent):
    """EIP-2612: `owner` allows `spender` to spend `value` of a token, with the owner's permit nonce, until
    `deadline`. Its domain is the token's: pass `name=<token name>` (version "1") to `digest`."""

    PRIMARY_TYPE: ClassVar[str] = "Permit"

    owner: Address
    spender: Address
    value: Uint256
    nonce: Uint256
    deadline: Uint256


INTENT_TYPES: Mapping[str, type[Intent]] = {
    cls.PRIMARY_TYPE: cls for cls in (TreasuryTx, CustodyTransfer, Anchor, BridgeBatch, Permit)
}
"""Every intent class by its EIP-712 primary type name."""


def decode_intent(primary_type: str, message: Mapping[str, Any]) -> Intent:
    """Decodes a JSON message of the named intent type, strictly (see the module docstring)."""
    intent_type = INTENT_TYPES.get(primary_type)
    if intent_type is None:
        raise IntentError(f"unknown intent type {primary_type!r}; known: {sorted(INTENT_TYPES)}")
    return intent_type.from_json(message)


_FIELDS: dict[type[Intent], tuple[_Field, ...]] = {}
"""Each intent class's fields, read once from its annotations."""


def _fields(cls: type[Intent]) -> tuple[_Field, ...]:
    if cls not in _FIELDS:
        hints = get_type_hints(cls, include_extras=True)
        fields = []
        for field in dataclasses.fields(cls):  # type: ignore[arg-type]
            metadata = getattr(hints[field.name], "__metadata__", ())
            solidity = [meta for meta in metadata if isinstance(meta, SolidityType)]
            if len(solidity) != 1:
                raise TypeError(f"{cls.__name__}.{field.name} needs exactly one SolidityType annotation")
            fields.append(_Field(field.name, _camel_case(field.name), str(solidity[0])))
        _FIELDS[cls] = tuple(fields)
    return _FIELDS[cls]


def _camel_case(attribute: str) -> str:
    head, *rest = attribute.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _check_value(path: str, solidity_type: str, value: Any) -> None:
    """Refuses a Python value that does not fit `solidity_type` exactly."""
    if solidity_type == "address":
        if not isinstance(value, str) or not _is_checksummed(value):
            raise IntentError(f"{path}: not an EIP-55 checksummed address")
    elif solidity_type == "bytes":
        if not isinstance(value, bytes):
            raise IntentError(f"{path}: needs bytes, got {type(value).__name__}")
    elif solidity_type == "bytes32":
        if not isinstance(value, bytes) or len(value) != 32:
            raise IntentError(f"{path}: needs exactly 32 bytes")
    else:
        bits = _uint_bits(solidity_type)
        if not isinstance(value, int) or isinstance(value, bool):
            raise IntentError(f"{path}: needs an int, got {type(value).__name__}")
        if not 0 <= value < 1 << bits:
            raise IntentError(f"{path}: {value} is out of range for {solidity_type}")


def _uint_bits(solidity_type: str) -> int:
    match = _UINT.fullmatch(solidity_type)
    if match is None:
        raise TypeError(f"intents support address, bytes, bytes32 and uint<M> fields, not {solidity_type!r}")
    return int(match["bits"])


def _decode_json_value(path: str, solidity_type: str, value: Any) -> Any:
    """The Python value of a JSON field, in its one accepted spelling; range checks follow in the class."""
    if solidity_type == "address":
        return value
    if solidity_type in ("bytes", "bytes32"):
        match = _HEX.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            raise IntentError(f"{path}: needs a 0x-prefixed hex string of whole bytes")
        return bytes.fromhex(match["digits"])
    if isinstance(value, str):
        if not _DECIMAL.fullmatch(value):
            raise IntentError(f"{path}: a string integer must be at most 78 decimal digits, no leading zero")
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise IntentError(f"{path}: needs an integer, got {type(value).__name__}")
