"""The signer node's chain witness (`custody.node.chain_witness`) against two real anvils with the bridges
deployed: an honest batch deep enough agrees with the chains; a message never sent or sent otherwise, one
not yet deep enough, a seq taken already or a prevRoot that is not the destination's last, and a message
paid already are each named (a seq ahead of the destination is left to the contract); a chain the node has
no RPC URL for is not read, one served by another chain is refused, and one that does not answer is a
passing fault."""

import dataclasses

import pytest

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


def witness_of(pair: Bridges) -> ChainWitness:
    return ChainWitness({31337: pair.l1_node.url, 31338: pair.l2_node.url}, timeout_seconds=5)


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
