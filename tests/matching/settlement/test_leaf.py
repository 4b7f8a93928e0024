"""The trade leaf: its encoding field by field, its domain (tag, chain id, contract), and its range checks."""

import pytest
from eth_abi import encode
from eth_utils import keccak

from chain.merkle import MerkleTree, verify
from matching.settlement.leaf import (
    TRADE_LEAF_TAG,
    LeafError,
    SettledTrade,
    Venue,
    market_hash,
    trade_leaf,
)

ANCHOR = "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9"
TRADE = SettledTrade(Venue.SPOT, "TPW-tUSD", 12, 0, 7, 9, 200, 4, 8_000, 16_000)


def test_the_leaf_is_keccak_of_the_documented_abi_encoding() -> None:
    encoded = encode(
        ["bytes32", "uint256", "address", "uint8", "bytes32"] + ["uint64", "uint32"] + ["uint64"] * 6,
        [TRADE_LEAF_TAG, 31337, ANCHOR, 1, keccak(b"TPW-tUSD"), 12, 0, 7, 9, 200, 4, 8_000, 16_000],
    )
    assert trade_leaf(TRADE, 31337, ANCHOR) == keccak(encoded)
    assert keccak(b"TPWallet.TradeLeaf(v1)") == TRADE_LEAF_TAG
    assert market_hash("TPW-tUSD") == keccak(b"TPW-tUSD")
    assert TRADE.id == "spot:TPW-tUSD:12:0"
    assert Venue.from_label("perp") is Venue.PERPETUAL


def test_the_chain_the_contract_and_every_field_change_the_leaf() -> None:
    base = trade_leaf(TRADE, 31337, ANCHOR)
    others = {
        trade_leaf(TRADE, 31338, ANCHOR),
        trade_leaf(TRADE, 31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3"),
        trade_leaf(
            SettledTrade(Venue.PERPETUAL, "TPW-tUSD", 12, 0, 7, 9, 200, 4, 8_000, 16_000), 31337, ANCHOR
        ),
        trade_leaf(SettledTrade(Venue.SPOT, "TPW-tUSD", 12, 1, 7, 9, 200, 4, 8_000, 16_000), 31337, ANCHOR),
        trade_leaf(SettledTrade(Venue.SPOT, "TPW-tUSD", 12, 0, 9, 7, 200, 4, 8_000, 16_000), 31337, ANCHOR),
        trade_leaf(SettledTrade(Venue.SPOT, "TPW-tUSD", 12, 0, 7, 9, 200, 4, 8_000, 16_001), 31337, ANCHOR),
    }
    assert base not in others
    assert len(others) == 6


@pytest.mark.parametrize(
    ("field", "value"),
    [("seq", -1), ("price", 2**64), ("qty", True), ("index", 2**32), ("market", "a:b"), ("market", "")],
)
def test_a_field_outside_its_type_is_refused(field: str, value: object) -> None:
    fields = {
        "venue": Venue.SPOT,
        "market": "TPW-tUSD",
        "seq": 1,
        "index": 0,
        "buyer": 1,
        "seller": 2,
        "price": 1,
        "qty": 1,
        "buyer_fee": 0,
        "seller_fee": 0,
    }
    with pytest.raises(LeafError):
        SettledTrade(**{**fields, field: value})  # type: ignore[arg-type]


def test_trade_leaves_prove_their_membership_and_a_tampered_one_does_not() -> None:
    trades = [SettledTrade(Venue.SPOT, "TPW-tUSD", seq, 0, 1, 2, 100 + seq, 1, 0, 0) for seq in range(1, 8)]
    leaves = [trade_leaf(trade, 31337, ANCHOR) for trade in trades]
    tree = MerkleTree(leaves)
    for index, leaf in enumerate(leaves):
        assert verify(tree.root, leaf, tree.proof(index))
    tampered = trade_leaf(SettledTrade(Venue.SPOT, "TPW-tUSD", 3, 0, 1, 2, 104, 1, 0, 0), 31337, ANCHOR)
    assert not verify(tree.root, tampered, tree.proof(2))
