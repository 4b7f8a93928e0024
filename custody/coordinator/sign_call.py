"""One `SigningCoordinator.sign` call as it goes: what is asked, and what every node did so far.

Also what the coordinator needs of a client for signing (`SigningCalls`): the two rounds, per node, which
`custody.coordinator.client.NodeClient` serves over mutual TLS and tests serve in process.
"""

from dataclasses import dataclass
from typing import Any, Final, Protocol

from custody.coordinator.errors import NodeFailure
from custody.frost import PublicKeyPackage
from custody.protocol.anchor_leaves import AnchorLeaves
from custody.protocol.bridge_messages import BridgeMessages
from custody.protocol.errors import KeyVersionMismatch
from custody.protocol.ids import key_version
from custody.protocol.signing import (
    IntentEnvelope,
    Round1Request,
    Round1Response,
    Round2Request,
    Round2Response,
)
from custody.roster import RosterNode

VERSION_REFUSAL: Final = KeyVersionMismatch.problem_type()
"""The problem type of a node that holds no share of the key version asked for: a refusal, never a blame."""


@dataclass
class SignCall:
    """One `sign` call: what is asked, and what every node did so far."""

    key_id: str
    request_id: str
    intent: IntentEnvelope
    digest: bytes
    approvals: list[dict[str, Any]]
    public_key: PublicKeyPackage
    failures: dict[int, NodeFailure]
    asset: tuple[int, str] | None = None
    """(chain id, token) of a transfer, whose budgets order the candidates; None for other intents."""
    anchor_leaves: AnchorLeaves | None = None
    bridge_messages: BridgeMessages | None = None
    restated: bool = False
    """Whether the nodes' key statements were read again in this call (at most once)."""

    @property
    def threshold(self) -> int:
        """How many nodes must sign (the key's)."""
        assert self.public_key.min_signers is not None
        return self.public_key.min_signers

    @property
    def key_version(self) -> str:
        """The generation of the key this call signs with (`custody.protocol.ids.key_version`)."""
        return key_version(self.public_key)

    def request_fields(self, session_id: str) -> dict[str, Any]:
        """What both rounds' requests of session `session_id` carry: the key (and version), the request,
        the intent and the approvals."""
        return {
            "session_id": session_id,
            "key_id": self.key_id,
            "key_version": self.key_version,
            "request_id": self.request_id,
            "intent": self.intent,
            "approvals": self.approvals,
        }

    def version_refused(self) -> bool:
        """Whether a node in this call refused the key version the coordinator named."""
        return any(failure.problem_type == VERSION_REFUSAL for failure in self.failures.values())


class SigningCalls(Protocol):
    """What `SigningCoordinator` needs from `custody.coordinator.client.NodeClient`: the two rounds, per
    node."""

    async def round1(self, node: RosterNode, request: Round1Request) -> Round1Response:
        """One node's round-one answer, or a `NodeCallError`."""
        ...

    async def round2(self, node: RosterNode, request: Round2Request) -> Round2Response:
        """One node's round-two answer, or a `NodeCallError`."""
        ...
