"""Delivery: a route's messages cut into batches, each attested on the destination bridge with the custody
group's signature, then claimed there message by message, once.

A round (`run_once`) cuts every batch that is due (`payments.bridge.store.cut_batch`: by size or age) and
carries each open batch as far as it goes, under the batch's database lease: of several relays only the
holder delivers it, and a relay killed holding it blocks the batch only until the lease expires.

1. Attestation. The destination's record of the batch's seq is asked first: a fingerprint there that is
   this root's means an earlier round (perhaps killed right after sending) attested it, and nothing is
   signed or sent again. Otherwise the custody group signs the `BridgeBatch` intent through the API (the
   Idempotency-Key names route, seq and root, so a resumed round gets the same sign request back) and the
   relayer sends it; it pays gas and holds no authority (`chain.transactions.send_call` manages its nonce).
   The batch is recorded `attested` with its deadline, its messages with it.
2. Claims, once the destination's clock passed the deadline (messages `claimable`). Each message is claimed
   unless the bridge consumed its nonce already (an earlier claim landed before a crash could record it);
   the outcome (`claimed`, or `queued` over the rate limit) is recorded under the message's local key
   (source chain, tx hash, log index). The bridge refuses a second claim of a nonce, so however often a
   crash repeats a step, a message pays once.

A send that fails (a node down, a revert) raises out of the round; the next round starts again from what
the chain and the database say. Each round also releases the queued messages whose delay is over
(`released`).

Undone batches (`payments.bridge.vetoes`). A batch the destination shows vetoed is left alone: the veto
watcher (`relay.bridge.vetoes`) returns its messages to be cut again once it reads the veto at the depth.
A message a deep reorg orphaned is never claimed, and its batch stays open (loudly, for the guardian to
veto) rather than delivered; a batch holding one that the destination has not attested is dropped, with
every batch cut after it, and its other messages cut again.
"""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine, RowMapping

from chain.bridge.batch import Batch, fingerprint
from chain.bridge.contracts import Bridge, OnchainSignature
from chain.bridge.message import BridgeError, Message
from chain.intents import BridgeBatch
from chain.transactions import TransactionFailed
from payments.bridge.lease import drop_lease, take_lease
from payments.bridge.store import (
    BatchPolicy,
    batch_messages,
    cut_batch,
    from_hex,
    load_batch,
    message_of,
    open_batches,
    queued_messages,
    set_batch,
    set_message,
)
from payments.bridge.vetoes import drop_batches_from

log = logging.getLogger("relay.bridge")

Signer = Callable[[BridgeBatch, Sequence[Message], str], OnchainSignature]
"""(intent, the batch's messages, idempotency key) -> the custody group's signature (R.x, R.y, z)."""

DELIVERED = ("claimed", "queued", "released")


def now_us() -> int:
    return time.time_ns() // 1_000


def request_key(batch: RowMapping) -> str:
    """The sign request's Idempotency-Key: one per (destination, seq, root)."""
    return f"bridge-batch:{batch['dst_chain_id']}:{batch['dst_bridge']}:{batch['seq']}:{batch['root'][:18]}"


