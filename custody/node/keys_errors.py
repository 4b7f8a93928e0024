"""What a signer node answers when a key ceremony (DKG, refresh, repair) cannot go on, beyond the node's
generic refusals in `custody.node.errors` (malformed request, unknown key or session, session conflicts).

An aborted ceremony names its `culprits` (as a problem-document extension): the node ids whose relayed
messages were refused or whose shares did not check, so the coordinator can report them and start over.
Whether the sender or the relay altered a refused message cannot be told apart by the receiver; the
culprit is the node whose message it was supposed to be.
"""

from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

from custody.node.errors import NodeError, SessionConflict


class KeyExists(SessionConflict):
    """A DKG or repair for a key id this node already holds a share of: it never overwrites a share."""

    problem = "key-exists"
    title = "Key already exists"


class KeyBusy(SessionConflict):
    """Another ceremony on the same key is still open on this node."""

    problem = "key-busy"
    title = "Key busy with another ceremony"


class CeremonyAborted(NodeError):
    """The ceremony failed on this node; its session is closed and its secret state deleted."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY
    problem = "ceremony-aborted"
    title = "Key ceremony aborted"

    def __init__(self, culprits: Iterable[int], reason: str, evidence: Sequence[dict[str, Any]] = ()) -> None:
        self.culprits: list[int] = sorted(set(culprits))
        blame = f" (nodes {self.culprits})" if self.culprits else ""
        super().__init__(f"{reason}{blame}", culprits=self.culprits)
        self.reason = reason
        self.evidence = list(evidence)
        """For bad shares: what proves each accusation (`custody.node.keys_evidence`); kept in the session's
        signed account, not in the problem document."""


class GroupKeyUnusable(CeremonyAborted):
    """The DKG produced a group key the contracts cannot verify under (x >= N): run a new session."""

    problem = "group-key-unusable"
    title = "Group key unusable on-chain"

    def __init__(self) -> None:
        super().__init__((), "the group key is not usable on-chain; start a new session")


class KeyVersionMismatch(SessionConflict):
    """The request names a key version (generation of shares) this node does not hold: the asker's public
    key package is stale, or this node missed a refresh. A refusal, never evidence of cheating."""

    problem = "key-version-mismatch"
    title = "Key version mismatch"

    def __init__(self, key_id: str, expected: str, held: list[str]) -> None:
        super().__init__(
            f"key {key_id!r}: the request names key version {expected}, this node holds {held or 'none'}",
            key_version=expected,
            held_versions=held,
        )
