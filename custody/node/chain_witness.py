"""A signer node's own reading of the chains: whether a bridge batch is what the chains say it is.

A BridgeBatch signature makes its root payable on the destination bridge. A node that trusts the relay and
the coordinator for what the root commits to signs a root over messages nobody sent, if either is
compromised — the Ronin, Harmony and Multichain losses. So a node configured with an RPC URL for both chains
of a route (`NodeSettings.witness_rpc_urls`, one per chain id: the node's own endpoints, not the relay's)
checks a batch against them before it commits to a nonce:

* on the destination bridge (`dst_bridge` on `dst_chain_id`): that it is linked to the batch's source
  bridge (`remote()`), that the batch's seq is not taken (`batch(seq)` not attested), that `prevRoot` is
  the root of the last batch not vetoed once `batch(seq - 1)` is attested (its fingerprint is what that
  record holds: the contract's own check), and that no message of the batch was paid already
  (`is_consumed(nonce)`). A seq ahead of the destination (seq - 1 not attested yet) is signed on the
  messages alone: a relay pipelines a round's attestations, so it asks for seq N + 1 before seq N lands,
  and the contract itself refuses any batch whose seq or prevRoot does not follow the last one, so such a
  signature is worth nothing out of order. Refusing it would be worse than useless: the refusal is final
  for its idempotency key, and the relay could never attest that batch;
* on the source bridge: that every message is one the bridge emitted (`Deposited` on L1, `Withdrawn` on
  L2, found by its indexed nonce among the bridge's logs on the canonical chain) with identical fields, in
  a block with at least `confirmations` blocks on top of it (the relay's depth, counted the same way).

The source's logs are read from the chain's start block (`NodeSettings.witness_from_blocks`: the bridges'
deployment block; genesis when none is configured) to the head, `log_window` blocks per `eth_getLogs`
(providers refuse or time out on a wide range), and no further once every nonce of the batch is found.
A bridge's nonces grow with the blocks they are sent in, so the block where a message was found deep
enough is where any later nonce's search can start: the witness remembers those blocks per source bridge
and starts each read at the one of the greatest nonce not above the batch's first (never before the start
block). It remembers only where to look, never what a message says: every message is compared with a log
read for this batch, and a reorg that moved a remembered message can only make a message look unsent, a
refusal, never a signature over a message the chain does not hold.

Every endpoint must first answer the chain id it is configured for. What the node then trusts is its own
endpoints: operators who point every node at one provider make that provider the witness. `ChainWitness.read`
returns what it found wrong (empty: the chains agree with the batch) and what it read, for the audit record;
it reads nothing, and says so, when either chain has no RPC URL. A message not yet deep enough is a reason
that time cures ("confirmations on the source chain"), so the API keeps the request pending. The chains are
read at round one only: the nonce committed to is bound to the digest, so round two signs the batch that was
witnessed or nothing.
"""

import bisect
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from web3 import Web3
from web3.exceptions import Web3Exception

from chain.bridge.batch import ZERO_ROOT, Batch, fingerprint
from chain.bridge.contracts import Bridge, BridgeL1
from chain.bridge.message import Message
from chain.bridge.sent_logs import read_sent
from chain.client import make_web3
from chain.errors import ChainError
from chain.intents import BridgeBatch
from custody.protocol.errors import ChainUnreadable

T = TypeVar("T")
MAX_CACHED_BRIDGES: Final = 16
DEFAULT_LOG_WINDOW: Final = 2_000
"""Blocks per `eth_getLogs`: within what hosted providers serve (several cap a range at a few thousand)."""
MAX_REMEMBERED_NONCES: Final = 4_096
"""Per source bridge, the most nonces whose blocks are remembered (the greatest are kept)."""
MESSAGE_FIELDS: Final = ("src_token", "dst_token", "sender", "recipient", "amount")
"""What a message carries besides its route and nonce, compared field by field with the source's event."""


@dataclass
class SentBlocks:
    """Where one source bridge's messages were found deep enough: their nonces ascending, each one's block.
    The block of a nonce is the lowest any greater nonce can be in (the bridge numbers messages as it sends
    them), so it is where the search for a later batch starts."""

    nonces: list[int] = field(default_factory=list)
    blocks: list[int] = field(default_factory=list)

    def start_for(self, nonce: int) -> int:
        """The block of the greatest remembered nonce not above `nonce` (0: none remembered)."""
        index = bisect.bisect_right(self.nonces, nonce)
        return self.blocks[index - 1] if index else 0

    def remember(self, nonce: int, block: int) -> None:
        """Remember that `nonce` is in `block`, keeping the greatest `MAX_REMEMBERED_NONCES` nonces."""
        index = bisect.bisect_left(self.nonces, nonce)
        if index < len(self.nonces) and self.nonces[index] == nonce:
            self.blocks[index] = block
            return
        self.nonces.insert(index, nonce)
        self.blocks.insert(index, block)
        if len(self.nonces) > MAX_REMEMBERED_NONCES:
            del self.nonces[0], self.blocks[0]


