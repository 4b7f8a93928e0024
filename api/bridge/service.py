"""Reads of `/v1/bridge`: a message (by id, or the deposits of an L1 transaction), its proof, the batches."""

from datetime import UTC, datetime
from typing import Final

from sqlalchemy import Engine, RowMapping

from api.bridge.errors import MessageNotBatched, MessageNotFound
from api.bridge.schemas import BridgeBatches, BridgeBatchOut, BridgeMessageOut, BridgeMessages, BridgeProofOut
from api.pagination import Listing, key_part
from payments.bridge import reads
from payments.bridge.store import to_hex

BATCHES: Final = Listing("bridge-batches", (int,))


def _seconds(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def batch_view(row: RowMapping) -> BridgeBatchOut:
    return BridgeBatchOut(
        id=str(row["id"]),
        status=row["status"],
        src_chain_id=str(row["src_chain_id"]),
        dst_chain_id=str(row["dst_chain_id"]),
        src_bridge=row["src_bridge"],
        dst_bridge=row["dst_bridge"],
        seq=str(row["seq"]),
        root=row["root"],
        prev_root=row["prev_root"],
        count=int(row["count"]),
        attest_tx_hash=row["attest_tx_hash"],
        challenge_ends_at=_seconds(row["deadline"]),
        created_at=datetime.fromtimestamp(int(row["created_us"]) / 1_000_000, UTC),
    )


def message_view(record: reads.MessageRecord) -> BridgeMessageOut:
    row, batch = record.message, record.batch
    return BridgeMessageOut(
        id=row["id"],
        status=row["status"],
        src_chain_id=str(row["src_chain_id"]),
        dst_chain_id=str(row["dst_chain_id"]),
        tx_hash=row["tx_hash"],
        log_index=int(row["log_index"]),
        block_number=str(row["block_number"]),
        nonce=str(row["nonce"]),
        src_token=row["src_token"],
        dst_token=row["dst_token"],
        sender=row["sender"],
        recipient=row["recipient"],
        amount=row["amount"],
        leaf=row["leaf"],
        batch_seq=None if batch is None else str(batch["seq"]),
        challenge_ends_at=None if batch is None else _seconds(batch["deadline"]),
        claim_tx_hash=row["claim_tx_hash"],
    )


def message(engine: Engine, message_id: str) -> BridgeMessageOut:
    record = reads.message_by_id(engine, message_id)
    if record is None:
        raise MessageNotFound(f"no bridge message {message_id}")
    return message_view(record)


def deposits(engine: Engine, tx_hash: str) -> BridgeMessages:
    records = reads.messages_by_tx(engine, tx_hash)
    if not records:
        raise MessageNotFound(f"no bridge message seen in transaction {tx_hash.lower()}")
    return BridgeMessages(data=[message_view(record) for record in records])


def proof(engine: Engine, message_id: str) -> BridgeProofOut:
    record = reads.message_by_id(engine, message_id)
    if record is None:
        raise MessageNotFound(f"no bridge message {message_id}")
    if record.batch is None:
        raise MessageNotBatched(f"bridge message {message_id} waits for its batch")
    return BridgeProofOut(
        message_id=message_id,
        seq=str(record.batch["seq"]),
        root=record.batch["root"],
        leaf=record.message["leaf"],
        proof=[to_hex(node) for node in reads.proof(engine, record)],
    )


def batches(engine: Engine, cursor: str | None, limit: int) -> BridgeBatches:
    after = BATCHES.decode(cursor)
    rows = reads.list_batches(engine, None if after is None else key_part(after, 0, int), limit + 1)
    page = BATCHES.page(
        [batch_view(row) for row in rows], limit, lambda batch: (int(batch.id),), cursor=cursor
    )
    return BridgeBatches(**dict(page))
