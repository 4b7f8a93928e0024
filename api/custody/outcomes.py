"""What a signing attempt came to, in the API's words: `signed`, `pending` (curable) or `refused`.

The API never decides whether an intent may be signed; the nodes do, each under its own policy. This module
only reads their answers (`custody.coordinator.signing.SigningFailed`) and sorts them:

- a policy refusal whose every reason is an operator-approval or time-lock rule, or a bridge message not yet
  deep enough, is *curable*: approvals or time will change the answer, so the request is `pending`;
- so is a node that is down, slow, misbehaving, left out as a suspect, or refusing for a non-policy reason
  (a lost share, a session clash): operators can fix that, and the next attempt asks again;
- a request is `refused` only when so many nodes refuse it for policy reasons no approval or wait can cure
  (a limit, an allowlist, an expired deadline, an Anchor whose claim is not its leaves' tree, a bridge batch
  the nodes' chain witness contradicts...) that fewer than the threshold could ever sign it.

The nodes' problem documents carry their reasons as text, not rule names, so the curable rules are known by
the wording of `custody.policy.engine`'s approval and time-lock details and of the chain witness's depth
(`CURABLE_REASON_MARKERS`); the tests hold this module to what real nodes answer.
"""

from dataclasses import dataclass, field
from typing import Any, Final

from api.custody.schemas import SignRequestStatus
from custody.coordinator.errors import NodeFailure, SigningFailed
from custody.frost import Signature
from custody.protocol.errors import AnchorLeavesMismatch, BridgeBatchUnwitnessed, PolicyRefused

CURABLE_REASON_MARKERS: Final = (
    "required operator approvals",  # the approvals rule, while too few operators approved
    "delay has not passed",  # the time-lock rule, while the request is younger than the delay
    "confirmations on the source chain",  # the chain witness, while a bridge message is not deep enough
)
_POLICY_REFUSED: Final = PolicyRefused.problem_type()
_LEAVES_MISMATCH: Final = AnchorLeavesMismatch.problem_type()
"""An Anchor whose claim is not the tree of the leaves sent with it: no approval or wait makes it true."""
_UNWITNESSED: Final = BridgeBatchUnwitnessed.problem_type()
"""A bridge batch the node's chain witness contradicts: for good, unless only its depth is short."""
_REASONED: Final = (_POLICY_REFUSED, _UNWITNESSED)
"""The refusals whose reasons the node lists one by one."""
SUSPECT: Final = "suspect"
"""The kind of a node the coordinator left out because it cheated or misbehaved in an earlier call."""


@dataclass(frozen=True)
class SigningOutcome:
    """The new state of a sign request after one attempt."""

    status: SignRequestStatus
    reasons: list[str] = field(default_factory=list)
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    signature: Signature | None = None


def is_curable(reason: str) -> bool:
    """True for a policy reason that operator approvals or the passing of time can cure."""
    return any(marker in reason for marker in CURABLE_REASON_MARKERS)


def _node_reasons(node_id: int, failure: NodeFailure) -> list[str]:
    if failure.problem_type in _REASONED:
        return list(failure.reasons)
    if failure.kind == SUSPECT:
        return [failure.detail]
    return [f"node {node_id} {failure.kind}: {failure.detail}"]


def _refuses_for_good(failure: NodeFailure) -> bool:
    if failure.problem_type == _LEAVES_MISMATCH:
        return True
    return failure.problem_type in _REASONED and not all(is_curable(r) for r in failure.reasons)


def signed(signature: Signature) -> SigningOutcome:
    """The outcome of an attempt that produced `signature`."""
    return SigningOutcome("signed", signature=signature)


def _suspect(node_id: int) -> NodeFailure:
    return NodeFailure(
        SUSPECT,
        f"node {node_id} is left out as a suspect: it sent an invalid share or answer before, and signs "
        "again only once an operator clears it",
    )


def failed(failure: SigningFailed, holders: int) -> SigningOutcome:
    """The outcome of an attempt that ended in `failure`, for a key with `holders` share holders."""
    outcomes = {**{node_id: _suspect(node_id) for node_id in failure.suspects}, **failure.failures}
    reasons: list[str] = []
    for node_id, node_failure in sorted(outcomes.items()):
        reasons += [reason for reason in _node_reasons(node_id, node_failure) if reason not in reasons]
    refusing = sum(_refuses_for_good(node_failure) for node_failure in outcomes.values())
    status: SignRequestStatus = "refused" if holders - refusing < failure.threshold else "pending"
    nodes = {str(node_id): node_failure.to_json() for node_id, node_failure in sorted(outcomes.items())}
    return SigningOutcome(status, reasons, nodes)