@dataclass(frozen=True)
class SourceScan:
    """Where one read of a source bridge's logs looked: from `first` to `head`, `log_window` blocks at a
    time; `requests` is how many `eth_getLogs` it made (it stops once every nonce is found)."""

    first: int
    head: int
    log_window: int
    requests: int


@dataclass(frozen=True)
class Reading:
    """What a node read of the chains for one batch: `problems` (empty when the chains agree with it) and
    `details` for its audit record; `read` is False when it could not read both chains."""

    read: bool
    problems: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


class ChainWitness:
    """Reads the chains the node has RPC URLs for (chain id -> URL), each source bridge's logs from the
    chain's `from_blocks` entry (0 for a chain without one), `log_window` blocks per request.

    The destination's views are read in one JSON-RPC batch at one block, and contract objects are kept per
    bridge (building one costs tens of milliseconds; at most `MAX_CACHED_BRIDGES`, since the source bridge
    comes from the request). A web3 client in batch mode would take another thread's call into its batch, so
    reads go one at a time (the signing rounds run in worker threads)."""

    def __init__(
        self,
        rpc_urls: Mapping[int, str],
        *,
        timeout_seconds: float,
        from_blocks: Mapping[int, int] | None = None,
        log_window: int = DEFAULT_LOG_WINDOW,
    ) -> None:
        if log_window < 1:
            raise ValueError(f"log_window must be at least 1 block, not {log_window}")
        self._web3 = {chain_id: make_web3(url, timeout=timeout_seconds) for chain_id, url in rpc_urls.items()}
        self._from_blocks = dict(from_blocks or {})
        self._log_window = log_window
        self._views: dict[tuple[int, str], Bridge] = {}
        self._sent_blocks: dict[tuple[int, str], SentBlocks] = {}
        self._lock = threading.Lock()

    def read(self, intent: BridgeBatch, batch: Batch, confirmations: int) -> Reading:
        """Check `batch` (whose root and count are the intent's) against both chains, the module docstring
        says how; a chain without an RPC URL makes an unread `Reading`, an endpoint that fails to answer
        ChainUnreadable (named by its type only: an RPC URL may carry a credential)."""
        try:
            with self._lock:
                return self._read(intent, batch, confirmations)
        except (Web3Exception, OSError, ValueError, ChainError) as error:  # ValueError, ChainError: a log or
            # an answer no bridge could have given (`chain.bridge.sent_logs`): the endpoint is not to be read
            raise ChainUnreadable(
                f"chain {intent.src_chain_id} or {intent.dst_chain_id} did not answer: {type(error).__name__}"
            ) from None

    def _read(self, intent: BridgeBatch, batch: Batch, confirmations: int) -> Reading:
        missing = [c for c in (intent.src_chain_id, intent.dst_chain_id) if c not in self._web3]
        if missing:
            return Reading(False, details={"chains_read": False, "no_rpc_url_for": missing})
        source, destination = self._web3[intent.src_chain_id], self._web3[intent.dst_chain_id]
        wrong = _wrong_chain(source, intent.src_chain_id) + _wrong_chain(destination, intent.dst_chain_id)
        if wrong:
            return Reading(True, wrong, {"chains_read": True})
        views = self._cached(self._views, intent.dst_chain_id, intent.dst_bridge, _views)
        problems = _destination_problems(views, intent, batch.messages)
        remembered = self._cached(
            self._sent_blocks, intent.src_chain_id, intent.src_bridge, lambda _w3, _address: SentBlocks()
        )
        first_nonce = min((message.nonce for message in batch.messages), default=0)
        start = max(self._from_blocks.get(intent.src_chain_id, 0), remembered.start_for(first_nonce))
        scan, found, depths, unsent = _source_reading(source, batch, start, self._log_window)
        head = scan.head
        for nonce, depth in depths.items():
            if depth >= confirmations:
                remembered.remember(nonce, found[nonce])
        shallow = [
            f"message {nonce} has {depth} confirmations on the source chain, the policy {confirmations}"
            for nonce, depth in sorted(depths.items())
            if depth < confirmations
        ]
        details = {
            "chains_read": True,
            "source_head": head,
            "messages_found": len(depths),
            "least_depth": min(depths.values(), default=None),
            "confirmations": confirmations,
            "scanned_from": scan.first,
            "log_window": scan.log_window,
            "log_requests": scan.requests,
        }
        return Reading(True, problems + unsent + shallow, details)

    def _cached(
        self, cache: dict[tuple[int, str], T], chain_id: int, address: str, build: Callable[[Web3, str], T]
    ) -> T:
        key = (chain_id, address)
        if key not in cache:
            if len(cache) >= MAX_CACHED_BRIDGES:
                cache.clear()
            cache[key] = build(self._web3[chain_id], address)
        return cache[key]


