"""The settlement tables (migration 0034): settled trades, and the batches they are anchored in.

`settlement_trades` holds one row per settled trade, keyed by its trade id, written in the transaction that
posts the trade to the ledger (`matching.settlement.trades`), so a trade in the ledger is a trade here and
never twice. `batch_id` is null until a batch takes it; the batch's cut sets it, the trade's `position` in
the batch and its `leaf`, in one transaction: a trade is in at most one batch, and a batch's membership never
changes afterwards.

`settlement_batches` numbers batches 1, 2, 3 ... (the primary key is chosen as the last id + 1, so two
cutters racing for the same id cannot both commit) and records how far each is on its way on-chain:
`cut` (membership and root fixed) -> `signing` (the anchor seq and prevRoot chosen, committed before the
custody group is asked) -> `submitted` (the transaction hash) -> `anchored` (the `Anchored` event read back).
Integers that can pass 2**53 are BIGINT; uint64 fields of a leaf are stored below 2**63 (the ids, ticks,
lots and minor units that fill them do).

`settlement_cursor_blocks` (migration 0039) is how far the anchorer has read the contract's `Voided` events,
in `relay.cursor.ChainCursor`'s shape (block numbers with their hashes, to rewind on a reorg), moved in the
transaction that voids the batches those blocks voided: a restarted anchorer reads on from there instead of
from the deployment block, and a crash between the two leaves the blocks to be read again.
"""

from typing import Final

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
)

from chain.sql_naming import SQL_NAMING_CONVENTION

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)
BATCH_STATUSES: Final = ("cut", "signing", "submitted", "anchored", "voided")
UNFINISHED: Final = ("cut", "signing", "submitted")
"""The statuses of a batch on its way: at most one batch is in one of them."""
_KNOWN = ", ".join(f"'{status}'" for status in BATCH_STATUSES)

settlement_batches: Final = Table(
    "settlement_batches",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", SmallInteger, nullable=False),
    Column("chain_id", BigInteger, nullable=False),
    Column("contract", String(42), nullable=False),
    Column("status", String(16), nullable=False),
    Column("root", String(66), nullable=False),
    Column("count", Integer, nullable=False),
    Column("anchor_seq", BigInteger, nullable=True),
    Column("prev_root", String(66), nullable=True),
    Column("tx_hash", String(66), nullable=True),
    Column("block_number", BigInteger, nullable=True),
    Column("created_us", BigInteger, nullable=False),
    Column("anchored_us", BigInteger, nullable=True),
    CheckConstraint(f"status IN ({_KNOWN})", name="status_known"),
    CheckConstraint("count > 0", name="count_positive"),
)

settlement_trades: Final = Table(
    "settlement_trades",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("venue", SmallInteger, nullable=False),
    Column("market", String(64), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("trade_index", Integer, nullable=False),
    Column("buyer", BigInteger, nullable=False),
    Column("seller", BigInteger, nullable=False),
    Column("price", BigInteger, nullable=False),
    Column("qty", BigInteger, nullable=False),
    Column("buyer_fee", BigInteger, nullable=False),
    Column("seller_fee", BigInteger, nullable=False),
    Column("recorded_us", BigInteger, nullable=False),
    Column("batch_id", BigInteger, ForeignKey("settlement_batches.id"), nullable=True),
    Column("position", Integer, nullable=True),
    Column("leaf", String(66), nullable=True),
    CheckConstraint(
        "(batch_id IS NULL) = (position IS NULL) AND (batch_id IS NULL) = (leaf IS NULL)",
        name="batched_whole",
    ),
    Index("ix_settlement_trades_batch", "batch_id", "recorded_us"),
    Index("ix_settlement_trades_market", "market", "recorded_us"),  # the monitoring's references (0041)
    Index("ix_settlement_trades_recorded_us", "recorded_us"),  # the monitoring's reading (0041)
)

settlement_cursor_blocks: Final = Table(
    "settlement_cursor_blocks",
    metadata,
    Column("cursor", String(128), primary_key=True),
    Column("number", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(66), nullable=False),
)

WITHDRAWAL_STATUSES: Final = ("signing", "sent", "paid", "refused")
_WITHDRAWAL_KNOWN = ", ".join(f"'{status}'" for status in WITHDRAWAL_STATUSES)

settlement_withdrawals: Final = Table(
    "settlement_withdrawals",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("merchant_id", String(32), nullable=False),
    Column("livemode", Boolean, nullable=False),
    Column("trader", BigInteger, nullable=False),
    Column("currency", String(8), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("token_amount", String(78), nullable=False),
    Column("to", String(42), nullable=False),
    Column("status", String(16), nullable=False),
    Column("custody_nonce", BigInteger, nullable=True),
    Column("deadline", BigInteger, nullable=True),
    Column("tx_hash", String(66), nullable=True),
    Column("created_us", BigInteger, nullable=False),
    Column("paid_us", BigInteger, nullable=True),
    Column("refusal", String(300), nullable=True),
    CheckConstraint(f"status IN ({_WITHDRAWAL_KNOWN})", name="status_known"),
    CheckConstraint("amount > 0", name="amount_positive"),
    Index("ix_settlement_withdrawals_merchant", "merchant_id", "livemode"),
    Index("ix_settlement_withdrawals_status", "status", "created_us"),
)
"""Withdrawals of a trader's exchange balance to a chain address (`matching.settlement.withdrawals`)."""
