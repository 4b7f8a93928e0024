"""The signer node's chain witness (`custody.node.chain_witness`) against two real anvils with the bridges
deployed: an honest batch deep enough agrees with the chains; a message never sent or sent otherwise, one
not yet deep enough, a seq taken already or a prevRoot that is not the destination's last, and a message
paid already are each named (a seq ahead of the destination is left to the contract); a chain the node has
no RPC URL for is not read, one served by another chain is refused, and one that does not answer is a
passing fault. The source's logs are read from the chain's start block, a window of blocks per request,
whatever the window the same findings; a later batch's scan starts where the last batch's message was."""

import dataclasses
import math

import pytest
from eth_typing import HexStr

from chain.bridge.batch import ZERO_ROOT, Batch
from chain.bridge.message import Message
from chain.dev_accounts import dev_accounts
from custody.node.chain_witness import ChainWitness, Reading
from custody.protocol.errors import ChainUnreadable
from tests.helpers.bridge_pair import CUSTODY_SEED, USERS, Bridges, mine
from tests.helpers.frost_signing import fixed_key, sign_with_key
from tests.relay.bridge.conftest import bridges, l1_anvil, l2_anvil  # noqa: F401  (fixtures)

pytestmark = pytest.mark.devnet

CONFIRMATIONS = 2
RELAYER = dev_accounts()[6]


def witness_of(pair: Bridges, from_l1: int = 0, log_window: int = 2_000) -> ChainWitness:
    return ChainWitness(
        {31337: pair.l1_node.url, 31338: pair.l2_node.url},
        timeout_seconds=5,
        from_blocks={31337: from_l1},
        log_window=log_window,
    )


def block_of(pair: Bridges, tx_hash: str) -> int:
    return int(pair.l1.w3.eth.get_transaction_receipt(HexStr(tx_hash))["blockNumber"])


def witnessed(witness: ChainWitness, pair: Bridges, messages: list[Message]) -> Reading:
    """`witness`'s reading of batch 1 of L1 -> L2 `messages`."""
    batch = Batch(pair.l2.inbound(), messages)
    return witness.read(batch.intent(1, ZERO_ROOT), batch, CONFIRMATIONS)


def deposits(pair: Bridges, *amounts: int) -> list[Message]:
    """Deposits of `amounts` by the first user, as the L1 bridge's events describe them."""
    for amount in amounts:
        pair.deposit(dev_accounts()[USERS[0]], amount)
    return pair.l1.sent()[-len(amounts) :]


def read(pair: Bridges, messages: list[Message], seq: int = 1, prev_root: bytes = ZERO_ROOT) -> Reading:
    """What the nodes' witness reads of batch `seq` of L1 -> L2 `messages` after `prev_root`."""
    batch = Batch(pair.l2.inbound(), messages)
    return witness_of(pair).read(batch.intent(seq, prev_root), batch, CONFIRMATIONS)


def attest_and_claim(pair: Bridges, messages: list[Message]) -> Batch:
    """Batch 1 of `messages` attested on L2 with the custody key's signature, and each message claimed."""
    batch = Batch(pair.l2.inbound(), messages)
    signature = sign_with_key(fixed_key(CUSTODY_SEED), batch.digest(1, ZERO_ROOT)).onchain()
    pair.l2.attest(RELAYER, batch, 1, ZERO_ROOT, signature)
    for message in messages:
        pair.l2.claim(RELAYER, 1, batch, message)
    return batch


def test_an_honest_batch_deep_enough_agrees_with_the_chains(bridges: Bridges) -> None:  # noqa: F811
    messages = deposits(bridges, 5_000_000, 2_500_000)
    mine(bridges.l1_node, CONFIRMATIONS)

    reading = read(bridges, messages)

    assert reading.read
    assert reading.problems == []
    assert reading.details["messages_found"] == 2
    assert reading.details["least_depth"] == CONFIRMATIONS
    assert reading.details["source_head"] == bridges.l1.w3.eth.block_number


def test_a_message_never_sent_or_sent_otherwise_is_named(bridges: Bridges) -> None:  # noqa: F811
    (sent,) = deposits(bridges, 1_000_000)
    mine(bridges.l1_node, CONFIRMATIONS)
    forged = dataclasses.replace(sent, nonce=sent.nonce + 1, recipient=dev_accounts()[9].address)
    inflated = dataclasses.replace(sent, amount=1_000_000_000)

    assert read(bridges, [sent, forged]).problems == [
        f"message {forged.nonce} was never sent by the source bridge {bridges.l1.address}"
    ]
    assert read(bridges, [inflated]).problems == [
        f"message {sent.nonce} differs from the source bridge's event in ['amount']"
    ]


def test_a_message_not_yet_deep_enough_is_named(bridges: Bridges) -> None:  # noqa: F811
    (message,) = deposits(bridges, 1_000_000)
    mine(bridges.l1_node, CONFIRMATIONS - 1)

    reading = read(bridges, [message])

    assert reading.problems == [
        f"message {message.nonce} has {CONFIRMATIONS - 1} confirmations on the source chain, "
        f"the policy {CONFIRMATIONS}"
    ]