def _wrong_chain(w3: Web3, chain_id: int) -> list[str]:
    answered = int(w3.eth.chain_id)
    return [] if answered == chain_id else [f"the RPC URL for chain {chain_id} serves chain {answered}"]


def _views(w3: Web3, address: str) -> Bridge:
    """A bridge's views (`modules/bridge_inbox.vy`: both kinds of bridge have them; one ABI reads both)."""
    return BridgeL1(w3, address)


def _destination_problems(views: Bridge, intent: BridgeBatch, messages: Sequence[Message]) -> list[str]:
    """What the destination bridge's views contradict: its link, the seq, prevRoot, messages paid already;
    read at one block, the link and records in one batch of calls, the messages in another (raw: web3's
    per-call formatting was most of the witness's time on a 100-message batch)."""
    where = f"the destination bridge {intent.dst_bridge} on chain {intent.dst_chain_id}"
    w3, seq = views.w3, intent.seq
    block = int(w3.eth.block_number)
    if not w3.eth.get_code(views.address, block):
        return [f"{where} has no code"]
    functions = views.contract.functions
    with w3.batch_requests() as calls:
        calls.add(functions.remote().call(block_identifier=block))
        for number in (seq, max(seq - 1, 0)):
            calls.add(functions.batch(number).call(block_identifier=block))
        results: list[Any] = list(calls.execute())  # each call's decoded output
    (remote_chain, remote_bridge), current, previous_record = results
    consumed = views.consumed([message.nonce for message in messages], block)
    if (int(remote_chain), str(remote_bridge)) != (intent.src_chain_id, intent.src_bridge):
        return [f"{where} is not linked to the batch's source bridge {intent.src_bridge}"]
    problems = []
    if seq == 0:
        problems.append("seq 0 is no batch: batches are numbered from 1")
    elif bytes(current[0]) != ZERO_ROOT:
        problems.append(f"seq {seq} is already attested on {where}")
    previous = bytes(previous_record[0]) if seq > 1 else ZERO_ROOT
    ahead = seq > 1 and int(previous_record[1]) == 0  # seq - 1 has no deadline: not attested yet
    if not ahead and (fingerprint(intent.prev_root) != previous or previous == ZERO_ROOT != intent.prev_root):
        problems.append(f"prevRoot 0x{intent.prev_root.hex()} is not the root of the last batch {where} kept")
    return problems + [
        f"message {message.nonce} is already paid on {where}"
        for message, paid in zip(messages, consumed, strict=True)
        if paid
    ]


def _source_reading(
    w3: Web3, batch: Batch, start: int, log_window: int
) -> tuple[SourceScan, dict[int, int], dict[int, int], list[str]]:
    """The scan of the source chain from `start` to its head, the block and the depth of each message's
    event (`Deposited` or `Withdrawn` of the route's source bridge) found there by nonce, and the messages
    the source contradicts (never sent, or sent with other fields)."""
    route = batch.route
    head = int(w3.eth.block_number)
    nonces = [message.nonce for message in batch.messages]
    wanted = set(nonces)
    sent: dict[int, tuple[Message, int]] = {}
    requests = 0
    for first in range(start, head + 1, log_window):
        if wanted <= sent.keys():
            break  # a nonce is sent once: later blocks cannot hold the batch's messages again
        for log in read_sent(w3, route, first, min(first + log_window - 1, head), nonces=nonces):
            sent[log.message.nonce] = (log.message, log.block_number)
        requests += 1
    problems, blocks, depths = [], {}, {}
    for message in batch.messages:
        found = sent.get(message.nonce)
        if found is None:
            problems.append(f"message {message.nonce} was never sent by the source bridge {route.src_bridge}")
            continue
        differ = [name for name in MESSAGE_FIELDS if getattr(found[0], name) != getattr(message, name)]
        if differ:
            problems.append(f"message {message.nonce} differs from the source bridge's event in {differ}")
            continue
        blocks[message.nonce] = found[1]
        depths[message.nonce] = head - found[1]
    return SourceScan(start, head, log_window, requests), blocks, depths, problems
