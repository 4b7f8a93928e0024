"""chain.bridge in Python: message and route validation, leaves that commit to every field, batches."""

import dataclasses

import pytest
from eth_abi import encode
from eth_utils import keccak

from chain.bridge.batch import ZERO_ROOT, Batch, proves
from chain.bridge.message import MESSAGE_TYPES, BridgeError, Message, Route
from chain.merkle import leaf_node

L1, L2 = 31337, 31338
L1_BRIDGE = "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9"
L2_BRIDGE = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
BRIDGED = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
ALICE = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
DEPOSITS = Route(L1, L2, L1_BRIDGE, L2_BRIDGE)


def deposit(nonce: int = 1, amount: int = 10**6) -> Message:
    return Message(DEPOSITS, nonce, TOKEN, BRIDGED, ALICE, ALICE, amount)


def test_the_leaf_is_the_abi_encoding_of_the_route_and_the_fields() -> None:
    message = deposit(7, 250)
    values = (L1, L2, L1_BRIDGE, L2_BRIDGE, 7, TOKEN, BRIDGED, ALICE, ALICE, 250)
    assert message.values() == values
    assert message.leaf() == keccak(encode(list(MESSAGE_TYPES), list(values)))
    assert message.onchain() == (7, TOKEN, BRIDGED, ALICE, ALICE, 250)


@pytest.mark.parametrize(
    "change",
    [
        {"nonce": 2},
        {"amount": 251},
        {"recipient": L1_BRIDGE},
        {"sender": L1_BRIDGE},
        {"src_token": BRIDGED},
        {"dst_token": TOKEN},
        {"route": DEPOSITS.reverse()},
        {"route": Route(L1, L2 + 1, L1_BRIDGE, L2_BRIDGE)},
        {"route": Route(L1, L2, L1_BRIDGE, ALICE)},
    ],
)
def test_every_field_changes_the_leaf(change: dict[str, object]) -> None:
    message = deposit(1, 250)
    assert dataclasses.replace(message, **change).leaf() != message.leaf()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "build",
    [
        lambda: Message(DEPOSITS, -1, TOKEN, BRIDGED, ALICE, ALICE, 1),
        lambda: Message(DEPOSITS, 2**64, TOKEN, BRIDGED, ALICE, ALICE, 1),
        lambda: Message(DEPOSITS, 1, TOKEN, BRIDGED, ALICE, ALICE, 2**256),
        lambda: Message(DEPOSITS, 1, TOKEN, BRIDGED, ALICE, ALICE, True),
        lambda: Message(DEPOSITS, 1, TOKEN.lower(), BRIDGED, ALICE, ALICE, 1),
        lambda: Route(L1, L2, L1_BRIDGE, L1_BRIDGE.lower()),
        lambda: Route(L1, L1, L1_BRIDGE, L1_BRIDGE),
        lambda: Route(-1, L2, L1_BRIDGE, L2_BRIDGE),
    ],
)
def test_malformed_messages_and_routes_are_refused(build: object) -> None:
    with pytest.raises(BridgeError):
        build()  # type: ignore[operator]


def test_a_batch_proves_each_of_its_messages_and_nothing_else() -> None:
    messages = [deposit(nonce) for nonce in range(1, 8)]
    batch = Batch(DEPOSITS, messages)
    for message in messages:
        assert proves(batch.root, message, batch.proof(message))
    stranger = deposit(99)
    assert not proves(batch.root, stranger, batch.proof(messages[0]))
    # the root is an internal node: no message's leaf node can equal it
    assert all(leaf_node(message.leaf()) != batch.root for message in messages)


def test_the_batch_intent_names_both_chains_both_bridges_and_the_previous_root() -> None:
    batch = Batch(DEPOSITS, [deposit(1), deposit(2)])
    intent = batch.intent(3, b"\x11" * 32)
    assert (intent.src_chain_id, intent.dst_chain_id) == (L1, L2)
    assert (intent.src_bridge, intent.dst_bridge) == (L1_BRIDGE, L2_BRIDGE)
    assert (intent.seq, intent.root, intent.count, intent.prev_root) == (3, batch.root, 2, b"\x11" * 32)
    assert batch.digest(3, b"\x11" * 32) == intent.digest(L2, L2_BRIDGE)
    assert batch.digest(3, ZERO_ROOT) != batch.digest(3, b"\x11" * 32)


def test_a_batch_holds_one_route_and_each_nonce_once() -> None:
    with pytest.raises(BridgeError, match="at least one"):
        Batch(DEPOSITS, [])
    with pytest.raises(BridgeError, match="another route"):
        Batch(DEPOSITS.reverse(), [deposit(1)])
    with pytest.raises(BridgeError, match="each nonce once"):
        Batch(DEPOSITS, [deposit(1), deposit(1, amount=5)])


def test_from_event_reads_both_directions() -> None:
    deposited = {
        "nonce": 4,
        "token": TOKEN,
        "l2_token": BRIDGED,
        "sender": ALICE,
        "l2_recipient": ALICE,
        "amount": 9,
    }
    assert Message.from_event(DEPOSITS, deposited) == deposit(4, 9)
    withdrawn = {
        "nonce": 4,
        "token": BRIDGED,
        "l1_token": TOKEN,
        "sender": ALICE,
        "l1_recipient": ALICE,
        "amount": 9,
    }
    back = Message.from_event(DEPOSITS.reverse(), withdrawn)
    assert (back.src_token, back.dst_token, back.route) == (BRIDGED, TOKEN, DEPOSITS.reverse())
