"""Claims: an attested batch's messages paid on the destination in `claim_many` transactions, each once,
and queued messages released once their delay is over.

A message is claimed unless the bridge consumed its nonce already (an earlier claim landed before a crash
could record it), in `claim_many` transactions of up to `claims_per_transaction` messages of one batch (a
gas budget per transaction, `relay.bridge.settings`); they are estimated, signed with consecutive nonces and
sent together (`chain.pipeline`), so they share blocks, and only then are the receipts awaited. Each
message's outcome (`claimed`, or `queued` over the rate limit) is read from the bridge's own `Claimed` /
`Queued` logs and recorded under its local key (source chain, tx hash, log index). The bridge skips a
message whose nonce was consumed meanwhile (a user claimed it first), so such a chunk still lands; that
message is recorded as what the bridge shows (claimed or queued, no tx hash of ours). The bridge never pays
a nonce twice, so however often a crash repeats a step, a message pays once.

Claims behind an attestation (`ClaimSender.send_behind`). On a destination without a challenge window a
batch is claimable in the block that attests it, so its claims need not wait a block for the attestation's
receipt: they are estimated against the node's pending state (the attestation sent, not mined), and those
that would land are sent right behind it, with the next nonces, into the same block. A node whose pending
state lacks the attestation refuses the estimate, and nothing is sent early: the claims then go out as
usual once the attestation is mined. Nothing that would revert is broadcast either way.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine, RowMapping

from chain import pipeline
from chain.bridge.batch import Batch
from chain.bridge.contracts import MAX_CLAIMS, Bridge
from chain.bridge.message import Message, Route
from chain.transactions import TransactionFailed
from payments.bridge.store import Outcome, message_of, queued_messages, set_message, set_messages

DELIVERED = ("claimed", "queued", "released")
"""A message in one of these statuses is paid or queued on the destination: never claimed again."""

ESTIMATE_WORKERS = 3
"""JSON-RPC batches of claim estimates asked at once (`chain.pipeline.estimate`): claims sent behind an
attestation must be estimated before the destination's next block to ride in it."""

Claim = tuple[Batch, int, RowMapping]
"""A message to claim: its batch's tree, the batch's seq and the message's row."""


@dataclass(frozen=True)
class Chunk:
    """The messages one `claim_many` carries: of one batch (`seq`, its tree `tree`), with their rows."""

    seq: int
    tree: Batch
    rows: list[RowMapping]
    messages: list[Message]


@dataclass
class SentClaims:
    """Claims sent and not yet awaited: the outcomes known without a receipt (messages the bridge had
    consumed already) and each sent chunk with its transaction."""

    known: list[Outcome] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)
    tx_hashes: list[str] = field(default_factory=list)


