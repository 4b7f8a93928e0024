"""What a signer node knows about one signing request when it asks its policy (`SignContext`), and the
request id as the API carries it."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from chain.intents import Intent
from custody.policy.approvals import OperatorApproval
from custody.policy.errors import InvalidSignContext

_BYTES32_HEX: Final = re.compile(r"0x[0-9a-fA-F]{64}")


def request_id_from_hex(text: str) -> bytes:
    """A request id as the API carries it ("0x" and 64 hex digits), as the 32 bytes the policy uses."""
    if not isinstance(text, str) or not _BYTES32_HEX.fullmatch(text):
        raise InvalidSignContext("a request id is 0x followed by 64 hex digits")
    return bytes.fromhex(text[2:])


@dataclass(frozen=True)
class SignContext:
    """Everything a node knows about one signing request when it asks the policy.

    `digest` is the intent's EIP-712 digest in the domain (`chain_id`, `verifying_contract`) — the value the
    node will sign; `first_seen` is when this node first saw `request_id` (`PolicyEngine.first_seen`);
    `threshold` and `holders` are the key's t and n, from the node's own key package: the node's part of a
    rolling limit is t/n of it (see the module docstring). The default 1 of 1 gives the node the whole limit.
    """

    key_id: str
    request_id: bytes
    intent: Intent
    chain_id: int
    verifying_contract: str
    digest: bytes
    approvals: Sequence[OperatorApproval]
    first_seen: int
    threshold: int = 1
    holders: int = 1

    def __post_init__(self) -> None:
        if not isinstance(self.key_id, str) or not self.key_id:
            raise InvalidSignContext("key_id must be a non-empty string")
        for name in ("request_id", "digest"):
            value = getattr(self, name)
            if not isinstance(value, bytes) or len(value) != 32:
                raise InvalidSignContext(f"{name} must be 32 bytes")
        if not isinstance(self.intent, Intent):
            raise InvalidSignContext("intent must be a decoded chain.intents intent")
        for name in ("chain_id", "first_seen", "threshold", "holders"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise InvalidSignContext(f"{name} must be an int")
        if not 1 <= self.threshold <= self.holders:
            raise InvalidSignContext("threshold and holders must satisfy 1 <= threshold <= holders")
        approvals = tuple(self.approvals)
        if not all(isinstance(approval, OperatorApproval) for approval in approvals):
            raise InvalidSignContext("approvals must be OperatorApproval values")
        object.__setattr__(self, "approvals", approvals)

    @classmethod
    def for_intent(
        cls,
        *,
        key_id: str,
        request_id: bytes,
        intent: Intent,
        chain_id: int,
        verifying_contract: str,
        approvals: Sequence[OperatorApproval] = (),
        first_seen: int,
        threshold: int = 1,
        holders: int = 1,
    ) -> "SignContext":
        """A context whose digest is computed here from the intent and its domain."""
        return cls(
            key_id=key_id,
            request_id=request_id,
            intent=intent,
            chain_id=chain_id,
            verifying_contract=verifying_contract,
            digest=intent.digest(chain_id, verifying_contract),
            approvals=approvals,
            first_seen=first_seen,
            threshold=threshold,
            holders=holders,
        )
