"""Delivery: a route's messages cut into batches, each attested on the destination bridge with the custody
group's signature, then claimed there message by message, once.

A round (`run_once`) cuts every batch that is due (`payments.bridge.store.cut_batch`: by size or age) and
carries each open batch as far as it goes, under the batch's database lease: of several relays only the
holder delivers it, and a relay killed holding it blocks the batch only until the lease expires.

1. Attestation. The destination's record of the batch's seq is asked first: a fingerprint there that is
   this root's means an earlier round (perhaps killed right after sending) attested it, and nothing is
   signed or sent again. Otherwise the custody group signs the `BridgeBatch` intent through the API (the
   Idempotency-Key names route, seq and root, so a resumed round gets the same sign request back) and the
   relayer sends it; it pays gas and holds no authority. A round's attestations go out together with
   consecutive nonces and are awaited together (`chain.pipeline`). The batch is recorded `attested` with its
   deadline, its messages with it.
2. Claims, once the destination's clock passed the deadline (messages `claimable`). Each message is claimed
   unless the bridge consumed its nonce already (an earlier claim landed before a crash could record it);
   up to `claims_in_flight` claims go out back to back and share blocks, and only then are their receipts
   awaited. The outcome (`claimed`, or `queued` over the rate limit) is recorded under the message's local
   key (source chain, tx hash, log index). The bridge refuses a second claim of a nonce, so however often a
   crash repeats a step, a message pays once.

A send that fails (a node down, a revert) raises out of the round; the next round starts again from what
the chain and the database say. Each round also releases the queued messages whose delay is over
(`released`).
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine, RowMapping

from chain import pipeline
from chain.bridge.batch import Batch
from chain.bridge.contracts import Bridge, OnchainSignature
from chain.bridge.message import BridgeError
from chain.intents import BridgeBatch
from chain.transactions import TransactionFailed
from payments.bridge.lease import drop_lease, take_lease
from payments.bridge.store import (
    BatchPolicy,
    Outcome,
    batch_messages,
    cut_batch,
    from_hex,
    load_batch,
    message_of,
    open_batches,
    queued_messages,
    set_batch,
    set_message,
    set_messages,
)

log = logging.getLogger("relay.bridge")

Signer = Callable[[BridgeBatch, str], OnchainSignature]
"""(intent, idempotency key) -> the custody group's signature (R.x, R.y, z)."""

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
    claims_in_flight: int = 100
    """Claims sent together before their receipts are awaited (and the leases renewed)."""

    def __post_init__(self) -> None:
        self.route = self.destination.inbound()

    def run_once(self) -> int:
        """Cut what is due and carry every open batch this relay holds the lease of on; the number of
        messages delivered."""
        while cut_batch(self.engine, self.route, self.policy, now_us()) is not None:
            pass
        delivered = self.release_due()
        held = []
        for batch in open_batches(self.engine, self.route):
            lease = f"bridge-batch:{batch['id']}"
            if take_lease(self.engine, lease, self.holder, now_us(), self.lease_ttl_us):
                held.append(Held(batch, lease, self.tree_of(batch)))
            # else another relay delivers it
        return delivered + self.deliver(held)

    def tree_of(self, batch: RowMapping) -> Batch:
        """`batch`'s messages as the tree its root was cut from."""
        rows = batch_messages(self.engine, int(batch["id"]))
        tree = Batch(self.route, [message_of(self.route, row) for row in rows])
        if "0x" + tree.root.hex() != batch["root"]:
            raise BridgeError(f"batch {batch['id']}'s messages do not make its root")
        return tree

    def deliver(self, held: list["Held"]) -> int:
        """Carry the `held` batches on, by seq: attest the ones cut (their attestations sent together), then
        claim the messages of every one whose challenge window is over (their claims sent together,
        `claims_in_flight` at a time, each time under renewed leases); the messages delivered."""
        self.attest([entry for entry in held if entry.batch["status"] == "cut"])
        now = int(self.destination.w3.eth.get_block("latest")["timestamp"])
        ready, claims = [], []
        for entry in held:
            batch = load_batch(self.engine, int(entry.batch["id"]))
            assert batch is not None
            if now < int(batch["deadline"]):
                continue  # the challenge window is still open
            set_batch(self.engine, int(batch["id"]), now_us(), "claimable")
            ready.append(Held(batch, entry.lease, entry.tree))
            rows = batch_messages(self.engine, int(batch["id"]))
            claims += [(ready[-1], row) for row in rows if row["status"] not in DELIVERED]
        last_claim = {entry.lease: index for index, (entry, _) in enumerate(claims)}
        undelivered = {entry.lease: (entry, last_claim.get(entry.lease, -1)) for entry in ready}
        self._mark_delivered(undelivered, 0)
        delivered = 0
        for start in range(0, len(claims), self.claims_in_flight):
            chunk = claims[start : start + self.claims_in_flight]
            leases = {entry.lease for entry, _ in chunk}
            if not all(
                take_lease(self.engine, lease, self.holder, now_us(), self.lease_ttl_us) for lease in leases
            ):
                return delivered  # a lease ran out and another relay took its batch over
            delivered += self.claim(chunk)
            self._mark_delivered(undelivered, start + len(chunk))
        return delivered

    def _mark_delivered(self, undelivered: dict[str, tuple["Held", int]], claimed_up_to: int) -> None:
        """Record delivered, and let go of, each batch of `undelivered` (lease -> batch, index of its last
        claim in the round) whose claims are all before `claimed_up_to`: as soon as its own messages are
        recorded, not after the round's other batches."""
        for lease, (entry, last) in list(undelivered.items()):
            if last < claimed_up_to:
                del undelivered[lease]
                set_batch(self.engine, int(entry.batch["id"]), now_us(), None, status="delivered")
                drop_lease(self.engine, lease, self.holder)
                log.info("batch %s (seq %s) delivered", entry.batch["id"], entry.batch["seq"])

    def attest(self, cut: list["Held"]) -> None:
        """Attest the `cut` batches on the destination, but those an earlier round did; record them attested.

        The attestations are signed one by one, then sent together with consecutive nonces (`chain.pipeline`)
        and awaited together. Only the first is estimated: each later one follows a seq not yet attested
        when it is sent, so its estimate would refuse it; it gets the first one's gas limit (attestations
        cost the same whatever the batch). Whatever was sent, each batch is recorded from what the bridge
        holds at its seq; a seq still empty raises what kept it so.
        """
        w3, seqs, calls, failure = self.destination.w3, [], [], None
        for entry in cut:
            seq, prev_root = int(entry.batch["seq"]), from_hex(entry.batch["prev_root"])
            if self.destination.record(seq).fingerprint == bytes(32):
                signature = self.sign(entry.tree.intent(seq, prev_root), request_key(entry.batch))
                seqs.append(seq)
                calls.append(self.destination.attest_call(entry.tree, seq, prev_root, signature))
        tx_hashes: list[str] = []
        if calls:
            limits, failure = pipeline.estimate(w3, self.relayer, calls[:1])
            if failure is None:
                tx_hashes = pipeline.send(w3, self.relayer, calls, limits * len(calls))
                mined = pipeline.wait_for_all(w3, self.relayer, tx_hashes)
                failure = next(
                    (TransactionFailed("attest()", None, m.tx_hash) for m in mined if not m.succeeded), None
                )
        sent_by_seq = dict(zip(seqs, tx_hashes, strict=False))
        for entry in cut:
            seq = int(entry.batch["seq"])
            record = self.destination.record(seq)
            if record.fingerprint == bytes(32):
                raise failure or BridgeError(f"seq {seq} was not attested")
            if record.fingerprint != fingerprint(entry.tree.root):
                raise BridgeError(f"seq {seq} on {self.destination.address} holds another root")
            set_batch(
                self.engine,
                int(entry.batch["id"]),
                now_us(),
                "attested",
                status="attested",
                deadline=record.deadline,
                attest_tx_hash=sent_by_seq.get(seq),
            )
            log.info("batch %s attested as seq %s", entry.batch["id"], seq)

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

    def claim(self, claims: list[tuple["Held", RowMapping]]) -> int:
        """Claim each message of `claims` unless the bridge consumed its nonce, and record each outcome under
        its key; the number recorded.

        The claims are estimated, signed with consecutive nonces and sent together, and only then are their
        receipts awaited (`chain.pipeline`), so they share blocks instead of taking one each. Estimation
        stops at the first claim that would revert: the claims before it are sent, awaited and recorded,
        then its refusal is raised. A claim mined reverted stays unrecorded for the next round (the bridge
        refuses a second claim of a nonce, so however a round ends, nothing is paid twice).
        """
        w3 = self.destination.w3
        messages = [entry.tree.message(int(row["nonce"])) for entry, row in claims]
        consumed = self.destination.consumed([message.nonce for message in messages])
        earlier = [row for (_, row), done in zip(claims, consumed, strict=True) if done]
        to_claim = [
            (entry, row, message)
            for (entry, row), message, done in zip(claims, messages, consumed, strict=True)
            if not done
        ]
        calls = [
            self.destination.claim_call(int(entry.batch["seq"]), entry.tree, message)
            for entry, _, message in to_claim
        ]
        gas_limits, refusal = pipeline.estimate(w3, self.relayer, calls)
        sent = pipeline.send(w3, self.relayer, calls[: len(gas_limits)], gas_limits) if gas_limits else []
        mined = pipeline.wait_for_all(w3, self.relayer, sent)
        queued_topic = self.destination.queued_topic()
        outcomes: list[Outcome] = [(row, self._outcome_of(row), None) for row in earlier]
        outcomes += [
            (row, "queued" if queued_topic in receipt.topics else "claimed", receipt.tx_hash)
            for (_, row, _), receipt in zip(to_claim, mined, strict=False)
            if receipt.succeeded
        ]
        set_messages(self.engine, outcomes, now_us())
        if refusal is not None:
            raise refusal
        if len(outcomes) < len(claims):
            reverted = next(receipt.tx_hash for receipt in mined if not receipt.succeeded)
            raise TransactionFailed("claim()", None, reverted)
        return len(outcomes)

    def _outcome_of(self, row: RowMapping) -> str:
        """What became of a message the bridge consumed in an earlier round: queued or claimed."""
        leaf = message_of(self.route, row).leaf()
        return "queued" if int(self.destination.contract.functions.queued(leaf).call()) != 0 else "claimed"


@dataclass(frozen=True)
class Held:
    """An open batch this relay holds the lease of, with its tree."""

    batch: RowMapping
    lease: str
    tree: Batch
