"""What `/v1/settlement` answers: batches and trade proofs. Hashes are 0x hex; uint64 and larger integers
are decimal strings, as every amount the API gives."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from api.custody.intents import Address
from api.orders.schemas import DecimalText
from api.pagination import Page
from api.schemas import ApiModel

TRADE_ID_PATTERN = r"^(spot|perp|option):[A-Za-z0-9._-]{1,64}:[0-9]{1,19}:[0-9]{1,10}$"
TradeId = Annotated[
    str,
    Field(
        pattern=TRADE_ID_PATTERN,
        max_length=128,
        description="`<venue>:<market>:<journal seq>:<trade index>`, e.g. `spot:TPW-tUSD:12:0`.",
        examples=["spot:TPW-tUSD:12:0"],
    ),
]
Hash = Annotated[str, Field(pattern=r"^0x[0-9a-f]{64}$", description="32 bytes, 0x and hex.")]


class BatchOut(ApiModel):
    """A settlement batch: its Merkle root and where it is on its way to `SettlementAnchor`."""

    id: str
    object: Literal["settlement_batch"] = "settlement_batch"
    status: Literal["cut", "signing", "submitted", "anchored", "voided"]
    kind: int
    """The anchor kind (1: trade settlement)."""
    chain_id: str
    contract: str
    """The `SettlementAnchor` the batch is anchored on."""
    root: Hash
    count: int
    """The number of trades (leaves)."""
    anchor_seq: str | None
    """The anchor's seq in the contract, once chosen."""
    prev_root: Hash | None
    tx_hash: Hash | None
    block_number: str | None
    created_at: datetime
    anchored_at: datetime | None


class Batches(Page[BatchOut]):
    """A page of batches, newest first."""


class SettledTradeOut(ApiModel):
    """The trade as its leaf encodes it (`docs/matching.md`, "Settlement anchoring")."""

    id: str
    venue: Literal["spot", "perp", "option"]
    market: str
    seq: str
    index: int
    buyer: str
    seller: str
    price: str
    """In the market's ticks."""
    qty: str
    """In the market's lots."""
    buyer_fee: str
    seller_fee: str
    """Fees in the quote currency's ledger minor units."""


class TradeProofOut(ApiModel):
    """What `SettlementAnchor.verify(kind, seq, leaf, proof)` takes, and the root it leads to."""

    object: Literal["settlement_proof"] = "settlement_proof"
    trade: SettledTradeOut
    batch: BatchOut
    kind: int
    seq: str | None
    """The anchor seq (null until the batch's anchor is chosen)."""
    leaf: Hash
    proof: list[Hash]
    """Sibling hashes, leaf level first."""
    root: Hash


class WithdrawalCreate(ApiModel):
    """Withdraw part of the caller's exchange balance (what trading left it) to a chain address."""

    model_config = ConfigDict(extra="forbid")

    currency: Literal["tUSD", "TPW"]
    amount: DecimalText
    """In whole tokens, at most 6 decimals (the ledger's unit): "12.5"."""
    to: Address
    """The EIP-55 checksummed address the treasury pays."""


class WithdrawalOut(ApiModel):
    """A withdrawal: debited from the balance at once, paid out of the treasury by the custody group."""

    id: str
    object: Literal["settlement_withdrawal"] = "settlement_withdrawal"
    livemode: bool
    currency: str
    amount: str
    token_amount: str
    """The on-chain amount in the token's base units (tUSD: 6 decimals, TPW: 18)."""
    to: str
    status: Literal["signing", "sent", "paid", "refused"]
    """`refused`: the custody group's policy would not sign it; the amount is back in the balance (the
    policy's reason is kept for the operator, not shown here)."""
    tx_hash: str | None
    created_at: datetime
    paid_at: datetime | None
