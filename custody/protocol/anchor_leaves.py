"""An `Anchor` intent checked against its batch: the leaves the coordinator may send with round one.

An Anchor signs a claim — the batch's Merkle root, its leaf count and its total — that the contract records
and that holders later prove against. A node that only sees the claim signs whatever root it is given. When
the coordinator also sends the batch's leaves (`AnchorLeaves`, in `Round1Request.anchor_leaves`), the node
rebuilds the tree itself (`chain.merkle`: sorted pairs, leaves and inner nodes hashed apart, as the contract
verifies them) and commits to nonces only if the intent's root, count and total are the tree's; otherwise it
refuses (`AnchorLeavesMismatch`), audited, before any nonce exists.

Two shapes: ``plain`` leaves are 32-byte leaf hashes (`chain.merkle.MerkleTree`; such a tree carries no
amounts, so the intent's total must be 0), ``sum`` leaves are (account, amount) pairs of a proof-of-reserves
tree (`chain.merkle.MerkleSumTree`, whose total is the sum). Leaves are sorted by hash as the trees do, so
their order does not matter.
"""

from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chain.errors import MerkleError
from chain.intents import Anchor, Intent
from chain.merkle import MerkleSumTree, MerkleTree
from custody.protocol.errors import AnchorLeavesMismatch, MalformedRequest

MAX_LEAVES: Final = 16384
"""A signing body is at most 1 MiB; this many leaves fit in it."""

Hash32 = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-f]{64}$")]
Amount = Annotated[str, StringConstraints(pattern=r"^(0|[1-9][0-9]{0,77})$")]
"""A uint256 as a decimal string (JSON numbers lose precision beyond 2**53 in most clients)."""


class SumLeaf(BaseModel):
    """One balance of a proof-of-reserves batch."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    account: Hash32
    amount: Amount


class AnchorLeaves(BaseModel):
    """The leaves of the batch an Anchor intent claims: leaf hashes (``plain``) or balances (``sum``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tree: Literal["plain", "sum"]
    leaves: Annotated[list[Hash32], Field(max_length=MAX_LEAVES)] = Field(default_factory=list)
    balances: Annotated[list[SumLeaf], Field(max_length=MAX_LEAVES)] = Field(default_factory=list)

    def claim(self) -> tuple[bytes, int, int]:
        """(root, count, total) of the tree these leaves make; MalformedRequest if they make none."""
        try:
            if self.tree == "plain":
                if self.balances:
                    raise MalformedRequest("anchor_leaves: a plain tree has leaves, not balances")
                plain = MerkleTree(bytes.fromhex(leaf[2:]) for leaf in self.leaves)
                return plain.root, len(plain), 0
            if self.leaves:
                raise MalformedRequest("anchor_leaves: a sum tree has balances, not leaves")
            summed = MerkleSumTree((bytes.fromhex(b.account[2:]), int(b.amount)) for b in self.balances)
            return summed.root.hash, len(summed), summed.total
        except MerkleError as error:
            raise MalformedRequest(f"anchor_leaves: {error}") from None


def check_anchor_leaves(intent: Intent, leaves: AnchorLeaves | None, policy_hash: str) -> int | None:
    """The number of leaves checked (None when none were sent); AnchorLeavesMismatch naming what differs,
    MalformedRequest for leaves sent with an intent that is not an Anchor."""
    if leaves is None:
        return None
    if not isinstance(intent, Anchor):
        raise MalformedRequest(f"anchor_leaves were sent with a {intent.PRIMARY_TYPE} intent")
    root, count, total = leaves.claim()
    wrong = [
        f"{name} {claimed} but the leaves make {made}"
        for name, claimed, made in (
            ("root", "0x" + intent.root.hex(), "0x" + root.hex()),
            ("count", intent.count, count),
            ("total", intent.total, total),
        )
        if claimed != made
    ]
    if wrong:
        raise AnchorLeavesMismatch([f"the anchor's {reason}" for reason in wrong], policy_hash)
    return count
