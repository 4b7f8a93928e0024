"""How the coordinator's work fails: a call to one node (`NodeCallError` and its kinds), what each node did
(`NodeFailure`), and the signing and key-ceremony failures built from them.

A node's refusal (`NodeRefused`) carries the problem type of its document (`custody.protocol.errors`), so the
coordinator tells a refusal it can cure (a stale key version) from a blame (an invalid share). Messages
name nodes, keys and sessions, never secret material.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from custody.errors import CustodyError

if TYPE_CHECKING:
    from custody.coordinator.ceremony import KeyInfo


class CoordinatorError(CustodyError):
    """A signing request or key ceremony the coordinator could not complete."""


class UnknownGroupKey(CoordinatorError):
    """The coordinator has no public key package for this key id."""


class KeyDisagreement(CoordinatorError):
    """The nodes state different public key packages for the same key id (or too few state one)."""


class NodeCallError(CustodyError):
    """A call to one node did not produce a usable answer; `node_id` says which node."""

    kind: str = "error"

    def __init__(self, node_id: int, detail: str) -> None:
        super().__init__(f"node {node_id}: {detail}")
        self.node_id = node_id
        self.detail = detail


class NodeUnavailable(NodeCallError):
    """The node did not answer in time, could not be reached, failed the handshake, or failed itself (5xx)."""

    kind = "unavailable"


class NodeRefused(NodeCallError):
    """The node answered with a 4xx problem document: it received the request and refused it."""

    kind = "refused"

    def __init__(self, node_id: int, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem_type = str(problem.get("type", ""))
        self.reasons: list[str] = [str(reason) for reason in problem.get("reasons", [])]
        super().__init__(node_id, f"{status} {self.problem_type}: {problem.get('detail', '')}")


class NodeMisbehaved(NodeCallError):
    """The node answered, but not as a node may: an invalid body, or a certificate other than the roster's."""

    kind = "misbehaved"


@dataclass(frozen=True)
class NodeFailure:
    """What went wrong with one node in one call: ``unavailable``, ``refused``, ``misbehaved`` or
    ``invalid-share``, and the detail (for a policy refusal, the node's reasons)."""

    kind: str
    detail: str
    problem_type: str = ""
    reasons: tuple[str, ...] = ()

    @classmethod
    def of(cls, error: NodeCallError) -> "NodeFailure":
        """What `error` says of its node (a refusal's problem type and reasons with it)."""
        if isinstance(error, NodeRefused):
            return cls(error.kind, error.detail, error.problem_type, tuple(error.reasons))
        return cls(error.kind, error.detail)

    def to_json(self) -> dict[str, Any]:
        """Float-free JSON for audit records and API answers."""
        return {
            "kind": self.kind,
            "detail": self.detail,
            "problem_type": self.problem_type,
            "reasons": list(self.reasons),
        }


def _listed(failures: Mapping[int, NodeFailure]) -> str:
    return "; ".join(
        f"node {node}: {failure.kind}: {failure.detail}" for node, failure in sorted(failures.items())
    )


class SigningFailed(CoordinatorError):
    """Fewer than t nodes could complete a session; `failures` says what each node tried in this call did,
    `suspects` which holders of the key were left out as suspects from earlier calls."""

    def __init__(
        self,
        key_id: str,
        threshold: int,
        failures: Mapping[int, NodeFailure],
        suspects: Iterable[int] = (),
    ) -> None:
        self.key_id = key_id
        self.threshold = threshold
        self.failures = dict(failures)
        self.suspects = sorted(suspects)
        left_out = f"; suspects left out: {self.suspects}" if self.suspects else ""
        super().__init__(
            f"key {key_id!r} needs {threshold} signers and no longer has them "
            f"({_listed(failures) or 'none'}{left_out})"
        )

    @property
    def culprits(self) -> list[int]:
        """Nodes whose signature shares failed verification in this call."""
        return sorted(node for node, failure in self.failures.items() if failure.kind == "invalid-share")


class KeyCeremonyFailed(CoordinatorError):
    """A DKG, refresh or repair did not complete; `failures` by node, `culprits` the nodes at fault.

    Nodes not in `failures` answered the round in which it failed. When that was the last round, they
    store the key (fewer than its threshold of them, or KeyCeremonyIncomplete would have been raised).
    """

    def __init__(
        self,
        ceremony: str,
        key_id: str,
        session_id: str,
        failures: Mapping[int, NodeFailure],
        culprits: Iterable[int],
    ) -> None:
        self.ceremony = ceremony
        self.key_id = key_id
        self.session_id = session_id
        self.failures = dict(failures)
        self.culprits = sorted(set(culprits))
        super().__init__(
            f"{ceremony} of key {key_id!r} (session {session_id}) failed; culprits {self.culprits}: "
            f"{_listed(self.failures)}"
        )

    @property
    def problem_types(self) -> set[str]:
        """The problem types the refusing nodes answered with."""
        return {failure.problem_type for failure in self.failures.values() if failure.problem_type}


class KeyCeremonyIncomplete(KeyCeremonyFailed):
    """The key is in use (at least `threshold` nodes confirmed and store it) but `lagging` nodes do not
    hold their share of it: they failed the last round and keep no share, or a stale one from before a
    refresh. Repair each of them (`custody.coordinator.keys.KeyCoordinator.repair`)."""

    def __init__(self, failed: KeyCeremonyFailed, info: "KeyInfo") -> None:
        super().__init__(failed.ceremony, failed.key_id, failed.session_id, failed.failures, failed.culprits)
        self.info = info
        self.lagging = sorted(failed.failures)
