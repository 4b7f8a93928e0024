"""What every feature's request and response bodies (`api/<feature>/schemas.py`) build on: the base model,
whose fields are documented by their docstrings, and the one JSON spelling of 256-bit integers.

Any value typed `uint256` on-chain (ids, token amounts, nonces, deadlines, totals, fees, periods, and every
chain id: the EIP-712 domain and the `chainid` opcode type it uint256) travels as a string of decimal digits,
because JSON numbers are doubles in JavaScript and most other clients: 2**53 + 1 comes back as 2**53, and a
rounded grant id names another grant. Values typed narrower (uint8 to uint64) and what the node reports about
blocks (numbers, timestamps, log indexes) stay JSON numbers: they fit in 53 bits. `Uint256` emits the string
always; on input it takes the string, and for this release a JSON number too (marked deprecated in the
OpenAPI), checked strictly either way.
"""

import re
from dataclasses import dataclass
from typing import Annotated, Any, Final

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema


class ApiModel(BaseModel):
    """Base of the API's bodies: a field's docstring is its description in the OpenAPI document."""

    model_config = ConfigDict(use_attribute_docstrings=True)


UINT256_MAX: Final = 2**256 - 1
DECIMAL_PATTERN: Final = r"^(0|[1-9][0-9]{0,77})$"
"""Decimal digits without sign, spaces or leading zeros: at most the 78 digits of 2**256 - 1."""
_DECIMAL: Final = re.compile(DECIMAL_PATTERN[1:-1])
NUMBERS_DEPRECATION: Final = (
    "Deprecated: a JSON number is still accepted here for this release; send the decimal string."
)


@dataclass(frozen=True)
class DecimalSpelling:
    """Pydantic metadata for an `int` sent as a decimal string: parsed from a strict decimal string (or a
    JSON integer, while `numbers` allows it), within `minimum`..`maximum` (a power of two less one), and
    serialized as a decimal string. `kind` names the type in errors: a uint256 on-chain, or an int64 (a
    ledger amount or id, whose columns are signed 64-bit)."""

    minimum: int = 0
    numbers: bool = True
    maximum: int = UINT256_MAX
    kind: str = "uint256"
    article: str = "a"

    @property
    def named(self) -> str:
        """The kind with its article, as errors start: "a uint256", "an amount"."""
        return f"{self.article} {self.kind}"

    @property
    def pattern(self) -> str:
        """The JSON schema's pattern: decimal digits, no sign or leading zeros, no more than the maximum's."""
        return rf"^(0|[1-9][0-9]{{0,{len(str(self.maximum)) - 1}}})$"

    def parse(self, value: Any) -> int:
        """`value` as an int; a validation error of type `kind` (naming what is wrong) otherwise."""
        if isinstance(value, str):
            if not _DECIMAL.fullmatch(value):
                raise PydanticCustomError(
                    self.kind,
                    f"{self.named} is a string of decimal digits: no sign, spaces, leading zeros or exponent",
                )
            number = int(value)
        elif isinstance(value, int) and not isinstance(value, bool) and self.numbers:
            number = value
        else:
            raise PydanticCustomError(
                self.kind,
                f"{self.named} is a string of decimal digits"
                + (" (or, for this release, a JSON integer)" if self.numbers else ""),
            )
        if not self.minimum <= number <= self.maximum:
            bits = self.maximum.bit_length()
            raise PydanticCustomError(
                self.kind, f"out of range: {{minimum}} to 2**{bits} - 1", {"minimum": self.minimum}
            )
        return number

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            self.parse,
            serialization=core_schema.plain_serializer_function_ser_schema(
                str, return_schema=core_schema.str_schema()
            ),
        )

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        string: JsonSchemaValue = {
            "type": "string",
            "pattern": self.pattern,
            "examples": [str(max(self.minimum, 1))],
        }
        if handler.mode == "serialization" or not self.numbers:
            return string
        number = {
            "type": "integer",
            "minimum": self.minimum,
            "maximum": self.maximum,
            "deprecated": True,
            "description": NUMBERS_DEPRECATION,
        }
        return {"anyOf": [string, number]}


Uint256 = Annotated[int, DecimalSpelling()]
"""A uint256: a decimal string on the wire (a JSON number still accepted on input, for this release)."""
ChainId = Annotated[int, DecimalSpelling(minimum=1)]
"""A chain id (uint256 on-chain, never 0), spelt like every uint256."""
Uint256Path = Annotated[int, DecimalSpelling(numbers=False)]
"""A uint256 in a URL path: decimal digits only."""


def decimal_strings(value: Any) -> Any:
    """`value` with every integer in it (at any depth) as a decimal string; bools and the rest unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return {key: decimal_strings(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [decimal_strings(item) for item in value]
    return value
