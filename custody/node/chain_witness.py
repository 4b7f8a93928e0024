"""A signer node's own reading of the chains: whether a bridge batch is what the chains say it is.

A BridgeBatch signature makes its root payable on the destination bridge. A node that trusts the relay and
the coordinator for what the root commits to signs a root over messages nobody sent, if either is
compromised — the Ronin, Harmony and Multichain losses. So a node configured with an RPC URL for both chains
of a route (`NodeSettings.witness_rpc_urls`, one per chain id: the node's own endpoints, not the relay's)
checks a batch against them before it commits to a nonce:

* on the destination bridge (`dst_bridge` on `dst_chain_id`): that it is linked to the batch's source
  bridge (`remote()`), that the batch's seq is the next one (`batch(seq)` not attested, `batch(seq - 1)`
  attested: the contract numbers batches 1, 2, 3, ... without gaps), that `prevRoot` is the root of the
  last batch not vetoed (its fingerprint is what `batch(seq - 1)` holds: the contract's own check), and
  that no message of the batch was paid already (`is_consumed(nonce)`);
* on the source bridge: that every message is one the bridge emitted (`Deposited` on L1, `Withdrawn` on
  L2, found by its indexed nonce among the bridge's logs on the canonical chain, from genesis) with
  identical fields, in a block with at least `confirmations` blocks on top of it (the relay's depth,
  counted the same way).

Every endpoint must first answer the chain id it is configured for. What the node then trusts is its own
endpoints: operators who point every node at one provider make that provider the witness. `ChainWitness.read`
returns what it found wrong (empty: the chains agree with the batch) and what it read, for the audit record;
it reads nothing, and says so, when either chain has no RPC URL. A message not yet deep enough is a reason
that time cures ("confirmations on the source chain"), so the API keeps the request pending. The chains are
read at round one only: the nonce committed to is bound to the digest, so round two signs the batch that was
witnessed or nothing.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from web3 import Web3
from web3.contract.contract import ContractEvent
from web3.exceptions import Web3Exception

from chain.bridge.batch import ZERO_ROOT, Batch, fingerprint
from chain.bridge.contracts import Bridge, BridgeL1, BridgeL2
from chain.bridge.message import Message
from chain.client import make_web3
from chain.intents import BridgeBatch
from custody.protocol.errors import ChainUnreadable

MESSAGE_FIELDS: Final = ("src_token", "dst_token", "sender", "recipient", "amount")
"""What a message carries besides its route and nonce, compared field by field with the source's event."""


@dataclass(frozen=True)
class Reading:
    """What a node read of the chains for one batch: `problems` (empty when the chains agree with it) and
    `details` for its audit record; `read` is False when it could not read both chains."""

    read: bool
    problems: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


class ChainWitness:
    """Reads the chains the node has RPC URLs for (chain id -> URL)."""

    def __init__(self, rpc_urls: Mapping[int, str], *, timeout_seconds: float) -> None:
        self._web3 = {chain_id: make_web3(url, timeout=timeout_seconds) for chain_id, url in rpc_urls.items()}

    def read(self, intent: BridgeBatch, batch: Batch, confirmations: int) -> Reading:
        """Check `batch` (whose root and count are the intent's) against both chains, the module docstring
        says how; a chain without an RPC URL makes an unread `Reading`, an endpoint that fails to answer
        ChainUnreadable (named by its type only: an RPC URL may carry a credential)."""
        try:
            return self._read(intent, batch, confirmations)
        except (Web3Exception, OSError) as error:
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
        problems = _destination_problems(BridgeL1(destination, intent.dst_bridge), intent, batch.messages)
        head, depths, unsent = _source_reading(source, batch)
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
        }
        return Reading(True, problems + unsent + shallow, details)


def _wrong_chain(w3: Web3, chain_id: int) -> list[str]:
    answered = int(w3.eth.chain_id)
    return [] if answered == chain_id else [f"the RPC URL for chain {chain_id} serves chain {answered}"]


def _destination_problems(bridge: Bridge, intent: BridgeBatch, messages: Sequence[Message]) -> list[str]:
    """What the destination bridge's views contradict: its link, the seq, prevRoot, messages paid already.
    (`bridge` is read through the views both kinds of bridge share, `modules/bridge_inbox.vy`.)"""
    where = f"the destination bridge {intent.dst_bridge} on chain {intent.dst_chain_id}"
    if not bridge.w3.eth.get_code(bridge.address):
        return [f"{where} has no code"]
    if bridge.remote() != (intent.src_chain_id, intent.src_bridge):
        return [f"{where} is not linked to the batch's source bridge {intent.src_bridge}"]
    seq, problems = intent.seq, []
    if seq == 0:
        problems.append("seq 0 is no batch: batches are numbered from 1")
    elif bridge.record(seq).fingerprint != ZERO_ROOT:
        problems.append(f"seq {seq} is already attested on {where}")
    previous = bridge.record(seq - 1).fingerprint if seq > 1 else ZERO_ROOT
    if seq > 1 and previous == ZERO_ROOT:
        problems.append(f"seq {seq} is not the next batch: seq {seq - 1} is not attested on {where}")
    elif fingerprint(intent.prev_root) != previous or (previous == ZERO_ROOT != intent.prev_root):
        problems.append(f"prevRoot 0x{intent.prev_root.hex()} is not the root of the last batch {where} kept")
    return problems + [
        f"message {message.nonce} is already paid on {where}"
        for message in messages
        if bridge.is_consumed(message.nonce)
    ]


def _sent_events(w3: Web3, address: str) -> dict[str, ContractEvent]:
    """The event each kind of bridge emits for a message it sends, by topic, at `address`."""
    events = (kind(w3, address).contract.events[kind.SENT_EVENT]() for kind in (BridgeL1, BridgeL2))
    return {event.topic: event for event in events}


def _source_reading(w3: Web3, batch: Batch) -> tuple[int, dict[int, int], list[str]]:
    """The source chain's head, the depth of each message's event found there (by nonce), and the messages
    the source contradicts (never sent, or sent with other fields)."""
    route = batch.route
    events = _sent_events(w3, route.src_bridge)
    head = int(w3.eth.block_number)
    nonce_topics = ["0x" + message.nonce.to_bytes(32, "big").hex() for message in batch.messages]
    logs = w3.eth.get_logs(
        {
            "address": Web3.to_checksum_address(route.src_bridge),
            "fromBlock": 0,
            "toBlock": head,
            "topics": [list(events), nonce_topics],
        }
    )
    sent: dict[int, tuple[Message, int]] = {}
    for log in logs:
        decoded = events[log["topics"][0].to_0x_hex()].process_log(log)
        message = Message.from_event(route, decoded["args"])
        sent[message.nonce] = (message, int(log["blockNumber"]))
    problems, depths = [], {}
    for message in batch.messages:
        found = sent.get(message.nonce)
        if found is None:
            problems.append(f"message {message.nonce} was never sent by the source bridge {route.src_bridge}")
            continue
        differ = [name for name in MESSAGE_FIELDS if getattr(found[0], name) != getattr(message, name)]
        if differ:
            problems.append(f"message {message.nonce} differs from the source bridge's event in {differ}")
            continue
        depths[message.nonce] = head - found[1]
    return head, depths, problems
