"""The trade leaf: what one settled trade is in a settlement batch's Merkle tree, for every kind of market.

A leaf is keccak256 of the ABI encoding of (in this order):

| field | type | what it is |
| --- | --- | --- |
| `tag` | bytes32 | `TRADE_LEAF_TAG` = keccak256("TPWallet.TradeLeaf(v1)"): no other record hashes alike |
| `chainId` | uint256 | the chain of the `SettlementAnchor` the batch is anchored on |
| `anchor` | address | that contract |
| `venue` | uint8 | `Venue`: 1 spot, 2 perpetual, 3 option (each market kind, one format) |
| `market` | bytes32 | keccak256 of the market id's UTF-8 bytes ("TPW-tUSD", "TPW-tUSD.sandbox") |
| `seq` | uint64 | the journal sequence number of the command that printed the trade |
| `index` | uint32 | the trade's index among that command's trades (0, 1, ...) |
| `buyer`, `seller` | uint64 | the engine's account numbers of the two sides |
| `price` | uint64 | the market's price ticks |
| `qty` | uint64 | the market's lots |
| `buyerFee`, `sellerFee` | uint64 | fees in the market's fee currency's ledger minor units |

The trade's identity is (venue, market, seq, index): `trade_id` spells it `<venue>:<market>:<seq>:<index>`
(`spot:TPW-tUSD:12:0`), which is what `/v1/settlement/trades/{id}/proof` takes.

Domain separation, as issue 6 set it for anchors: the tree hashes leaves and internal nodes apart
(`chain.merkle`, RFC 6962 prefixes), so no node can be passed off as a trade; the tag keeps a trade leaf from
being any other 32-byte record's hash; and the chain id and contract inside every leaf, besides being in the
`Anchor` intent's EIP-712 domain that signs the root, mean a proof cannot be replayed against another
deployment's anchor. The contract's `verify(kind, seq, leaf, proof)` takes the leaf as computed here.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from eth_utils import keccak, to_checksum_address

from chain.merkle import leaf_hash

TRADE_LEAF_TAG: Final = keccak(text="TPWallet.TradeLeaf(v1)")
TRADE_LEAF_TYPES: Final = (
    "bytes32",
    "uint256",
    "address",
    "uint8",
    "bytes32",
    "uint64",
    "uint32",
    "uint64",
    "uint64",
    "uint64",
    "uint64",
    "uint64",
    "uint64",
)
_UINT64: Final = 2**64
_UINT32: Final = 2**32


class Venue(enum.IntEnum):
    """Which kind of market printed the trade; its name starts the trade id."""

    SPOT = 1
    PERPETUAL = 2
    OPTION = 3

    @property
    def label(self) -> str:
        return {Venue.SPOT: "spot", Venue.PERPETUAL: "perp", Venue.OPTION: "option"}[self]

    @classmethod
    def from_label(cls, label: str) -> Venue:
        for venue in cls:
            if venue.label == label:
                return venue
        raise ValueError(f"no venue {label!r}")


class LeafError(ValueError):
    """A trade that cannot be a leaf: a field out of its type's range."""


@dataclass(frozen=True, slots=True)
class SettledTrade:
    """One trade as settlement knows it: identity, the two sides, price, quantity and fees (integers)."""

    venue: Venue
    market: str
    seq: int
    index: int
    buyer: int
    seller: int
    price: int
    qty: int
    buyer_fee: int
    seller_fee: int

    def __post_init__(self) -> None:
        for name in ("seq", "buyer", "seller", "price", "qty", "buyer_fee", "seller_fee"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < _UINT64:
                raise LeafError(f"{name} must be a uint64, got {value!r}")
        if isinstance(self.index, bool) or not 0 <= self.index < _UINT32:
            raise LeafError(f"index must be a uint32, got {self.index!r}")
        if not self.market or ":" in self.market:
            raise LeafError(f"market id {self.market!r} is empty or has a ':'")

    @property
    def id(self) -> str:
        return trade_id(self.venue, self.market, self.seq, self.index)


def trade_id(venue: Venue, market: str, seq: int, index: int) -> str:
    """`<venue>:<market>:<seq>:<index>`, e.g. `spot:TPW-tUSD:12:0`."""
    return f"{venue.label}:{market}:{seq}:{index}"


def market_hash(market: str) -> bytes:
    """The leaf's `market`: keccak256 of the market id's UTF-8 bytes."""
    return keccak(text=market)


def leaf_values(trade: SettledTrade, chain_id: int, anchor: str) -> tuple[object, ...]:
    """The values the leaf encodes, in `TRADE_LEAF_TYPES`' order."""
    return (
        TRADE_LEAF_TAG,
        chain_id,
        to_checksum_address(anchor),
        int(trade.venue),
        market_hash(trade.market),
        trade.seq,
        trade.index,
        trade.buyer,
        trade.seller,
        trade.price,
        trade.qty,
        trade.buyer_fee,
        trade.seller_fee,
    )


def trade_leaf(trade: SettledTrade, chain_id: int, anchor: str) -> bytes:
    """The 32-byte leaf of `trade` in a batch anchored on `anchor` on `chain_id` (what `verify` takes)."""
    return leaf_hash(TRADE_LEAF_TYPES, leaf_values(trade, chain_id, anchor))
