"""The custody API's intents: one schema per intent type, a union discriminated by `primary_type`.

The models are made from `chain.intents` (each intent class's EIP-712 fields and solidity types), so the
OpenAPI a client is generated from cannot drift from what the signer nodes decode. Each field has its one
spelling: an address is EIP-55 checksummed, `bytes32` is 0x and 64 hex digits, `bytes` 0x and whole bytes,
a uint256 (and the domain's chain id) a decimal string (`api.schemas.Uint256`; a JSON number is still taken on
input for this release), a narrower uint a JSON integer in its range. Every field is required and no other
is taken, as `chain.intents.decode_intent` insists.

A request's intent is validated field by field (a 422 names the field: `intent.<type>.message.amount`), then
decoded and digested with `chain.intents`, and kept as the `IntentEnvelope` the coordinator sends the nodes
(integers as JSON integers, exactly as stored since the first release). An answer's intent goes the other way:
the stored envelope, shown as its typed model, uint256 values as strings.
"""

import functools
import operator
from typing import TYPE_CHECKING, Annotated, Any, Literal

from eth_utils import is_checksum_address
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    StrictInt,
    StringConstraints,
    create_model,
)
from pydantic_core import PydanticCustomError, core_schema

from api.schemas import ChainId, Uint256
from chain.intents import INTENT_TYPES, Intent, IntentError, decode_intent
from custody.protocol.signing import IntentEnvelope

ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"


def _checksummed(address: str) -> str:
    if not is_checksum_address(address):
        raise PydanticCustomError("address", "not an EIP-55 checksummed address")
    return address


Address = Annotated[
    str,
    StringConstraints(pattern=ADDRESS_PATTERN),
    AfterValidator(_checksummed),
    Field(
        description="An EIP-55 checksummed address.", examples=["0x5FbDB2315678afecb367f032d93F642f64180aa3"]
    ),
]
Bytes32 = Annotated[
    str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{64}$"), Field(description="0x and 64 hex digits.")
]
DynamicBytes = Annotated[
    str,
    StringConstraints(pattern=r"^0x(?:[0-9a-fA-F]{2})*$"),
    Field(description="0x and whole bytes in hex."),
]


def _field_type(solidity_type: str) -> Any:
    """The pydantic type of a message field of `solidity_type` (address, bytes, bytes32 or uint<M>)."""
    fixed = {"address": Address, "bytes32": Bytes32, "bytes": DynamicBytes, "uint256": Uint256}
    if solidity_type in fixed:
        return fixed[solidity_type]
    bits = int(solidity_type.removeprefix("uint"))  # chain.intents allows nothing else
    return Annotated[StrictInt, Field(ge=0, le=(1 << bits) - 1, description=f"A {solidity_type}.")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TypedIntent(_Strict):
    """Base of the typed intents: the domain (`chain_id`, `verifying_contract`) and, in each subclass, the
    `primary_type` tag and the `message` of that type."""

    primary_type: str
    message: BaseModel
    chain_id: ChainId = Field(description="The EIP-712 domain's chain id (uint256).")
    verifying_contract: Address = Field(description="The EIP-712 domain's contract: the one that checks it.")

    def envelope(self) -> IntentEnvelope:
        """The envelope the nodes take: the intent decoded and digested strictly, integers as JSON integers.
        A `ValueError` (a 422 naming `intent`) if it does not decode or digest."""
        try:
            intent = decode_intent(self.primary_type, self.message.model_dump())
            intent.digest(self.chain_id, self.verifying_contract)
        except IntentError as error:
            raise ValueError(f"the intent does not decode: {error}") from None
        return IntentEnvelope.of(intent, self.chain_id, self.verifying_contract)


def _typed_model(intent_type: type[Intent]) -> type[TypedIntent]:
    """`<Type>Intent` with its `<Type>Message`, from the intent class's EIP-712 fields."""
    name = intent_type.PRIMARY_TYPE
    (fields,) = intent_type.eip712_types().values()
    fields_of_message: dict[str, Any] = {
        field: (_field_type(solidity), Field(description=solidity)) for field, solidity in fields
    }
    message = create_model(
        f"{name}Message",
        __base__=_Strict,
        __doc__=f"The `{name}` message: its EIP-712 fields, in the order the type string lists them.",
        **fields_of_message,
    )
    tag: Any = Literal[name]
    return create_model(
        f"{name}Intent",
        __base__=TypedIntent,
        __doc__=(intent_type.__doc__ or name).strip(),
        primary_type=(tag, Field(description="The EIP-712 primary type: selects the schema.")),
        message=(message, ...),
    )


TYPED_INTENTS: dict[str, type[TypedIntent]] = {
    primary_type: _typed_model(intent_type) for primary_type, intent_type in INTENT_TYPES.items()
}
"""Each intent type's model, by its `primary_type`."""

_union: Any = functools.reduce(operator.or_, TYPED_INTENTS.values())
AnyTypedIntent: Any = Annotated[_union, Field(discriminator="primary_type")]
"""Any typed intent: `primary_type` says which schema the rest follows."""


class IntentInput:
    """Pydantic metadata for a request's intent: validated as `AnyTypedIntent` (that is its schema too),
    held as the `IntentEnvelope` the nodes take, and serialized as that (the idempotency fingerprint: an
    amount sent as "5" and as 5 is one request)."""

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(
            lambda typed: typed.envelope(),
            handler.generate_schema(AnyTypedIntent),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda envelope: envelope.model_dump(mode="json")
            ),
        )


def _typed_from_envelope(value: Any) -> Any:
    return value.model_dump() if isinstance(value, IntentEnvelope) else value


IntentIn = Annotated[IntentEnvelope, IntentInput]
"""A sign request's intent as the client sends it (any typed intent), held as its `IntentEnvelope`."""
if TYPE_CHECKING:  # one of the TYPED_INTENTS models, made at import time
    IntentOut = TypedIntent | IntentEnvelope
else:
    IntentOut = Annotated[AnyTypedIntent, BeforeValidator(_typed_from_envelope)]
    """A stored intent (an `IntentEnvelope` or its JSON) as the client reads it: its typed model."""
