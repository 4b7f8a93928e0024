"""The bridge relay's tables (migrations 0035 and 0036), in a MetaData of their own.

`bridge_messages` holds every `Deposited` (L1) and `Withdrawn` (L2) event a watcher read, keyed by where it
is on-chain (source chain id, tx hash, log index): reading a block again, after a restart or a reorg, finds
the message there and records nothing twice. That key is also the local half of delivery's exactly-once
(the other half is the destination bridge's consume-once bitmap). A message moves
seen -> batched -> attested -> claimable -> claimed (or queued -> released, over the rate limit); a message
whose batch the guardian vetoed goes back to seen (and into a new batch), and one whose source event a reorg
deeper than the confirmation depth took away is `orphaned` (never delivered; `payments.bridge.vetoes`).
`bridge_batches` are the Merkle batches of one route, numbered by the destination bridge's seq and
hash-chained by `prev_root`: cut -> attested -> delivered, or `vetoed` (its seq is never used again).
`bridge_cursor_blocks` is the watchers' read position with the block hashes a reorg is detected by
(`relay.cursor.ChainCursor`'s shape), written in the transaction that records what was read (the veto
watchers keep theirs there too). `bridge_leases` lets one relay of several deliver a batch: a row per batch
naming its holder until `expires_us`, after which another relay may take it over.
uint256 amounts are decimal strings (a uint256 need not fit a BIGINT); nonces and seqs are uint64 the bridges
count up from 1, stored as BIGINT.
"""

from typing import Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from chain.sql_naming import SQL_NAMING_CONVENTION

HASH_LENGTH: Final = 66  # 0x + 32 bytes in hex
ADDRESS_LENGTH: Final = 42
UINT256_DIGITS: Final = 78

MESSAGE_STATUSES: Final = (
    "seen",
    "batched",
    "attested",
    "claimable",
    "claimed",
    "queued",
    "released",
    "orphaned",
)
BATCH_STATUSES: Final = ("cut", "attested", "delivered", "vetoed")


def _known(statuses: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{status}'" for status in statuses) + ")"


metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)

bridge_messages: Final = Table(
    "bridge_messages",
    metadata,
    Column("src_chain_id", BigInteger, primary_key=True, autoincrement=False),
    Column("tx_hash", String(HASH_LENGTH), primary_key=True),
    Column("log_index", Integer, primary_key=True, autoincrement=False),
    Column("id", String(40), nullable=False, unique=True),
    Column("dst_chain_id", BigInteger, nullable=False),
    Column("src_bridge", String(ADDRESS_LENGTH), nullable=False),
    Column("dst_bridge", String(ADDRESS_LENGTH), nullable=False),
    Column("nonce", BigInteger, nullable=False),
    Column("src_token", String(ADDRESS_LENGTH), nullable=False),
    Column("dst_token", String(ADDRESS_LENGTH), nullable=False),
    Column("sender", String(ADDRESS_LENGTH), nullable=False),
    Column("recipient", String(ADDRESS_LENGTH), nullable=False),
    Column("amount", String(UINT256_DIGITS), nullable=False),
    Column("leaf", String(HASH_LENGTH), nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("block_hash", String(HASH_LENGTH), nullable=False),
    Column("status", String(16), nullable=False),
    Column("batch_id", BigInteger, nullable=True),
    Column("claim_tx_hash", String(HASH_LENGTH), nullable=True),
    Column("seen_us", BigInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    CheckConstraint(_known(MESSAGE_STATUSES), name="status_known"),
    CheckConstraint("status != 'seen' OR batch_id IS NULL", name="unbatched_when_seen"),
    CheckConstraint("status IN ('seen', 'orphaned') OR batch_id IS NOT NULL", name="batched_past_seen"),
    Index("ix_bridge_messages_route_status", "src_chain_id", "src_bridge", "status", "nonce"),
    Index("ix_bridge_messages_batch", "batch_id"),
)

bridge_batches: Final = Table(
    "bridge_batches",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("src_chain_id", BigInteger, nullable=False),
    Column("dst_chain_id", BigInteger, nullable=False),
    Column("src_bridge", String(ADDRESS_LENGTH), nullable=False),
    Column("dst_bridge", String(ADDRESS_LENGTH), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("root", String(HASH_LENGTH), nullable=False),
    Column("prev_root", String(HASH_LENGTH), nullable=False),
    Column("count", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attest_tx_hash", String(HASH_LENGTH), nullable=True),
    Column("deadline", BigInteger, nullable=True),  # seconds since the epoch, the destination's clock
    Column("created_us", BigInteger, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    CheckConstraint(_known(BATCH_STATUSES), name="status_known"),
    CheckConstraint("count > 0", name="count_positive"),
    UniqueConstraint("dst_chain_id", "dst_bridge", "seq", name="uq_bridge_batches_route_seq"),
)

bridge_cursor_blocks: Final = Table(
    "bridge_cursor_blocks",
    metadata,
    Column("cursor", String(128), primary_key=True),
    Column("number", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(HASH_LENGTH), nullable=False),
)

bridge_leases: Final = Table(
    "bridge_leases",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("holder", String(64), nullable=False),
    Column("expires_us", BigInteger, nullable=False),
)
