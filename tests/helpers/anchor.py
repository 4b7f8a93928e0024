"""What the SettlementAnchor tests share: a driver playing the custody group and a relayer, and small helpers.

The driver signs with real FROST signatures (`tests.helpers.frost_signing`) over `chain.intents.Anchor`
digests, so every anchor the contract accepts here is one the custody nodes could have produced. It holds no
tests.
"""

from dataclasses import dataclass, field
from typing import Any

import ape
from eth_utils import keccak

from chain.anchor import ZERO_ROOT, anchor_arguments, key_hint
from chain.intents import Anchor
from chain.merkle import MerkleTree
from tests.helpers.frost_signing import Key, sign_with_key

ANCHOR_WINDOW = 3600
"""The challenge window (seconds) the `anchorer` fixture deploys with."""
TRADE_LEAF_TYPES = ("uint8", "uint64", "uint256")
"""A stand-in trade leaf: (kind, seq, index), so every batch's leaves differ."""
DEADLINE_BITS = 40
"""The contract keeps a root's top 256 - 40 bits."""


def batch_tree(kind: int, seq: int, size: int = 5, salt: int = 0) -> MerkleTree:
    """A `chain.merkle` tree of `size` distinct records for batch (kind, seq)."""
    return MerkleTree.of(TRADE_LEAF_TYPES, [(kind, seq, salt * 1_000_000 + index) for index in range(size)])


def fingerprint(root: bytes) -> bytes:
    """The root as the contract's `record` reports it: the low 40 bits cleared."""
    value = int.from_bytes(root, "big") >> DEADLINE_BITS << DEADLINE_BITS
    return value.to_bytes(32, "big")


def other_root(seed: bytes) -> bytes:
    """A root that no batch of these tests has."""
    return keccak(b"not a batch root " + seed)


@dataclass
class Anchorer:
    """Builds, signs and submits anchors to one SettlementAnchor, remembering the roots it anchored."""

    contract: Any
    key: Key
    relayer: Any
    roots: dict[tuple[int, int], bytes] = field(default_factory=dict)

    def sign(
        self,
        intent: Anchor,
        *,
        chain_id: int | None = None,
        verifying_contract: str | None = None,
        key: Key | None = None,
    ) -> tuple[int, int, int]:
        """The custody signature (rx, ry, z) of `intent`, by default for this contract on this chain."""
        digest = intent.digest(
            ape.chain.chain_id if chain_id is None else chain_id,
            self.contract.address if verifying_contract is None else verifying_contract,
        )
        return sign_with_key(key or self.key, digest).onchain()

    def submit(
        self,
        intent: Anchor,
        signature: tuple[int, int, int] | None = None,
        sender: Any = None,
        *,
        hint: int | None = None,
    ) -> Any:
        """Sends `intent` with `signature` (default: a valid one) from the relayer; returns the receipt.

        `hint` is the custody key hint to send; by default the contract's current key's, as the face sends.
        """
        arguments = anchor_arguments(intent, signature or self.sign(intent))
        if hint is None:
            hint = key_hint(self.contract.custody_key()[0])
        receipt = self.contract.anchor(*arguments, hint, sender=sender or self.relayer)
        self.roots[(intent.kind, intent.seq)] = intent.root
        return receipt

    def root_of(self, kind: int, seq: int) -> bytes:
        """The root this driver anchored as (kind, seq); the zero root for seq 0."""
        return ZERO_ROOT if seq == 0 else self.roots[(kind, seq)]

    def next_intent(self, kind: int, tree: MerkleTree | None = None, *, total: int = 0) -> Anchor:
        """The intent that correctly extends `kind`'s chain as the contract's `head` reports it."""
        last_seq, valid_seq = self.contract.head(kind)
        tree = tree or batch_tree(kind, last_seq + 1)
        return Anchor(
            kind=kind,
            seq=last_seq + 1,
            root=tree.root,
            count=len(tree),
            total=total,
            prev_root=self.root_of(kind, valid_seq),
        )

    def anchor_next(self, kind: int, tree: MerkleTree | None = None, *, total: int = 0) -> Anchor:
        """Anchors the next batch of `kind` (a fresh tree unless one is given); returns its intent."""
        intent = self.next_intent(kind, tree, total=total)
        self.submit(intent)
        return intent


def deadline_of(contract: Any, kind: int, seq: int) -> int:
    """The anchor's deadline as the contract recorded it."""
    return int(contract.record(kind, seq)[1])


def travel_to(chain: Any, timestamp: int) -> None:
    """Mines a block at `timestamp`, so views and the next transaction run at or after it."""
    chain.mine(timestamp=timestamp)
