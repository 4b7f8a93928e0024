"""The settlement anchorer: each round cuts a batch of settled trades when one is due, has the custody group
sign its root as an `Anchor` intent, and submits it to `SettlementAnchor`.

A round (`run_once`) works on the one unfinished batch (`matching.settlement.batches`), or cuts the next:

1. If the batch has a seq already, the chain is asked first: an `Anchored` event at that seq carrying this
   root means an earlier round (perhaps killed right after sending) anchored it, and the batch is recorded
   `anchored` with nothing signed or sent again. A seq taken by another root, or behind the head's next
   one, is chosen again.
2. Otherwise the contract's head gives the seq and prevRoot, committed (`signing`) before anything is asked.
3. The custody group signs the intent through the API (`payments.rails.custody_requests`), the batch's
   leaves attached so that every node rebuilds the root itself before it signs; the Idempotency-Key names
   the batch, seq and prevRoot, so a resumed round gets the same sign request and signature back.
4. The relayer sends it (it pays gas, holds no authority); the transaction hash is committed (`submitted`),
   then the `Anchored` event read back makes it `anchored`. A send that reverts because the seq is taken
   goes back to step 1: if this root is there, some earlier send landed.

The contract refuses a second anchor at a seq, so however often a crash makes a round repeat a step, a
batch is anchored once.

Every round first reads the contract's `Voided` events in the blocks `confirmations` deep since its read
position (`relay.cursor.ChainCursor` in `settlement_cursor_blocks`, rewound on a reorg; the deployment block
before the first window). The batches anchored at a voided range become `voided` and their trades go back
to be cut again (`record_voided`), in the transaction that moves the position past the window: a restart
reads on from there, never from the deployment block again, and a crash before the commit leaves the window
to be read again (voiding twice changes nothing). The voided trades are anchored anew under the next seqs,
after the prevRoot the contract resumed from; an unfinished batch that had chosen a voided root as its
prevRoot chooses again at its next step (`choose`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine

from chain.anchor import AnchoredBatch, SettlementAnchor
from chain.intents import Anchor
from chain.merkle import MerkleTree
from chain.transactions import TransactionFailed
from ledger.store import begin_writing
from matching.settlement.batches import (
    SETTLEMENT_KIND,
    Batch,
    BatchPolicy,
    batch_tree,
    choose_anchor,
    cut_batch,
    load_batch,
    record_anchored,
    record_submitted,
    record_voided,
    unfinished,
)
from matching.settlement.schema import settlement_cursor_blocks
from relay.cursor import ChainCursor

log = logging.getLogger("relay.settlement")

Signer = Callable[[Anchor, dict[str, Any], str], tuple[int, int, int]]
"""(intent, anchor_leaves, idempotency key) -> the custody signature (R.x, R.y, z)."""


def anchor_leaves(tree: MerkleTree) -> dict[str, Any]:
    """The sign request's `anchor_leaves`: the batch's leaves, from which the nodes rebuild the root."""
    return {"tree": "plain", "leaves": ["0x" + leaf.hex() for leaf in tree.leaves]}


def request_key(batch: Batch) -> str:
    """The sign request's Idempotency-Key: one per (deployment, batch, seq, prevRoot)."""
    assert batch.anchor_seq is not None
    assert batch.prev_root is not None
    return (
        f"settlement-anchor:{batch.chain_id}:{batch.contract}:{batch.id}:{batch.anchor_seq}:"
        f"{batch.prev_root.hex()[:16]}"
    )


def batch_anchor(batch: Batch) -> Anchor:
    """The Anchor intent of a batch whose seq and prevRoot are chosen."""
    assert batch.anchor_seq is not None
    assert batch.prev_root is not None
    return Anchor(
        kind=batch.kind,
        seq=batch.anchor_seq,
        root=batch.root,
        count=batch.count,
        total=0,
        prev_root=batch.prev_root,
    )


