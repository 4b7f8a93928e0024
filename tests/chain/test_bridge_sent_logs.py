"""chain.bridge.sent_logs: a raw `Deposited` / `Withdrawn` log decodes to the message web3's own event
decoding gives, and nothing else passes for one."""

import pytest
from eth_abi import encode
from web3 import Web3

from chain.bridge.contracts import BridgeL1, BridgeL2
from chain.bridge.message import BridgeError, Message, Route
from chain.bridge.sent_logs import SENT_TOPICS, nonce_topic, sent_log

L1_BRIDGE = "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9"
L2_BRIDGE = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
BRIDGED = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
BOB = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
DEPOSITS = Route(31337, 31338, L1_BRIDGE, L2_BRIDGE)


def raw_topic(event: str) -> str:
    return "0x" + Web3.keccak(text=f"{event}(uint64,address,address,address,address,uint256)").hex()


def raw_log(topic0: str, nonce: int, amount: int, *, topics: int = 4) -> dict[str, object]:
    """A log as `eth_getLogs` returns it: hex strings throughout, addresses lower-case."""
    address_topic = "0x" + "00" * 12
    return {
        "address": L1_BRIDGE.lower(),
        "topics": [
            topic0,
            nonce_topic(nonce),
            address_topic + TOKEN[2:].lower(),
            address_topic + ALICE[2:].lower(),
        ][:topics],
        "data": "0x" + encode(["address", "address", "uint256"], [BRIDGED, BOB, amount]).hex(),
        "blockNumber": "0x2a",
        "blockHash": "0x" + "AB" * 32,
        "transactionHash": "0x" + "CD" * 32,
        "logIndex": "0x3",
    }


def test_the_sent_topics_are_the_bridges_own_events() -> None:
    w3 = Web3()
    topics = {
        str(getattr(kind(w3, L1_BRIDGE).contract.events, kind.SENT_EVENT).topic).lower()
        for kind in (BridgeL1, BridgeL2)
    }
    assert topics == SENT_TOPICS


def test_a_raw_log_decodes_to_its_message_and_place() -> None:
    (deposited,) = (topic for topic in SENT_TOPICS if topic == raw_topic("Deposited"))
    found = sent_log(DEPOSITS, raw_log(deposited, 7, 2**200))
    assert found.message == Message(DEPOSITS, 7, TOKEN, BRIDGED, ALICE, BOB, 2**200)
    assert (found.block_number, found.log_index) == (42, 3)
    assert found.block_hash == "0x" + "ab" * 32
    assert found.tx_hash == "0x" + "cd" * 32


def test_the_decoding_agrees_with_web3s() -> None:
    event = BridgeL1(Web3(), L1_BRIDGE).contract.events.Deposited()
    log = raw_log(raw_topic("Deposited"), 9, 1_000)
    formatted = {
        **log,
        "topics": [bytes.fromhex(str(topic)[2:]) for topic in log["topics"]],  # type: ignore[attr-defined]
        "data": bytes.fromhex(str(log["data"])[2:]),
        "blockNumber": 42,
        "logIndex": 3,
        "transactionIndex": 0,
        "address": L1_BRIDGE,
        "blockHash": bytes.fromhex("ab" * 32),
        "transactionHash": bytes.fromhex("cd" * 32),
    }
    assert sent_log(DEPOSITS, log).message == Message.from_event(
        DEPOSITS, event.process_log(formatted)["args"]
    )


@pytest.mark.parametrize(
    "log",
    [raw_log("0x" + "00" * 32, 1, 1), raw_log(raw_topic("Deposited"), 1, 1, topics=3)],
    ids=["another-event", "three-topics"],
)
def test_anything_else_is_refused(log: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="no sent message"):
        sent_log(DEPOSITS, log)


def test_a_dirty_address_topic_another_emitter_or_bad_data_is_refused() -> None:
    dirty = raw_log(raw_topic("Deposited"), 1, 1)
    dirty["topics"][2] = "0x" + "01" + "00" * 11 + TOKEN[2:].lower()  # type: ignore[index]
    with pytest.raises(ValueError, match="padding"):
        sent_log(DEPOSITS, dirty)
    elsewhere = {**raw_log(raw_topic("Deposited"), 1, 1), "address": L2_BRIDGE.lower()}
    with pytest.raises(ValueError, match="not the source bridge"):
        sent_log(DEPOSITS, elsewhere)
    short = {**raw_log(raw_topic("Deposited"), 1, 1), "data": "0x" + "00" * 64}
    with pytest.raises(ValueError, match="data"):
        sent_log(DEPOSITS, short)
    padded = raw_log(raw_topic("Deposited"), 1, 1)
    padded["data"] = "0x" + "ff" * 12 + str(padded["data"])[2 + 24 :]  # the remote token's word, dirty
    with pytest.raises(ValueError, match="data"):
        sent_log(DEPOSITS, padded)


def test_a_nonce_past_uint64_is_refused_as_a_message_would_be() -> None:
    log = raw_log(raw_topic("Withdrawn"), 1, 1)
    log["topics"][1] = "0x" + (2**64).to_bytes(32, "big").hex()  # type: ignore[index]
    with pytest.raises(BridgeError, match="nonce"):
        sent_log(DEPOSITS, log)