@dataclass
class ClaimSender:
    """Claims `destination`'s inbound messages recorded in `engine`, paying gas from `relayer`."""

    engine: Engine
    destination: Bridge
    relayer: LocalAccount
    route: Route
    clock: Callable[[], int]
    """Microseconds since the epoch, for the rows' update times."""
    claims_per_transaction: int = MAX_CLAIMS

    def claim(self, claims: Sequence[Claim]) -> int:
        """Claim each message of `claims` unless the bridge consumed its nonce, and record each outcome; the
        number recorded.

        Estimation stops at the first transaction that would revert: the ones before it are sent, awaited
        and recorded, then its refusal is raised. A transaction mined reverted leaves its messages
        unrecorded for the next round (the bridge never pays a nonce twice, so however a round ends,
        nothing is paid twice)."""
        w3 = self.destination.w3
        known, chunks = self._chunks(claims)
        calls = [self._call(chunk) for chunk in chunks]
        gas_limits, refusal = pipeline.estimate(w3, self.relayer, calls, workers=ESTIMATE_WORKERS)
        mined = pipeline.send_in_waves(w3, self.relayer, calls[: len(gas_limits)], gas_limits)
        outcomes = known + self._outcomes(chunks, mined)
        set_messages(self.engine, outcomes, self.clock())
        if refusal is not None:
            raise refusal
        if len(outcomes) < len(claims):
            reverted = next((receipt.tx_hash for receipt in mined if not receipt.succeeded), None)
            raise TransactionFailed("claim_many()", "not all sent or mined", reverted)
        return len(outcomes)

    def send_behind(self, claims: Sequence[Claim], room: int) -> SentClaims:
        """Send the claims of `claims` that the node's pending state shows would land, estimated there, up to
        `room` gas in all (what the block has left behind the attestations), without awaiting them: see
        the module docstring. Nothing is sent when the pending state refuses the first."""
        w3 = self.destination.w3
        known, chunks = self._chunks(claims)
        calls = [self._call(chunk) for chunk in chunks]
        gas_limits, _ = pipeline.estimate(w3, self.relayer, calls, block="pending", workers=ESTIMATE_WORKERS)
        fitting, total = 0, 0
        while fitting < len(gas_limits) and total + gas_limits[fitting] <= room:
            total += gas_limits[fitting]
            fitting += 1
        if fitting == 0:
            return SentClaims()
        tx_hashes = pipeline.send(w3, self.relayer, calls[:fitting], gas_limits[:fitting])
        return SentClaims(known, chunks[: len(tx_hashes)], tx_hashes)

    def record(self, sent: SentClaims) -> int:
        """Await the transactions of `sent` and record the outcome of each of their messages (those of a
        transaction that reverted are left for the next round); the number recorded."""
        mined = pipeline.wait_for_all(self.destination.w3, self.relayer, sent.tx_hashes)
        outcomes = sent.known + self._outcomes(sent.chunks, mined)
        set_messages(self.engine, outcomes, self.clock())
        return len(outcomes)

    def _chunks(self, claims: Sequence[Claim]) -> tuple[list[Outcome], list[Chunk]]:
        """The outcomes of the messages of `claims` the bridge consumed already, and the others cut into
        chunks of one batch and at most `claims_per_transaction` messages."""
        messages = [tree.message(int(row["nonce"])) for tree, _, row in claims]
        consumed = self.destination.consumed([message.nonce for message in messages])
        known = self._outcomes_of([row for (_, _, row), done in zip(claims, consumed, strict=True) if done])
        chunks: list[Chunk] = []
        for (tree, seq, row), message, done in zip(claims, messages, consumed, strict=True):
            if done:
                continue
            if chunks and chunks[-1].tree is tree and len(chunks[-1].rows) < self.claims_per_transaction:
                chunks[-1].rows.append(row)
                chunks[-1].messages.append(message)
            else:
                chunks.append(Chunk(seq, tree, [row], [message]))
        return known, chunks

    def _call(self, chunk: Chunk) -> pipeline.Call:
        return self.destination.claim_many_call(chunk.seq, chunk.tree, chunk.messages)

    def _outcomes(self, chunks: Sequence[Chunk], mined: Sequence[pipeline.Mined]) -> list[Outcome]:
        """Each message's outcome from its chunk's receipt (`Claimed` / `Queued` logs); a message of a
        chunk that landed with neither was consumed before it, and is asked of the bridge."""
        outcomes: list[Outcome] = []
        skipped: list[RowMapping] = []
        for chunk, receipt in zip(chunks, mined, strict=False):
            if not receipt.succeeded:
                continue
            done_here = self.destination.claim_outcomes(receipt)
            for row, message in zip(chunk.rows, chunk.messages, strict=True):
                outcome = done_here.get(message.nonce)
                if outcome is None:  # skipped: consumed by a claim that landed before this one
                    skipped.append(row)
                else:
                    outcomes.append((row, outcome, receipt.tx_hash))
        return outcomes + self._outcomes_of(skipped)

    def _outcomes_of(self, rows: Sequence[RowMapping]) -> list[Outcome]:
        """What became of messages the bridge consumed outside this round's transactions (an earlier round
        whose record a crash lost, or a user's own claim): queued or claimed, asked in one batch."""
        queued = self.destination.queued_at([message_of(self.route, row).leaf() for row in rows])
        return [
            (row, "queued" if release_at != 0 else "claimed", None)
            for row, release_at in zip(rows, queued, strict=True)
        ]

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
