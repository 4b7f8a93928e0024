"""The settlement anchor's Python face: a batch's Anchor intent, its submission by a relayer, and reads back.

`contracts/SettlementAnchor.vy` records, per kind of batch, a chain of Merkle roots the custody group key
signed. The flow a settlement or proof-of-reserves job follows:

1. `SettlementAnchor.head(kind)` says where the kind's chain stands: the next seq and the root the next anchor
   must name as `prevRoot` (the last valid one; voided anchors are skipped, their seqs never reused);
2. `batch_intent(head, tree)` builds the `chain.intents.Anchor` the custody group signs: `count` is the number
   of leaves, `total` is a Merkle-sum tree's total (reserves) or whatever the batch defines for a plain tree;
3. the custody coordinator signs `intent.digest(chain_id, address)`; the signature's on-chain form
   `(rx, ry, z)` (`custody.frost.Signature.onchain()`) goes to `SettlementAnchor.submit` with a relayer
   account, which pays the gas and holds no authority (`submit` adds the custody key's hint, `key_hint`);
4. anyone checks a leaf on-chain with `verify` (plain trees: `chain.merkle`'s, leaves and internal nodes
   hashed apart) or a holder's balance with `verify_reserve` (Merkle-sum trees); a decision that must not be
   undone waits for the anchor to be final (`verify_final`, `is_final`): until then the owner may void it.

The contract keeps each root's top 216 bits (see its NatSpec); full roots and totals are read from its
`Anchored` events. This module imports nothing from `custody` (`chain` is below it): signatures come as ints.
"""

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from chain import artifacts
from chain.errors import ChainError
from chain.intents import Anchor
from chain.merkle import MerkleSumTree, MerkleTree, SumNode, process_sum_proof, sum_leaf
from chain.transactions import send_call

CONTRACT_TYPE = "SettlementAnchor"
ZERO_ROOT = bytes(32)
"""`prevRoot` of a kind's first anchor, and of the next one after every anchor of the kind was voided."""

OnchainSignature = tuple[int, int, int]
"""A custody group signature as the contract takes it: (R.x, R.y, z)."""
KEY_HINT_BITS = 32
"""`anchor` takes the custody key's x mod 2**32: the one slot it reads keeps the rest, window and parity."""


class AnchorKind(enum.IntEnum):
    """The kinds of batches TPWallet anchors; each is its own chain of seqs in the contract."""

    SETTLEMENT = 1
    """Batches of matched trades: leaves are the trades' `chain.merkle.leaf_hash`es."""
    RESERVES = 2
    """Proof-of-reserves snapshots: a Merkle-sum tree of balances, `total` = the reserves claimed."""


class AnchorError(ChainError):
    """An anchor could not be built or read: a wrong total, a missing `Anchored` event, a bad signature."""


@dataclass(frozen=True)
class Head:
    """Where a kind's chain stands: the last anchored seq, and the last valid seq with its root."""

    kind: int
    last_seq: int
    valid_seq: int
    valid_root: bytes

    @property
    def next_seq(self) -> int:
        """The seq the next anchor must carry (seqs of voided anchors are never reused)."""
        return self.last_seq + 1


@dataclass(frozen=True)
class AnchoredBatch:
    """An `Anchored` event read back: what was signed and where it landed."""

    kind: int
    seq: int
    root: bytes
    count: int
    total: int
    prev_root: bytes
    block_number: int
    tx_hash: str


def batch_intent(head: Head, tree: MerkleTree | MerkleSumTree, *, total: int | None = None) -> Anchor:
    """The Anchor intent that appends `tree` to `head`'s chain.

    A Merkle-sum tree's `total` is its sum (a different `total` is refused: the contract would record a
    claim the tree does not make); a plain tree's is `total`, or 0 when not given.
    """
    if isinstance(tree, MerkleSumTree):
        if total is not None and total != tree.total:
            raise AnchorError(f"a Merkle-sum tree's total is its sum {tree.total}, not {total}")
        root, batch_total = tree.root.hash, tree.total
    else:
        root, batch_total = tree.root, 0 if total is None else total
    return Anchor(
        kind=head.kind,
        seq=head.next_seq,
        root=root,
        count=len(tree),
        total=batch_total,
        prev_root=head.valid_root,
    )


def key_hint(key_x: int) -> int:
    """The last argument of the contract's `anchor`: the custody key's x mod 2**KEY_HINT_BITS.

    The contract stores the key's other bits beside its challenge window and the key's parity, so an anchor
    reads one slot for all three; a wrong hint makes a key nobody can sign for, so the contract refuses it.
    """
    return key_x % 2**KEY_HINT_BITS


def anchor_arguments(intent: Anchor, signature: OnchainSignature) -> tuple[Any, ...]:
    """The arguments of the contract's `anchor` call, in order: the intent's fields, then (rx, ry, z).

    The call ends with the custody key's `key_hint`, which `SettlementAnchor.submit` reads from the contract.
    """
    if len(signature) != 3 or not all(isinstance(part, int) for part in signature):
        raise AnchorError("a signature for the contract is three ints: (R.x, R.y, z)")
    return (
        intent.kind,
        intent.seq,
        intent.root,
        intent.count,
        intent.total,
        intent.prev_root,
        *signature,
    )


