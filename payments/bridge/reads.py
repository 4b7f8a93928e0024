"""What the API reads of the bridge relay's records: a message by id or by its L1 transaction, its batch and
inclusion proof, and the batches newest first."""

from dataclasses import dataclass

from sqlalchemy import Engine, RowMapping, select

from chain.bridge.batch import Batch
from payments.bridge.schema import bridge_batches, bridge_messages
from payments.bridge.store import batch_messages, load_batch, message_of, route_of


@dataclass(frozen=True)
class MessageRecord:
    """A message row and, once batched, its batch's row."""

    message: RowMapping
    batch: RowMapping | None


def _with_batch(engine: Engine, row: RowMapping) -> MessageRecord:
    batch = None if row["batch_id"] is None else load_batch(engine, int(row["batch_id"]))
    return MessageRecord(row, batch)


def message_by_id(engine: Engine, message_id: str) -> MessageRecord | None:
    with engine.connect() as connection:
        row = (
            connection.execute(select(bridge_messages).where(bridge_messages.c.id == message_id))
            .mappings()
            .first()
        )
    return None if row is None else _with_batch(engine, row)


def messages_by_tx(engine: Engine, tx_hash: str) -> list[MessageRecord]:
    """The messages one source transaction sent (on whichever chain), by log index."""
    columns = bridge_messages.c
    with engine.connect() as connection:
        rows = (
            connection.execute(
                select(bridge_messages)
                .where(columns.tx_hash == tx_hash.lower())
                .order_by(columns.src_chain_id, columns.log_index)
            )
            .mappings()
            .all()
        )
    return [_with_batch(engine, row) for row in rows]


def proof(engine: Engine, record: MessageRecord) -> list[bytes]:
    """The message's proof in its batch, rebuilt from the batch's stored messages (which must make its
    root). Only for a batched message."""
    assert record.batch is not None
    route = route_of(record.batch)
    tree = Batch(route, [message_of(route, row) for row in batch_messages(engine, int(record.batch["id"]))])
    if "0x" + tree.root.hex() != record.batch["root"]:
        raise ValueError(f"batch {record.batch['id']}'s stored messages do not make its root")
    return tree.proof(message_of(route, record.message))


def list_batches(engine: Engine, after: int | None, limit: int) -> list[RowMapping]:
    """Batches newest first, below id `after` when given."""
    query = select(bridge_batches).order_by(bridge_batches.c.id.desc()).limit(limit)
    if after is not None:
        query = query.where(bridge_batches.c.id < after)
    with engine.connect() as connection:
        return list(connection.execute(query).mappings().all())
