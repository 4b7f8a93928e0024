"""The messages a bridge sent, read straight from `eth_getLogs` and decoded with eth_abi.

Both kinds of bridge announce a message the same way: `Deposited` (L1) and `Withdrawn` (L2) index the
nonce, the token and the sender, and carry the remote token, the remote recipient and the amount as data.
web3's event decoding (`ContractEvent.get_logs`, `process_log`) runs every field of every log through its
formatters and validators: on a 100-message batch that was most of a signer node's witness time and a fifth
of the relay's (py-spy, the bridge benchmark's burst), for what is three topics and three words of data. So
the hot readers (`relay.bridge.watcher`, `custody.node.chain_witness`) ask the node for the raw logs in one
JSON-RPC request (`chain.pipeline.rpc_batch`, no middleware) and decode them here; the fields are checked as
a `Message` checks any.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from eth_abi import decode
from eth_abi.exceptions import DecodingError
from eth_utils import to_checksum_address
from web3 import Web3

from chain.bridge.message import Message, Route
from chain.pipeline import rpc_batch

SENT_DATA_TYPES: Final = ("address", "address", "uint256")
"""The unindexed fields of `Deposited` / `Withdrawn`, in order: remote token, remote recipient, amount."""
SENT_SIGNATURES: Final = (
    "Deposited(uint64,address,address,address,address,uint256)",
    "Withdrawn(uint64,address,address,address,address,uint256)",
)
SENT_TOPICS: Final = frozenset("0x" + Web3.keccak(text=signature).hex() for signature in SENT_SIGNATURES)
"""topic0 of either event: a log with another topic0 is no message."""
ADDRESS_TOPIC_PADDING: Final = "0x" + "00" * 12
"""An indexed address is a word whose first 12 bytes are zero: a topic with anything there is no address."""


@dataclass(frozen=True)
class SentLog:
    """One message as the source chain logged it, and where: block, transaction and log index."""

    message: Message
    block_number: int
    block_hash: str
    """0x-prefixed lower-case hex, as the node returns it."""
    tx_hash: str
    log_index: int


def nonce_topic(nonce: int) -> str:
    """The topic a sent event indexes `nonce` as: a 32-byte big-endian word."""
    return "0x" + nonce.to_bytes(32, "big").hex()


def read_sent(
    w3: Web3,
    route: Route,
    first: int,
    last: int,
    *,
    topic0: Sequence[str] | None = None,
    nonces: Sequence[int] | None = None,
) -> list[SentLog]:
    """The messages `route.src_bridge` sent in blocks `first` to `last` (inclusive), in the node's order:
    those whose topic0 is one of `topic0` (default: either sent event) and, given `nonces`, only those.
    An error answer raises ConnectionError (an OSError, as a transport failure is)."""
    topics: list[Any] = [sorted(topic0 if topic0 is not None else SENT_TOPICS)]
    if nonces is not None:
        topics.append([nonce_topic(nonce) for nonce in nonces])
    window = {
        "address": route.src_bridge,
        "fromBlock": hex(first),
        "toBlock": hex(last),
        "topics": topics,
    }
    (response,) = rpc_batch(w3, [("eth_getLogs", [window])])
    if "error" in response:
        raise ConnectionError(f"eth_getLogs failed: {response['error']}")
    return [sent_log(route, log) for log in response["result"]]


def sent_log(route: Route, log: Mapping[str, Any]) -> SentLog:
    """The message a raw `Deposited` / `Withdrawn` log (JSON-RPC form: hex strings) describes, on `route`.
    A log of any other shape, or of another emitter than the route's source bridge, raises ValueError, as
    strictly as web3's own decoding would refuse it (the padding of every word checked)."""
    topics = [str(topic).lower() for topic in log["topics"]]
    where = f"log {log.get('logIndex')} of {log.get('transactionHash')}"
    if len(topics) != 4 or topics[0] not in SENT_TOPICS:
        raise ValueError(f"{where} is no sent message")
    if str(log["address"]).lower() != route.src_bridge.lower():
        raise ValueError(f"{where} was emitted by {log['address']}, not the source bridge {route.src_bridge}")
    if any(not topic.startswith(ADDRESS_TOPIC_PADDING) for topic in topics[2:]):
        raise ValueError(f"{where} has an address topic with non-zero padding")
    try:
        data = bytes.fromhex(str(log["data"])[2:])
        if len(data) != 32 * len(SENT_DATA_TYPES):  # checked here: not every eth_abi registry is strict
            raise ValueError(f"{len(data)} bytes")
        remote_token, remote_recipient, amount = decode(SENT_DATA_TYPES, data)
    except (DecodingError, ValueError) as error:
        raise ValueError(f"{where} has data that is no sent message: {type(error).__name__}") from None
    message = Message(
        route=route,
        nonce=int(topics[1], 16),
        src_token=to_checksum_address("0x" + topics[2][-40:]),
        dst_token=to_checksum_address(remote_token),
        sender=to_checksum_address("0x" + topics[3][-40:]),
        recipient=to_checksum_address(remote_recipient),
        amount=int(amount),
    )
    return SentLog(
        message=message,
        block_number=int(log["blockNumber"], 16),
        block_hash=str(log["blockHash"]).lower(),
        tx_hash=str(log["transactionHash"]).lower(),
        log_index=int(log["logIndex"], 16),
    )
