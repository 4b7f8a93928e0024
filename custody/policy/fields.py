"""The value types a policy file is written in, each strict so that a YAML slip is an error, not a different
policy: addresses are quoted EIP-55 text, amounts integers in base units, names a fixed alphabet, and a list
that is a set refuses repeats (`as_set`)."""

from collections.abc import Callable, Hashable
from typing import Annotated, Any, Final, Literal, TypeVar

from eth_utils import is_checksum_address
from pydantic import AfterValidator, BeforeValidator, Field, StrictInt, StrictStr
from pydantic_core import PydanticCustomError

_UINT256_BOUND: Final = 1 << 256
_NAME_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"

_T = TypeVar("_T", bound=Hashable)


def _text_not_number(value: Any) -> Any:
    """Explain the YAML trap: an unquoted 0x... address (or a numeric id) arrives as an int."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise PydanticCustomError(
            "quote_text",
            "a number where text belongs: quote it in YAML (an unquoted 0x... reads as a number)",
        )
    return value


def _checksummed(value: str) -> str:
    if not is_checksum_address(value):
        raise PydanticCustomError(
            "address", "{value!r} is not an EIP-55 checksummed address", {"value": value[:60]}
        )
    return value


def as_set(values: tuple[_T, ...], order: Callable[[_T], Any] | None = None) -> tuple[_T, ...]:
    """A list that is really a set: refuse repeats (likely typos); sort it (the hash ignores order)."""
    repeated = sorted({repr(value) for value in values if values.count(value) > 1})
    if repeated:
        raise PydanticCustomError(
            "repeated", "listed more than once: {repeated}", {"repeated": ", ".join(repeated)}
        )
    return tuple(sorted(values, key=order))  # type: ignore[type-var, arg-type]


Address = Annotated[StrictStr, BeforeValidator(_text_not_number), AfterValidator(_checksummed)]
"""An EIP-55 checksummed address, the spelling `chain.intents` decodes, so comparisons are exact."""

Name = Annotated[StrictStr, BeforeValidator(_text_not_number), Field(pattern=_NAME_PATTERN)]
"""An operator name or a key id: letters, digits, "_", "." and "-", starting with a letter or digit."""

Amount = Annotated[StrictInt, Field(ge=0, lt=_UINT256_BOUND)]
"""Token base units (wei for ether): an integer, never a float."""

Seconds = Annotated[StrictInt, Field(gt=0)]
Count = Annotated[StrictInt, Field(gt=0)]
ChainId = Annotated[StrictInt, Field(gt=0, lt=_UINT256_BOUND)]
AnchorKind = Annotated[StrictInt, Field(ge=0, le=255)]

IntentTypeName = Literal["TreasuryTx", "CustodyTransfer", "Anchor", "BridgeBatch"]
"""The intent types a policy can allow (`chain.intents` primary types); any other type is always refused."""
