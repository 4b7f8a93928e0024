"""Delivery: a route's messages cut into batches, each attested on the destination bridge with the custody
group's signature, then claimed there in `claim_many` transactions, each message once.

A round (`run_once`) cuts every batch that is due (`payments.bridge.store.cut_batch`: by size or age) and
carries each open batch as far as it goes, under the batch's database lease: of several relays only the
holder delivers it, and a relay killed holding it blocks the batch only until the lease expires.

1. Attestation. The destination's record of the batch's seq is asked first: a fingerprint there that is
   this root's means an earlier round (perhaps killed right after sending) attested it, and nothing is
   signed or sent again. Otherwise the custody group signs the `BridgeBatch` intent through the API (the
   Idempotency-Key names route, seq and root, so a resumed round gets the same sign request back) and the
   relayer sends it; it pays gas and holds no authority. A round pipelines its cut batches: all are signed
   (concurrently: a signer node signs a seq ahead of the destination on its messages alone, since the
   contract takes batches only in order anyway), then their attestations go out back to back with
   consecutive nonces (`chain.pipeline.send_in_waves`: as many at once as fit a block) and share a
   block. Only the first is estimated (the others would revert against a chain that lacks their
   predecessor); they carry its limit plus `ATTEST_GAS_MARGIN`.
   Each batch the destination then holds is recorded `attested` with its deadline, its messages with it.
2. Claims, once the destination's clock passed the deadline (messages `claimable`): `relay.bridge.claims`,
   up to `claims_in_flight` messages at a time, each time under renewed leases. On a destination without a
   challenge window, the claims of the batches a round attests are sent right behind their attestations,
   into the same block (`ClaimSender.send_behind`).

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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine, RowMapping

from chain import pipeline
from chain.anchor import key_hint
from chain.bridge.batch import Batch, fingerprint
from chain.bridge.contracts import ATTEST_GAS_MARGIN, MAX_CLAIMS, Bridge, OnchainSignature
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
    set_batch,
)
from payments.bridge.vetoes import drop_batches_from
from relay.bridge.claims import DELIVERED, Claim, ClaimSender, SentClaims

log = logging.getLogger("relay.bridge")

Signer = Callable[[BridgeBatch, Sequence[Message], str], OnchainSignature]
"""(intent, the batch's messages, idempotency key) -> the custody group's signature (R.x, R.y, z)."""

SIGNING_THREADS = 2
"""Sign requests of one round asked at once. Each waits on the API and the signer nodes, but every node
witnesses a batch's messages on the chains one batch at a time, so more at once only queues at the nodes
(8 at once on a loaded 2-core box made them miss the coordinator's 5-second round timeout)."""


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
    claims_in_flight: int = 1_000
    """Messages claimed together (their `claim_many` transactions sent back to back) before the receipts
    are awaited (and the leases renewed)."""
    claims_per_transaction: int = MAX_CLAIMS
    """Messages in one `claim_many` (`relay.bridge.settings`: a gas budget per transaction)."""
    clock: Callable[[], int] = now_us
    """Microseconds since the epoch: the batch policy's and the leases' clock (a test's, to expire one)."""
    claims: ClaimSender = field(init=False)

    def __post_init__(self) -> None:
        self.route = self.destination.inbound()
        self.claims = ClaimSender(
            self.engine, self.destination, self.relayer, self.route, self.clock, self.claims_per_transaction
        )

    def run_once(self) -> int:
        """Cut what is due and carry every open batch this relay holds the lease of on; the number of
        messages delivered."""
        while cut_batch(self.engine, self.route, self.policy, self.clock()) is not None:
            pass
        delivered = self.claims.release_due()
        held = []
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
            held.append(self.hold(current, lease))
        return delivered + self.deliver(held)

    def hold(self, batch: RowMapping, lease: str) -> "Held":
        """`batch`, held under `lease`, with the tree its root was cut from and its orphaned messages."""
        rows = batch_messages(self.engine, int(batch["id"]))
        tree = Batch(self.route, [message_of(self.route, row) for row in rows])
        if "0x" + tree.root.hex() != batch["root"]:
            raise BridgeError(f"batch {batch['id']}'s messages do not make its root")
        return Held(batch, lease, tree, orphaned_in(rows))

    def deliver(self, held: list["Held"]) -> int:
        """Carry the `held` batches on, by seq: drop a cut one holding an orphaned message, attest the other
        ones cut (pipelined), then claim the messages of every one whose challenge
        window is over and which is not vetoed (their claims sent together, `claims_in_flight` at a time,
        each time under renewed leases); the messages delivered."""
        held = self.drop_unattested(held)
        delivered = 0
        try:
            delivered = self.attest([entry for entry in held if entry.batch["status"] == "cut"])
        except Exception as error:  # the batches attested before it are still claimed this round
            attest_failure: Exception | None = error
        else:
            attest_failure = None
        now = int(self.destination.w3.eth.get_block("latest")["timestamp"])
        ready: list[Held] = []
        claims: list[tuple[Held, RowMapping]] = []
        for entry in held:
            opened = self.open_for_claims(entry, now)
            if opened is not None:
                ready.append(opened[0])
                claims += [(opened[0], row) for row in opened[1]]
        last_claim = {entry.lease: index for index, (entry, _) in enumerate(claims)}
        # A batch holding an orphaned message stays open (revived, the message is claimed then).
        undelivered = {
            entry.lease: (entry, last_claim.get(entry.lease, -1)) for entry in ready if not entry.orphaned
        }
        self._mark_delivered(undelivered, 0)
        for start in range(0, len(claims), self.claims_in_flight):
            chunk = claims[start : start + self.claims_in_flight]
            leases = {entry.lease for entry, _ in chunk}
            if not all(
                take_lease(self.engine, lease, self.holder, self.clock(), self.lease_ttl_us)
                for lease in leases
            ):
                return delivered  # a lease ran out and another relay took its batch over
            delivered += self.claims.claim([claim_of(entry, row) for entry, row in chunk])
            self._mark_delivered(undelivered, start + len(chunk))
        if attest_failure is not None:
            raise attest_failure
        return delivered

    def open_for_claims(self, entry: "Held", now: int) -> tuple["Held", list[RowMapping]] | None:
        """`entry` as the database holds it now and its messages to claim, once the destination's clock
        (`now`) passed its deadline and unless the destination shows it vetoed; recorded claimable. A batch
        holding an orphaned message is logged as an error every round: the guardian must veto it."""
        batch = load_batch(self.engine, int(entry.batch["id"]))
        assert batch is not None
        rows = batch_messages(self.engine, int(batch["id"]))
        orphaned = orphaned_in(rows)
        if orphaned:
            log.error(
                "batch seq %s on %s holds messages %s a reorg took away: the guardian must veto it before %s",
                batch["seq"],
                self.destination.address,
                list(orphaned),
                batch["deadline"],
            )
        if batch["status"] != "attested":
            return None  # not attested yet (its attestation failed this round)
        if now < int(batch["deadline"]):
            return None  # the challenge window is still open
        if self.destination.record(int(batch["seq"])).vetoed:
            return None  # the veto watcher returns its messages once it reads the veto at the depth
        set_batch(self.engine, int(batch["id"]), self.clock(), "claimable")
        to_claim = [row for row in rows if row["status"] not in (*DELIVERED, "orphaned")]
        return Held(batch, entry.lease, entry.tree, orphaned), to_claim

    def drop_unattested(self, held: list["Held"]) -> list["Held"]:
        """Drop the first cut batch of `held` holding an orphaned message and the batches after it, their
        other messages to be cut again, unless the destination attested it already (before a crash let it
        be recorded): then it is the guardian's to veto. The batches of `held` still there."""
        for entry in held:
            seq = int(entry.batch["seq"])
            if entry.batch["status"] != "cut" or not entry.orphaned:
                continue
            if self.destination.record(seq).fingerprint != bytes(32):
                continue
            with self.engine.begin() as connection:
                returned = drop_batches_from(connection, self.route, seq, self.clock())
            drop_lease(self.engine, entry.lease, self.holder)
            log.warning(
                "batch seq %s held orphaned messages: dropped, %s messages to cut again", seq, returned
            )
            return [kept for kept in held if int(kept.batch["seq"]) < seq]
        return held

    def _mark_delivered(self, undelivered: dict[str, tuple["Held", int]], claimed_up_to: int) -> None:
        """Record delivered, and let go of, each batch of `undelivered` (lease -> batch, index of its last
        claim in the round) whose claims are all before `claimed_up_to`: as soon as its own messages are
        recorded, not after the round's other batches."""
        for lease, (entry, last) in list(undelivered.items()):
            if last < claimed_up_to:
                del undelivered[lease]
                set_batch(self.engine, int(entry.batch["id"]), self.clock(), None, status="delivered")
                drop_lease(self.engine, lease, self.holder)
                log.info("batch %s (seq %s) delivered", entry.batch["id"], entry.batch["seq"])

    def attest(self, entries: Sequence["Held"]) -> int:
        """Attest the cut batches of `entries` (by seq) on the destination, unless an earlier round did, and
        record each the destination holds attested; the first that is not there after the round ends it
        (what failed is raised, the batches after it stay cut for the next round). The number of messages
        claimed behind the attestations (`_send_attestations`), recorded however the round ends.

        All are signed first (up to SIGNING_THREADS requests at once), then sent back to back and awaited
        together: the module docstring says why the signer nodes sign a seq ahead of the destination."""
        pending = [entry for entry in entries if self._fingerprint(entry) == bytes(32)]
        signatures, failure = self._sign_all(pending)
        tx_hashes: dict[int, str] = {}
        refusal: TransactionFailed | None = None
        behind = SentClaims()
        if signatures:
            hint = key_hint(self.destination.custody_key()[0])
            signed = pending[: len(signatures)]
            calls = [
                self.destination.attest_call(entry.tree, *seq_and_prev_root(entry.batch), signature, hint)
                for entry, signature in zip(signed, signatures, strict=True)
            ]
            w3 = self.destination.w3
            first, refusal = pipeline.estimate(w3, self.relayer, calls[:1])
            if first:
                limits = [first[0]] + [first[0] + ATTEST_GAS_MARGIN] * (len(calls) - 1)
                mined, behind = self._send_attestations(signed, calls, limits)
                for entry, receipt in zip(signed, mined, strict=False):
                    if receipt.succeeded:
                        tx_hashes[int(entry.batch["seq"])] = receipt.tx_hash
        try:
            self._record_attested(entries, tx_hashes, failure or refusal)
        except Exception:
            self._record_quietly(behind)
            raise
        return self.claims.record(behind) if behind.tx_hashes else 0

    def _send_attestations(
        self, signed: Sequence["Held"], calls: Sequence[pipeline.Call], limits: Sequence[int]
    ) -> tuple[list[pipeline.Mined], SentClaims]:
        """Send the attestations of `signed` and await them; their receipts, and the claims sent behind them
        into the same block when the destination has no challenge window and the block has room."""
        w3 = self.destination.w3
        room = int(w3.eth.get_block("latest")["gasLimit"]) - sum(limits)
        if room <= 0 or self.destination.challenge_window() != 0:
            return pipeline.send_in_waves(w3, self.relayer, calls, limits), SentClaims()
        tx_hashes = pipeline.send(w3, self.relayer, calls, limits)
        behind = self._claims_behind(signed[: len(tx_hashes)], room)
        try:
            return pipeline.wait_for_all(w3, self.relayer, tx_hashes), behind
        except Exception:
            self._record_quietly(behind)
            raise

    def _claims_behind(self, attested: Sequence["Held"], room: int) -> SentClaims:
        """The claims of the batches whose attestations were just sent, sent behind them
        (`ClaimSender.send_behind`) under renewed leases. Nothing goes early if a lease was lost (another
        relay may be delivering the batch) or the sending fails: the claims then follow the attestations'
        receipts, as on a destination with a window, and the round goes on."""
        if not all(
            take_lease(self.engine, entry.lease, self.holder, self.clock(), self.lease_ttl_us)
            for entry in attested
        ):
            return SentClaims()
        claims = [
            claim_of(entry, row)
            for entry in attested
            for row in batch_messages(self.engine, int(entry.batch["id"]))
            if row["status"] not in (*DELIVERED, "orphaned")
        ]
        try:
            return self.claims.send_behind(claims[: self.claims_in_flight], room)
        except Exception as error:  # an RPC failure, a refused send: the usual path claims them
            log.warning("claims not sent behind their attestations: %s", type(error).__name__)
            return SentClaims()

    def _record_quietly(self, behind: SentClaims) -> None:
        """Record the claims sent behind the attestations on a round that is failing: their outcomes keep
        their tx hashes if they landed; if even that fails, the next round reads them from the bridge."""
        if not behind.tx_hashes:
            return
        try:
            self.claims.record(behind)
        except Exception as error:
            log.warning("claims sent behind attestations not recorded: %s", type(error).__name__)

    def _record_attested(
        self, entries: Sequence["Held"], tx_hashes: dict[int, str], failure: Exception | None
    ) -> None:
        """Record attested each batch of `entries` the destination holds, with its attestation's tx hash
        where this round sent it; the first it does not hold raises `failure` (what stopped the round)."""
        for entry in entries:
            seq = int(entry.batch["seq"])
            record = self.destination.record(seq)
            if record.fingerprint == bytes(32):
                raise failure or TransactionFailed(f"attest({seq})", "not attested after the round")
            if record.fingerprint != fingerprint(entry.tree.root):
                raise BridgeError(f"seq {seq} on {self.destination.address} holds another root")
            set_batch(
                self.engine,
                int(entry.batch["id"]),
                self.clock(),
                "attested",
                status="attested",
                deadline=record.deadline,
                attest_tx_hash=tx_hashes.get(seq),
            )
            log.info("batch %s attested as seq %s", entry.batch["id"], seq)

    def _fingerprint(self, entry: "Held") -> bytes:
        return self.destination.record(int(entry.batch["seq"])).fingerprint

    def _sign_all(self, entries: Sequence["Held"]) -> tuple[list[OnchainSignature], Exception | None]:
        """The custody signatures of `entries`' batches, asked concurrently: those of the longest prefix
        signed, and what stopped it (a refusal, a timeout, the API down), if anything did."""

        def sign(entry: Held) -> OnchainSignature:
            seq, prev_root = seq_and_prev_root(entry.batch)
            return self.sign(entry.tree.intent(seq, prev_root), entry.tree.messages, request_key(entry.batch))

        if not entries:
            return [], None
        signatures: list[OnchainSignature] = []
        pool = ThreadPoolExecutor(max_workers=min(SIGNING_THREADS, len(entries)))
        try:
            for future in [pool.submit(sign, entry) for entry in entries]:
                try:
                    signatures.append(future.result())
                except Exception as error:  # a refusal or an outage: the batches signed before it go out
                    return signatures, error
            return signatures, None
        finally:
            # not waiting for the requests after a failed one: the next round asks again under the same
            # Idempotency-Keys and gets them back
            pool.shutdown(wait=False, cancel_futures=True)


@dataclass(frozen=True)
class Held:
    """An open batch this relay holds the lease of, with its tree."""

    batch: RowMapping
    lease: str
    tree: Batch
    orphaned: tuple[int, ...]
    """The nonces of its messages a deep reorg took away (never claimed)."""


def seq_and_prev_root(batch: RowMapping) -> tuple[int, bytes]:
    """A batch row's seq and the prevRoot it was cut after."""
    return int(batch["seq"]), from_hex(batch["prev_root"])


def orphaned_in(rows: Sequence[RowMapping]) -> tuple[int, ...]:
    """The nonces of the messages of `rows` a deep reorg orphaned."""
    return tuple(int(row["nonce"]) for row in rows if row["status"] == "orphaned")


def claim_of(entry: Held, row: RowMapping) -> Claim:
    """A message row of `entry`'s batch, as `ClaimSender` takes it."""
    return entry.tree, int(entry.batch["seq"]), row
