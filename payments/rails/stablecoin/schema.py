"""The stablecoin rail's tables in the API database, in a MetaData of their own (migrated by
0012_stablecoin_payments).

`stablecoin_payments` holds every `Paid` event the watcher read, keyed by where it is on-chain (chain id,
tx hash, log index), so reading a block again (after a restart or a reorg) finds the payment already there
and moves nothing twice. It keeps what the payer sent (token, amount as a decimal string: a uint256 need not
fit a BIGINT) and what became of it: `outcome` and `reason` (see `payments.rails.stablecoin.settlement`).
`stablecoin_cursor_blocks` is the watcher's read position, the same shape as `relay.cursor`'s table, written
in the transaction that records the payments it read. `stablecoin_payouts` holds each refund's way back to
the payer: the custody transfer chosen for it (its treasury nonce and deadline are written before it is
signed, so a restart finds the transfer it may already have sent) and where it stands
(`payments.rails.stablecoin.payouts`); a payout the custody group's policy refused keeps the nodes' reason in
`refusal` (migration 0040).
"""

from typing import Final

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table

from chain.sql_naming import SQL_NAMING_CONVENTION

HASH_LENGTH: Final = 66  # 0x + 32 bytes in hex
ADDRESS_LENGTH: Final = 42
UINT256_DIGITS: Final = 78

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)

stablecoin_payments: Final = Table(
    "stablecoin_payments",
    metadata,
    Column("chain_id", BigInteger, primary_key=True, autoincrement=False),
    Column("tx_hash", String(HASH_LENGTH), primary_key=True),
    Column("log_index", Integer, primary_key=True, autoincrement=False),
    Column("block_number", BigInteger, nullable=False),
    Column("block_hash", String(HASH_LENGTH), nullable=False),
    Column("paid_at", BigInteger, nullable=False),  # the block's timestamp, seconds since the epoch
    Column("intent_key", String(HASH_LENGTH), nullable=False),
    Column("payment_intent_id", String(64), nullable=True),
    Column("merchant_id", String(48), nullable=True),
    Column("livemode", Boolean, nullable=True),
    Column("payer", String(ADDRESS_LENGTH), nullable=False),
    Column("token", String(ADDRESS_LENGTH), nullable=False),
    Column("token_amount", String(UINT256_DIGITS), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("reason", String(255), nullable=True),
    Column("recorded_at", BigInteger, nullable=False),  # ns since the epoch
    Index("ix_stablecoin_payments_intent", "payment_intent_id"),
)

stablecoin_cursor_blocks: Final = Table(
    "stablecoin_cursor_blocks",
    metadata,
    Column("cursor", String(128), primary_key=True),
    Column("number", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(HASH_LENGTH), nullable=False),
)

stablecoin_payouts: Final = Table(
    "stablecoin_payouts",
    metadata,
    Column("refund_id", String(64), primary_key=True),
    Column("payment_intent_id", String(64), nullable=False),
    Column("merchant_id", String(48), nullable=False),
    Column("livemode", Boolean, nullable=False),
    Column("to", String(ADDRESS_LENGTH), nullable=False),
    Column("token", String(ADDRESS_LENGTH), nullable=False),
    Column("token_amount", String(UINT256_DIGITS), nullable=False),
    Column("custody_nonce", BigInteger, nullable=True),
    Column("deadline", BigInteger, nullable=True),
    Column("tx_hash", String(HASH_LENGTH), nullable=True),
    Column("status", String(16), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("refusal", String(300), nullable=True),  # the custody nodes' reason, for the operator (0040)
)