def test_seq_must_be_free_and_prev_root_the_destinations_last(bridges: Bridges) -> None:  # noqa: F811
    """A seq already attested is refused, and a prevRoot other than the last batch's once that batch is
    attested; a seq ahead of the destination is left to the contract (a relay pipelines attestations)."""
    first, second = deposits(bridges, 1_000_000, 2_000_000)
    mine(bridges.l1_node, CONFIRMATIONS)
    where = f"the destination bridge {bridges.l2.address} on chain 31338"

    assert read(bridges, [first], seq=2, prev_root=b"\x02" * 32).problems == []  # ahead: not checkable yet
    wrong_prev = b"\x01" * 32
    assert read(bridges, [first], prev_root=wrong_prev).problems == [
        f"prevRoot 0x{wrong_prev.hex()} is not the root of the last batch {where} kept"
    ]

    batch = attest_and_claim(bridges, [first])

    assert read(bridges, [first]).problems == [
        f"seq 1 is already attested on {where}",
        f"message {first.nonce} is already paid on {where}",
    ]
    assert read(bridges, [second], seq=2, prev_root=batch.root).problems == []
    assert read(bridges, [second], seq=2).problems == [
        f"prevRoot 0x{ZERO_ROOT.hex()} is not the root of the last batch {where} kept"
    ]


def test_what_the_node_cannot_read_is_said_or_refused(bridges: Bridges) -> None:  # noqa: F811
    (message,) = deposits(bridges, 1_000_000)
    batch = Batch(bridges.l2.inbound(), [message])
    intent = batch.intent(1, ZERO_ROOT)
    l1, l2 = bridges.l1_node.url, bridges.l2_node.url

    unread = ChainWitness({31337: l1}, timeout_seconds=5).read(intent, batch, CONFIRMATIONS)
    crossed = ChainWitness({31337: l2, 31338: l2}, timeout_seconds=5).read(intent, batch, CONFIRMATIONS)

    assert (unread.read, unread.problems, unread.details) == (
        False,
        [],
        {"chains_read": False, "no_rpc_url_for": [31338]},
    )
    assert crossed.problems == ["the RPC URL for chain 31337 serves chain 31338"]
    with pytest.raises(ChainUnreadable, match="ConnectionError"):
        ChainWitness({31337: "http://127.0.0.1:9", 31338: l2}, timeout_seconds=5).read(
            intent, batch, CONFIRMATIONS
        )


def test_the_source_is_read_from_the_chains_start_block(bridges: Bridges) -> None:  # noqa: F811
    """From the bridge's deployment block the message is found, and only blocks from there are asked for;
    from a start block past the message's block it is not there to find (the start is honoured)."""
    deployed = bridges.l1.from_block
    tx_hash = bridges.deposit(dev_accounts()[USERS[0]], 1_000_000)
    (message,) = bridges.l1.sent()[-1:]
    mine(bridges.l1_node, CONFIRMATIONS)

    found = witnessed(witness_of(bridges, from_l1=deployed, log_window=1), bridges, [message])
    past = witnessed(witness_of(bridges, from_l1=block_of(bridges, tx_hash) + 1), bridges, [message])

    assert found.problems == []
    assert found.details["scanned_from"] == deployed > 0
    assert found.details["log_requests"] == block_of(bridges, tx_hash) - deployed + 1  # stops once found
    assert past.problems == [
        f"message {message.nonce} was never sent by the source bridge {bridges.l1.address}"
    ]
    assert past.details["scanned_from"] == block_of(bridges, tx_hash) + 1


@pytest.mark.parametrize("log_window", [1, 2, 3, 2_000])
def test_any_log_window_finds_the_same(bridges: Bridges, log_window: int) -> None:  # noqa: F811
    """Messages in several blocks are found, and one never sent named, whatever the window; the blocks
    from the start to the head are asked for `log_window` at a time."""
    deployed = bridges.l1.from_block
    messages = deposits(bridges, 1_000_000, 2_000_000, 3_000_000)
    mine(bridges.l1_node, CONFIRMATIONS)
    forged = dataclasses.replace(messages[-1], nonce=messages[-1].nonce + 1)

    honest = witnessed(witness_of(bridges, deployed, log_window), bridges, messages)
    with_forged = witnessed(witness_of(bridges, deployed, log_window), bridges, [*messages, forged])

    assert honest.problems == []
    assert honest.details["messages_found"] == 3
    assert honest.details["log_window"] == log_window
    assert with_forged.problems == [
        f"message {forged.nonce} was never sent by the source bridge {bridges.l1.address}"
    ]
    head = with_forged.details["source_head"]
    assert with_forged.details["log_requests"] == math.ceil((head - deployed + 1) / log_window)  # to the head


def test_a_later_batch_is_read_from_where_the_last_was_found(bridges: Bridges) -> None:  # noqa: F811
    """A witness remembers where the messages it found deep enough were: the next batch's scan starts at
    the block of the greatest nonce not above its first, and a message not deep enough is not remembered."""
    deployed = bridges.l1.from_block
    witness = witness_of(bridges, deployed, log_window=1)
    first_tx = bridges.deposit(dev_accounts()[USERS[0]], 1_000_000)
    (first,) = bridges.l1.sent()[-1:]
    mine(bridges.l1_node, CONFIRMATIONS)

    assert witnessed(witness, bridges, [first]).details["scanned_from"] == deployed
    (second,) = deposits(bridges, 2_000_000)
    shallow = witnessed(witness, bridges, [second])  # not deep enough: found, not remembered
    mine(bridges.l1_node, CONFIRMATIONS)
    (third,) = deposits(bridges, 3_000_000)
    mine(bridges.l1_node, CONFIRMATIONS)
    later = witnessed(witness, bridges, [third])

    assert shallow.details["scanned_from"] == block_of(bridges, first_tx)
    assert shallow.details["least_depth"] < CONFIRMATIONS
    assert later.problems == []
    assert later.details["scanned_from"] == block_of(bridges, first_tx)  # the second was not remembered
    assert witnessed(witness, bridges, [second]).details["scanned_from"] == block_of(bridges, first_tx)
    assert witnessed(witness, bridges, [third]).details["scanned_from"] > block_of(bridges, first_tx)
    assert witnessed(witness_of(bridges, deployed), bridges, [third]).details["scanned_from"] == deployed
