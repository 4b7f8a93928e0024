"""`chain.bridge` and the contracts agree: message leaves both ways, batch digests, and Merkle proofs of
batches of several sizes (every message of each is claimed on-chain with the proof Python built)."""

import random
from typing import Any

import pytest
from eth_utils import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from chain.bridge.batch import Batch, batch_intent, proves
from chain.bridge.message import Message
from tests.chain.test_intents import addresses, bytes32s, uint64s
from tests.helpers.bridge import BridgePair

pytestmark = pytest.mark.chain

amounts = st.integers(min_value=0, max_value=2**256 - 1)
nonces = st.integers(min_value=0, max_value=2**64 - 1)
fields = st.tuples(nonces, addresses, addresses, addresses, addresses, amounts)


@given(values=fields)
def test_leaves_agree_both_ways(bridge_pair: BridgePair, values: tuple[Any, ...]) -> None:
    to_l2 = Message(bridge_pair.route(bridge_pair.l2), *values)
    to_l1 = Message(bridge_pair.route(bridge_pair.l1), *values)
    assert bytes(bridge_pair.l2.bridge.inbound_leaf(values)) == to_l2.leaf()
    assert bytes(bridge_pair.l1.bridge.outbound_leaf(values)) == to_l2.leaf()
    assert bytes(bridge_pair.l1.bridge.inbound_leaf(values)) == to_l1.leaf()
    assert bytes(bridge_pair.l2.bridge.outbound_leaf(values)) == to_l1.leaf()
    assert to_l1.leaf() != to_l2.leaf()


@given(seq=uint64s, root=bytes32s, count=uint64s, prev_root=bytes32s)
def test_batch_digests_agree(
    bridge_pair: BridgePair, seq: int, root: bytes, count: int, prev_root: bytes
) -> None:
    for side in (bridge_pair.l1, bridge_pair.l2):
        route = bridge_pair.route(side)
        intent = batch_intent(route, seq, root, count, prev_root)
        onchain = bytes(side.bridge.batch_digest(seq, root, count, prev_root))
        assert onchain == intent.digest(route.dst_chain_id, route.dst_bridge)


@pytest.mark.parametrize("size", [1, 2, 5, 13])
def test_every_proof_python_builds_is_accepted_on_chain(bridge_pair: BridgePair, size: int) -> None:
    l2 = bridge_pair.l2
    rng = random.Random(size)
    route = bridge_pair.route(l2)
    messages = [
        Message(
            route,
            rng.randrange(1, 2**64),
            str(bridge_pair.l1.token.address),
            str(l2.token.address),
            to_checksum_address(rng.randbytes(20)),
            to_checksum_address(rng.randbytes(20)),
            rng.randrange(1, 10**6),
        )
        for _ in range(size)
    ]
    seq, batch = bridge_pair.attest(l2, messages)
    assert isinstance(batch, Batch)
    for message in messages:
        proof = batch.proof(message)
        assert proves(batch.root, message, proof)
        bridge_pair.claim(l2, seq, batch, message)
        assert l2.bridge.is_consumed(message.nonce)
        assert l2.token.balanceOf(message.recipient) >= message.amount
    assert l2.token.totalSupply() == sum(message.amount for message in messages)