class SettlementAnchor(artifacts.DeployedContract):
    """A deployed `SettlementAnchor`: compute intents' digests, submit anchors, read its records."""

    contract_type = CONTRACT_TYPE

    def digest(self, intent: Anchor) -> bytes:
        """The digest the custody group signs for `intent` on this contract and the node's chain."""
        return intent.digest(int(self.w3.eth.chain_id), self.address)

    def onchain_digest(self, intent: Anchor) -> bytes:
        """The same digest as the contract computes it (a check that both sides agree)."""
        return bytes(
            self.contract.functions.anchor_digest(
                intent.kind, intent.seq, intent.root, intent.count, intent.total, intent.prev_root
            ).call()
        )

    def head(self, kind: int) -> Head:
        """The chain of `kind` now; the valid root comes from that anchor's `Anchored` event."""
        last_seq, valid_seq = self.contract.functions.head(kind).call()
        valid_root = ZERO_ROOT if valid_seq == 0 else self.anchored(kind, valid_seq).root
        return Head(kind=kind, last_seq=last_seq, valid_seq=valid_seq, valid_root=valid_root)

    def next_intent(self, kind: int, tree: MerkleTree | MerkleSumTree, *, total: int | None = None) -> Anchor:
        """The intent that anchors `tree` as the next batch of `kind` (see `batch_intent`)."""
        return batch_intent(self.head(kind), tree, total=total)

    def anchored(self, kind: int, seq: int) -> AnchoredBatch:
        """The `Anchored` event of anchor `seq` of `kind` (voided or not)."""
        logs = self.contract.events.Anchored.get_logs(
            from_block=self.from_block, argument_filters={"kind": kind, "seq": seq}
        )
        if not logs:
            raise AnchorError(
                f"no Anchored event for kind {kind} seq {seq} at {self.address} from block {self.from_block}"
            )
        log = logs[-1]
        args = log["args"]
        return AnchoredBatch(
            kind=args["kind"],
            seq=args["seq"],
            root=bytes(args["root"]),
            count=args["count"],
            total=args["total"],
            prev_root=bytes(args["prev_root"]),
            block_number=log["blockNumber"],
            tx_hash=log["transactionHash"].to_0x_hex(),
        )

    def voids(self, kind: int, from_block: int, to_block: int) -> list[tuple[int, int]]:
        """The (first seq, last seq) ranges of `kind` the owner voided in blocks `from_block`..`to_block`."""
        logs = self.contract.events.Voided.get_logs(
            from_block=from_block, to_block=to_block, argument_filters={"kind": kind}
        )
        return [(int(log["args"]["first_seq"]), int(log["args"]["last_seq"])) for log in logs]

    def custody_key(self) -> tuple[int, int]:
        """The custody group key anchors must be signed with, as the contract holds it: (x, parity of y)."""
        key_x, parity = self.contract.functions.custody_key().call()
        return int(key_x), int(parity)

    def submit(self, relayer: LocalAccount, intent: Anchor, signature: OnchainSignature) -> TxReceipt:
        """Sends the signed anchor from `relayer`; raises `TransactionFailed` with the contract's reason."""
        arguments = anchor_arguments(intent, signature)
        call = self.contract.functions.anchor(*arguments, key_hint(self.custody_key()[0]))
        return send_call(self.w3, relayer, call)

    def is_final(self, kind: int, seq: int) -> bool:
        """Whether anchor `seq` of `kind` is final: past its challenge window and not voided."""
        return bool(self.contract.functions.is_final(kind, seq).call())

    def is_voided(self, kind: int, seq: int) -> bool:
        """Whether anchor `seq` of `kind` was voided by the owner."""
        return bool(self.contract.functions.is_voided(kind, seq).call())

    def verify(self, kind: int, seq: int, leaf: bytes, proof: Sequence[bytes]) -> bool:
        """The contract's answer: is `leaf` (the leaf, not its node hash) in the tree of anchor `seq` of
        `kind`, and is that anchor not voided? It may still be voided later: see `verify_final`."""
        return bool(self.contract.functions.verify(kind, seq, leaf, list(proof)).call())

    def verify_final(self, kind: int, seq: int, leaf: bytes, proof: Sequence[bytes]) -> bool:
        """As `verify`, and the anchor is final (past its window, not voided): an answer that stays."""
        return bool(self.contract.functions.verify_final(kind, seq, leaf, list(proof)).call())

    def verify_reserve(
        self,
        kind: int,
        seq: int,
        account: bytes,
        amount: int,
        proof: Sequence[SumNode],
        *,
        final: bool = False,
    ) -> bool:
        """Whether a Merkle-sum proof shows (`account`, `amount`) in reserves snapshot `seq` of `kind`, under
        its total.

        The leaf is built here from the entry (never taken from the prover, who could pass an internal node),
        the proof must be empty exactly when the batch has one entry, and it must lead to the root and total
        of the anchor's `Anchored` event (what the custody group signed); the contract must still hold that
        root for the seq, not voided, and with `final` the anchor must be final.
        """
        try:
            root = process_sum_proof(sum_leaf(account, amount), list(proof))
        except ChainError:  # totals that overflow, or an entry that is no uint256, prove nothing
            return False
        batch = self.anchored(kind, seq)
        if (root.hash, root.total) != (batch.root, batch.total) or (len(proof) == 0) != (batch.count == 1):
            return False
        if final and not self.is_final(kind, seq):
            return False
        return bool(self.contract.functions.is_anchored_root(kind, seq, root.hash).call())
