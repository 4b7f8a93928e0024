"""The identifiers of the node-coordinator protocol, each spelled one way, defined once.

A session id is 16-64 characters of [A-Za-z0-9_-] starting with a letter or digit (the coordinator draws
32 random hex digits); a request id is 0x and 64 lowercase hex digits (it is the ``requestId`` operators sign
in their approvals); a key id is 1-64 characters of [A-Za-z0-9._-] starting with a letter or digit; a key
version names one generation of a key's shares (`key_version`). Group elements are 33-byte compressed points
and scalars 32 bytes, both as lowercase hex; node ids are FROST identifiers, 1 to 65535.
"""

import hashlib
import re
from typing import Annotated, Any, Final

from pydantic import Field, StrictInt, StringConstraints

from custody.frost import PublicKeyPackage

SESSION_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_-]{15,63}$"
REQUEST_ID_PATTERN: Final = r"^0x[0-9a-f]{64}$"
KEY_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
KEY_VERSION_PATTERN: Final = r"^[0-9a-f]{64}$"
MAX_NODE_ID: Final = 0xFFFF

SessionId = Annotated[str, StringConstraints(pattern=SESSION_ID_PATTERN)]
RequestId = Annotated[str, StringConstraints(pattern=REQUEST_ID_PATTERN)]
KeyId = Annotated[str, StringConstraints(pattern=KEY_ID_PATTERN)]
KeyVersion = Annotated[str, StringConstraints(pattern=KEY_VERSION_PATTERN)]
"""A generation of a key's shares: SHA-256 (hex) of its public key package (`key_version`)."""
PointHex = Annotated[str, StringConstraints(pattern=r"^0[23][0-9a-f]{64}$")]
ScalarHex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
NodeId = Annotated[StrictInt, Field(ge=1, le=MAX_NODE_ID)]
NodeIdKey = Annotated[int, Field(ge=1, le=MAX_NODE_ID)]
"""A node id as a JSON object key: object keys are strings, so this one is parsed from its decimal text."""
BudgetText = Annotated[str, StringConstraints(pattern=r"^(0|[1-9][0-9]{0,77})$")]
"""An amount in base units as decimal text (a uint256 does not survive every JSON parser as a number)."""

_KEY_ID: Final = re.compile(KEY_ID_PATTERN)


def is_key_id(value: Any) -> bool:
    """Whether `value` is a key id (`KEY_ID_PATTERN`)."""
    return isinstance(value, str) and _KEY_ID.fullmatch(value) is not None


def key_version(public_key_package: PublicKeyPackage) -> str:
    """The key version: SHA-256 (hex) of the public key package, which names one generation of shares (every
    verifying share changes with a refresh, the group key does not)."""
    return hashlib.sha256(public_key_package.to_bytes()).hexdigest()
