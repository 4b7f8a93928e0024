"""Why a call reverted, in words: the one place that reads revert reasons, from raw data or from web3.

Contracts here revert with `Error(string)` ("treasury: ..."), and the reason reaches Python two ways: as the
raw revert data a contract kept (an `OwnersExecutionFailed` or `ChargeFailed` event carries it) and as the
message of web3's `ContractLogicError` when a transaction is estimated or called. Both are decoded here so
every caller names a revert the same way.
"""

from typing import Any, Final

from eth_abi import decode
from eth_abi.exceptions import DecodingError
from web3.exceptions import ContractLogicError

ERROR_SELECTOR: Final = bytes.fromhex("08c379a0")
"""`Error(string)`'s selector: what a Vyper `assert ..., "reason"` or `raise "reason"` reverts with."""
_WEB3_PREFIX: Final = "execution reverted: "


def revert_reason(data: bytes) -> str:
    """A revert's Error(string) message; other revert data as hex; none at all (out of gas?) said so."""
    if data[:4] == ERROR_SELECTOR:
        try:
            (message,) = decode(["string"], data[4:])
        except (DecodingError, ValueError):
            pass
        else:
            return str(message)
    return "0x" + data.hex() if data else "no revert data (out of gas?)"


def logic_error_reason(error: ContractLogicError) -> str | None:
    """The reason in web3's ContractLogicError (its message without web3's "execution reverted: ")."""
    message: Any = error.message if hasattr(error, "message") else str(error)
    text = str(message)
    return text.split(_WEB3_PREFIX, 1)[1] if _WEB3_PREFIX in text else text or None
