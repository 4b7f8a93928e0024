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
"""

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine, RowMapping

from chain.bridge.batch import Batch
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

log = logging.getLogger("relay.bridge")

Signer = Callable[[BridgeBatch, Sequence[Message], str], OnchainSignature]
"""(intent, the batch's messages, idempotency key) -> the custody group's signature (R.x, R.y, z)."""

DELIVERED = ("claimed", "queued", "released")
FINGERPRINT_BITS = 40


def now_us() -> int:
    return time.time_ns() // 1_000


def request_key(batch: RowMapping) -> str:
    """The sign request's Idempotency-Key: one per (destination, seq, root)."""
    return f"bridge-batch:{batch['dst_chain_id']}:{batch['dst_bridge']}:{batch['seq']}:{batch['root'][:18]}"


def fingerprint(root: bytes) -> bytes:
    """What a bridge stores of a root: its top 216 bits, the low 40 zero."""
    value = int.from_bytes(root, "big") >> FINGERPRINT_BITS << FINGERPRINT_BITS
    return value.to_bytes(32, "big")


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

    def __post_init__(self) -> None:
        self.route = self.destination.inbound()

    def run_once(self) -> int:
        """Cut what is due and carry every open batch on; the number of messages delivered."""
        while cut_batch(self.engine, self.route, self.policy, now_us()) is not None:
            pass
        delivered = self.release_due()
        for batch in open_batches(self.engine, self.route):
            lease = f"bridge-batch:{batch['id']}"
            if not take_lease(self.engine, lease, self.holder, now_us(), self.lease_ttl_us):
                continue  # another relay delivers it
            delivered += self.deliver(batch, lease)
        return delivered

    def deliver(self, batch: RowMapping, lease: str) -> int:
        """Carry `batch` on under `lease`; the messages delivered."""
        rows = batch_messages(self.engine, int(batch["id"]))
        tree = Batch(self.route, [message_of(self.route, row) for row in rows])
        if "0x" + tree.root.hex() != batch["root"]:
            raise BridgeError(f"batch {batch['id']}'s messages do not make its root")
        if batch["status"] == "cut":
            self.attest(batch, tree)
            reloaded = load_batch(self.engine, int(batch["id"]))
            assert reloaded is not None
            batch = reloaded
        if int(self.destination.w3.eth.get_block("latest")["timestamp"]) < int(batch["deadline"]):
            return 0  # the challenge window is still open
        set_batch(self.engine, int(batch["id"]), now_us(), "claimable")
        delivered = 0
        for row in batch_messages(self.engine, int(batch["id"])):
            if row["status"] in DELIVERED:
                continue
            if not take_lease(self.engine, lease, self.holder, now_us(), self.lease_ttl_us):
                return delivered  # the lease ran out and another relay took the batch over
            self.claim(batch, tree, row)
            delivered += 1
        set_batch(self.engine, int(batch["id"]), now_us(), None, status="delivered")
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
            now_us(),
            "attested",
            status="attested",
            deadline=record.deadline,
            attest_tx_hash=tx_hash,
        )
        log.info("batch %s attested as seq %s", batch["id"], seq)

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
            set_message(self.engine, row, "released", now_us(), tx_hash or row["claim_tx_hash"])
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
        set_message(self.engine, row, "queued" if queued else "claimed", now_us(), tx_hash)