@dataclass
class Anchorer:
    """Anchors the batches of `engine`'s settled trades on `anchor`, signed through `sign`."""

    engine: Engine
    anchor: SettlementAnchor
    sign: Signer
    relayer: LocalAccount
    policy: BatchPolicy
    confirmations: int = 0
    max_blocks: int = 2_000
    """How many blocks one read of `Voided` events spans at most."""
    voids_cursor: ChainCursor = field(init=False)

    def __post_init__(self) -> None:
        chain_id = int(self.anchor.w3.eth.chain_id)
        self.voids_cursor = ChainCursor(
            f"settlement-voids:{chain_id}:{self.anchor.address}:{SETTLEMENT_KIND}", settlement_cursor_blocks
        )

    def run_once(self) -> int:
        """One round: voids taken in, then the unfinished batch carried as far as it goes, or a new one
        cut; 1 if one was anchored in it, else 0."""
        self.take_voids()
        batch = unfinished(self.engine) or self.cut()
        if batch is None:
            return 0
        return 1 if self.advance(batch) else 0

    def take_voids(self) -> list[int]:
        """Read the `Voided` events of the confirmed blocks past the read position, window by window, and
        void their batches, each window in the transaction that moves the position; the ids voided."""
        chain_id = int(self.anchor.w3.eth.chain_id)
        voided: list[int] = []
        while True:
            with self.engine.begin() as connection:
                begin_writing(connection)  # SQLite: the write lock first, not a read upgraded later
                window = self.voids_cursor.next_window(
                    connection,
                    self.anchor.w3,
                    start_block=self.anchor.from_block,
                    confirmations=self.confirmations,
                    max_blocks=self.max_blocks,
                )
                if window is None:
                    return voided
                for first, last in self.anchor.voids(SETTLEMENT_KIND, window.first, window.last.number):
                    ids = record_voided(
                        connection, chain_id, self.anchor.address, SETTLEMENT_KIND, first, last
                    )
                    if ids:
                        log.warning(
                            "anchors %s..%s voided: batches %s go back to be cut again", first, last, ids
                        )
                    voided += ids
                self.voids_cursor.advance(connection, window.last)

    def cut(self) -> Batch | None:
        """The next batch, if one is due (`BatchPolicy`)."""
        chain_id = int(self.anchor.w3.eth.chain_id)
        return cut_batch(self.engine, self.policy, chain_id, self.anchor.address)

    def advance(self, batch: Batch) -> bool:
        """Carry `batch` on: True once it is recorded anchored."""
        if batch.status == "anchored":
            return True
        tree = batch_tree(self.engine, batch)
        if batch.anchor_seq is not None:
            landed = self.landed(batch)
            if landed is not None:
                return self._anchored(batch, landed)
        batch = self.choose(batch)
        intent = batch_anchor(batch)
        signature = self.sign(intent, anchor_leaves(tree), request_key(batch))
        try:
            receipt = self.anchor.submit(self.relayer, intent, signature)
        except TransactionFailed:
            landed = self.landed(batch)
            if landed is None:
                raise
            return self._anchored(batch, landed)
        record_submitted(self.engine, batch.id, "0x" + bytes(receipt["transactionHash"]).hex())
        return self._anchored(batch, self.anchor.anchored(batch.kind, intent.seq))

    def landed(self, batch: Batch) -> AnchoredBatch | None:
        """The `Anchored` event of the batch's seq if it carries the batch's root."""
        assert batch.anchor_seq is not None
        last_seq, _ = self.anchor.contract.functions.head(batch.kind).call()
        if int(last_seq) < batch.anchor_seq:
            return None
        event = self.anchor.anchored(batch.kind, batch.anchor_seq)
        return event if event.root == batch.root else None

    def choose(self, batch: Batch) -> Batch:
        """The batch with the seq and prevRoot the contract's head asks for now (committed if new)."""
        head = self.anchor.head(batch.kind)
        if (batch.anchor_seq, batch.prev_root) != (head.next_seq, head.valid_root):
            choose_anchor(self.engine, batch.id, head.next_seq, head.valid_root)
            chosen = load_batch(self.engine, batch.id)
            assert chosen is not None
            return chosen
        return batch

    def _anchored(self, batch: Batch, event: AnchoredBatch) -> bool:
        if int(self.anchor.w3.eth.block_number) - event.block_number < self.confirmations:
            return False
        record_anchored(self.engine, batch.id, event.tx_hash, event.block_number)
        log.info("batch %s anchored as seq %s in %s", batch.id, event.seq, event.tx_hash)
        return True