@dataclass
class Deliverer:
    """Delivers the messages of `destination`'s inbound route from `engine`, as `holder`."""

    engine: Engine
    destination: Bridge
    sign: Signer
    relayer: LocalAccount
    policy: BatchPolicy
    holder: str
    lease_ttl_us: int = 60_000_000
    clock: Callable[[], int] = now_us
    """Microseconds since the epoch: the batch policy's and the leases' clock (a test's, to expire one)."""

    def __post_init__(self) -> None:
        self.route = self.destination.inbound()

    def run_once(self) -> int:
        """Cut what is due and carry every open batch on; the number of messages delivered."""
        while cut_batch(self.engine, self.route, self.policy, self.clock()) is not None:
            pass
        delivered = self.release_due()
        for batch in open_batches(self.engine, self.route):
            lease = f"bridge-batch:{batch['id']}"
            if not take_lease(self.engine, lease, self.holder, self.clock(), self.lease_ttl_us):
                continue  # another relay delivers it
            current = load_batch(self.engine, int(batch["id"]))
            if (
                current is None
                or current["root"] != batch["root"]
                or current["status"] in ("delivered", "vetoed")
            ):
                continue  # dropped (its id perhaps another batch's now), delivered or vetoed since listed
            delivered += self.deliver(current, lease)
        return delivered

    def deliver(self, batch: RowMapping, lease: str) -> int:
        """Carry `batch` on under `lease`; the messages delivered."""
        rows = batch_messages(self.engine, int(batch["id"]))
        tree = Batch(self.route, [message_of(self.route, row) for row in rows])
        if "0x" + tree.root.hex() != batch["root"]:
            raise BridgeError(f"batch {batch['id']}'s messages do not make its root")
        orphaned = [int(row["nonce"]) for row in rows if row["status"] == "orphaned"]
        if batch["status"] == "cut":
            if orphaned and self.drop_unattested(batch, lease):
                return 0
            self.attest(batch, tree)
            reloaded = load_batch(self.engine, int(batch["id"]))
            assert reloaded is not None
            batch = reloaded
        if orphaned:
            log.error(
                "batch seq %s on %s holds messages %s a reorg took away: the guardian must veto it before %s",
                batch["seq"],
                self.destination.address,
                orphaned,
                batch["deadline"],
            )
        if int(self.destination.w3.eth.get_block("latest")["timestamp"]) < int(batch["deadline"]):
            return 0  # the challenge window is still open
        if self.destination.record(int(batch["seq"])).vetoed:
            return 0  # the veto watcher returns its messages once it reads the veto at the depth
        set_batch(self.engine, int(batch["id"]), self.clock(), "claimable")
        delivered = 0
        for row in batch_messages(self.engine, int(batch["id"])):
            if row["status"] in (*DELIVERED, "orphaned"):
                continue
            if not take_lease(self.engine, lease, self.holder, self.clock(), self.lease_ttl_us):
                return delivered  # the lease ran out and another relay took the batch over
            self.claim(batch, tree, row)
            delivered += 1
        if orphaned:
            return delivered  # open while it holds an orphaned message (revived, it is claimed then)
        set_batch(self.engine, int(batch["id"]), self.clock(), None, status="delivered")
        drop_lease(self.engine, lease, self.holder)
        log.info("batch %s (seq %s) delivered", batch["id"], batch["seq"])
        return delivered

    def attest(self, batch: RowMapping, tree: Batch) -> None:
        """Attest `batch` on the destination unless an earlier round did; record it attested."""
        seq, prev_root = int(batch["seq"]), from_hex(batch["prev_root"])
        tx_hash = None
        if self.destination.record(seq).fingerprint == bytes(32):
            signature = self.sign(tree.intent(seq, prev_root), tree.messages, request_key(batch))
            try:
                receipt = self.destination.attest(self.relayer, tree, seq, prev_root, signature)
                tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
            except TransactionFailed:
                if self.destination.record(seq).fingerprint == bytes(32):
                    raise
        record = self.destination.record(seq)
        if record.fingerprint != fingerprint(tree.root):
            raise BridgeError(f"seq {seq} on {self.destination.address} holds another root")
        set_batch(
            self.engine,
            int(batch["id"]),
            self.clock(),
            "attested",
            status="attested",
            deadline=record.deadline,
            attest_tx_hash=tx_hash,
        )
        log.info("batch %s attested as seq %s", batch["id"], seq)

    def drop_unattested(self, batch: RowMapping, lease: str) -> bool:
        """Drop `batch` (holding an orphaned message) and the batches after it, their other messages to be
        cut again, unless the destination attested it already (before a crash let it be recorded): then it
        is the guardian's to veto. Whether it was dropped."""
        seq = int(batch["seq"])
        if self.destination.record(seq).fingerprint != bytes(32):
            return False
        with self.engine.begin() as connection:
            returned = drop_batches_from(connection, self.route, seq, self.clock())
        drop_lease(self.engine, lease, self.holder)
        log.warning("batch seq %s held orphaned messages: dropped, %s messages to cut again", seq, returned)
        return True

    def release_due(self) -> int:
        """Release the route's queued messages whose delay is over (anyone may; the bridge pays each once:
        a second release reverts, and one that landed before a crash shows as no longer queued)."""
        released = 0
        now = int(self.destination.w3.eth.get_block("latest")["timestamp"])
        for row in queued_messages(self.engine, self.route):
            message = message_of(self.route, row)
            release_at = int(self.destination.contract.functions.queued(message.leaf()).call())
            tx_hash = None
            if release_at != 0:
                if release_at > now:
                    continue
                receipt = self.destination.release(self.relayer, message)
                tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
            set_message(self.engine, row, "released", self.clock(), tx_hash or row["claim_tx_hash"])
            released += 1
        return released

    def claim(self, batch: RowMapping, tree: Batch, row: RowMapping) -> None:
        """Claim one message unless the bridge consumed its nonce; record the outcome under its key."""
        message = message_of(self.route, row)
        tx_hash = None
        if not self.destination.is_consumed(message.nonce):
            receipt = self.destination.claim(self.relayer, int(batch["seq"]), tree, message)
            tx_hash = "0x" + bytes(receipt["transactionHash"]).hex()
        queued = int(self.destination.contract.functions.queued(message.leaf()).call()) != 0
        set_message(self.engine, row, "queued" if queued else "claimed", self.clock(), tx_hash)
