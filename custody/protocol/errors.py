"""What a signer node refuses: the problem documents that cross the wire, as exceptions.

Each class names one problem (``urn:tpwallet:custody:`` and its `problem`), its title and the HTTP status
the node answers it with; the node raises them and its HTTP edge (`custody.node.http.problems`) turns them
into RFC 9457 documents, and the coordinator reads the problem type back (`custody.coordinator.errors`)
to tell, e.g., a stale key version (a refusal) from a cheat (a blame). Rooted in
`custody.errors.CustodyError`, so the custody package keeps one hierarchy. Messages name sessions, keys and
reasons, never secret material.

An aborted key ceremony names its `culprits` (as a problem-document extension): the node ids whose
relayed messages were refused or whose shares did not check. Whether the sender or the relay altered a
refused message cannot be told apart by the receiver; the culprit is the node whose message it was
supposed to be.
"""

from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

from custody.errors import CustodyError
from custody.problems import ProblemError


class NodeError(CustodyError, ProblemError):
    """A request the node refuses; the class names the problem, `detail` says what exactly was wrong."""

    type_prefix = "urn:tpwallet:custody:"
    status = HTTPStatus.INTERNAL_SERVER_ERROR
    problem = "node-error"
    title = "Signer node error"
    unexpected_detail = "the node failed to handle the request; see its log"


class MalformedRequest(NodeError, status=400, problem="malformed-request", title="Malformed request"):
    """A body that is not a well-formed request: bad JSON, a field of the wrong shape, an intent that does
    not decode, a signer set the key cannot use."""


class PeerNotAllowed(NodeError, status=403, problem="peer-not-allowed", title="Client not allowed"):
    """The client certificate is valid for the group but not for this route (e.g. a node's, not the
    coordinator's)."""


class PolicyRefused(NodeError, status=403, problem="policy-refused", title="Refused by policy"):
    """The node's policy refuses the intent; `reasons` says which rules failed."""

    def __init__(self, reasons: Sequence[str], policy_hash: str) -> None:
        super().__init__(
            "the node's policy refuses this intent: " + "; ".join(reasons),
            reasons=list(reasons),
            policy_hash=policy_hash,
        )
        self.reasons = list(reasons)


class AnchorLeavesMismatch(
    PolicyRefused, problem="anchor-leaves-mismatch", title="Anchor does not match its leaves"
):
    """The intent claims another root, count or total than the leaves sent with it make."""


class BridgeBatchUnwitnessed(
    PolicyRefused, problem="bridge-batch-unwitnessed", title="Bridge batch not witnessed"
):
    """The node could not vouch for a BridgeBatch: its messages do not make the intent's root or count, or
    what the node reads on the chains contradicts the batch (a message never sent, not deep enough or paid
    already, a seq or prevRoot that is not the destination's next), or its policy requires reading the
    chains and it could not."""


class ChainUnreadable(NodeError, status=503, problem="chain-unreadable", title="Chain not readable"):
    """The node's RPC endpoint for a chain it witnesses bridge batches on did not answer: a passing fault,
    not a refusal (the next attempt reads again)."""


class UnknownKey(NodeError, status=404, problem="unknown-key", title="Unknown key"):
    """The node holds no share of this key id."""


class UnknownSession(NodeError, status=404, problem="unknown-session", title="Unknown session"):
    """A later round for a session this node never opened."""


class NodeNotEnrolled(
    NodeError, status=503, problem="node-not-enrolled", title="Node not enrolled in a roster"
):
    """The node has no identity record or no usable roster, so it cannot take part in key ceremonies."""


class SessionConflict(NodeError, status=409, problem="session-conflict", title="Session conflict"):
    """A request that contradicts the session's state; the session cannot complete."""


class SessionExists(SessionConflict, problem="session-exists", title="Session already exists"):
    """Round one for a session id already used: a session id names one session, once."""


class SessionUsed(SessionConflict, problem="session-used", title="Session already used"):
    """A round for a session that is closed (signed, refused, expired or abandoned): a replay."""


class IntentMismatch(SessionConflict, problem="intent-mismatch", title="Intent differs from round one"):
    """Round two names another key, request or intent than the one round one bound the nonce to."""


class CommitmentMismatch(
    SessionConflict, problem="commitment-mismatch", title="Commitment differs from round one"
):
    """The signer set's commitments list this node's commitment differently from what it made."""


class SessionExpired(SessionConflict, problem="session-expired", title="Session expired"):
    """The next round arrived after the session's time to live."""


class RequestIdConflict(
    SessionConflict, problem="request-conflict", title="Request id bound to another intent"
):
    """The request id was first seen with another intent: one request id names one intent, forever."""


class StateRolledBack(SessionConflict, problem="state-rolled-back", title="Node state rolled back"):
    """The node was shown a state counter it signed above its own: its state database was rolled back
    (`custody.protocol.state`)."""


class KeyExists(SessionConflict, problem="key-exists", title="Key already exists"):
    """A DKG or repair for a key id this node already holds a share of: it never overwrites a share."""


class KeyBusy(SessionConflict, problem="key-busy", title="Key busy with another ceremony"):
    """Another ceremony on the same key is still open on this node."""


class KeyVersionMismatch(SessionConflict, problem="key-version-mismatch", title="Key version mismatch"):
    """The request names a key version (generation of shares) this node does not hold: the asker's public
    key package is stale, or this node missed a refresh. A refusal, never evidence of cheating."""

    def __init__(self, key_id: str, expected: str, held: list[str]) -> None:
        super().__init__(
            f"key {key_id!r}: the request names key version {expected}, this node holds {held or 'none'}",
            key_version=expected,
            held_versions=held,
        )


class CeremonyAborted(NodeError, status=422, problem="ceremony-aborted", title="Key ceremony aborted"):
    """The ceremony failed on this node; its session is closed and its secret state deleted."""

    def __init__(self, culprits: Iterable[int], reason: str, evidence: Sequence[dict[str, Any]] = ()) -> None:
        self.culprits: list[int] = sorted(set(culprits))
        blame = f" (nodes {self.culprits})" if self.culprits else ""
        super().__init__(f"{reason}{blame}", culprits=self.culprits)
        self.reason = reason
        self.evidence = list(evidence)
        """For bad shares: what proves each accusation (`custody.protocol.evidence`); kept in the session's
        signed account, not in the problem document."""


class GroupKeyUnusable(CeremonyAborted, problem="group-key-unusable", title="Group key unusable on-chain"):
    """The DKG produced a group key the contracts cannot verify under (x >= N): run a new session."""

    def __init__(self) -> None:
        super().__init__((), "the group key is not usable on-chain; start a new session")
