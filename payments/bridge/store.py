"""Reading and writing the bridge relay's records (`payments.bridge.schema`).

Every function that changes money-bearing state runs in one transaction: a message read with the cursor
moved (the watcher passes its connection), a batch cut with its messages marked, a claim's outcome with its
message. A message's local key is (source chain id, tx hash, log index); inserting one already there does
nothing, so reading a block twice records a message once.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak
from sqlalchemy import Connection, Engine, RowMapping, delete, func, insert, select, update

from chain.bridge.batch import ZERO_ROOT, Batch
from chain.bridge.message import Message, Route
from payments.bridge.schema import bridge_batches, bridge_messages

MessageKey = tuple[int, str, int]
"""(source chain id, tx hash, log index): where a message is on its source chain."""


def message_id(key: MessageKey) -> str:
    """The message's public id: derived from its key, so the same event always gets the same id."""
    chain_id, tx_hash, log_index = key
    return "bm_" + keccak(text=f"{chain_id}:{tx_hash.lower()}:{log_index}").hex()[:32]


def to_hex(value: bytes) -> str:
    return "0x" + value.hex()


def from_hex(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def record_message(
    connection: Connection, message: Message, key: MessageKey, block: tuple[int, str], now_us: int
) -> bool:
    """Record `message` found at `key` in `block` (number, hash) as seen; False if it was recorded already.
    An orphaned message found again (a reorg took its event away, another put it back) is revived."""
    return record_messages(connection, [(message, key, block)], now_us) == 1


Found = tuple[Message, MessageKey, tuple[int, str]]
"""A message a watcher read, its key and its block (number, hash)."""
KEYS_PER_LOOKUP = 500
"""Transactions whose recorded messages one SELECT asks for (within every database's parameter limit)."""


def record_messages(connection: Connection, found: Sequence[Found], now_us: int) -> int:
    """Record each message of `found` (all of one source chain) as `record_message` does; how many were new
    or revived. The recorded ones are looked up and the new ones inserted in a few statements, not two per
    message: a watcher reads a burst's window of hundreds of messages at once."""
    chain_ids = {key[0] for _, key, _ in found}
    if len(chain_ids) > 1:
        raise ValueError(f"messages of one source chain at a time, not of {sorted(chain_ids)}")
    columns = bridge_messages.c
    recorded: dict[tuple[str, int], tuple[str, str | None, int | None]] = {}
    """(tx hash, log index) -> the recorded message's status, leaf and batch id."""
    tx_hashes = sorted({key[1] for _, key, _ in found})
    for start in range(0, len(tx_hashes), KEYS_PER_LOOKUP):
        rows = connection.execute(
            select(columns.tx_hash, columns.log_index, columns.status, columns.leaf, columns.batch_id).where(
                columns.src_chain_id.in_(chain_ids),
                columns.tx_hash.in_(tx_hashes[start : start + KEYS_PER_LOOKUP]),
            )
        ).mappings()
        recorded.update(
            {
                (str(row["tx_hash"]), int(row["log_index"])): (row["status"], row["leaf"], row["batch_id"])
                for row in rows
            }
        )
    new: list[dict[str, Any]] = []
    revived = 0
    for message, key, block in found:
        chain_id, tx_hash, log_index = key
        leaf = to_hex(message.leaf())
        known = recorded.get((tx_hash, log_index))
        if known is not None:
            status, recorded_leaf, batch_id = known
            if status == "orphaned" and recorded_leaf == leaf:
                _revive(connection, key, batch_id, block, now_us)
                recorded[(tx_hash, log_index)] = ("revived", leaf, batch_id)  # found twice: revived once
                revived += 1
            continue
        recorded[(tx_hash, log_index)] = ("seen", leaf, None)  # found twice in `found`: recorded once
        route = message.route
        new.append(
            {
                "src_chain_id": chain_id,
                "tx_hash": tx_hash,
                "log_index": log_index,
                "id": message_id(key),
                "dst_chain_id": route.dst_chain_id,
                "src_bridge": route.src_bridge,
                "dst_bridge": route.dst_bridge,
                **message.fields(),
                "leaf": leaf,
                "block_number": block[0],
                "block_hash": block[1],
                "status": "seen",
                "batch_id": None,
                "seen_us": now_us,
                "updated_us": now_us,
            }
        )
    if new:
        connection.execute(insert(bridge_messages), new)
    return len(new) + revived


def _revive(
    connection: Connection, key: MessageKey, batch_id: int | None, block: tuple[int, str], now_us: int
) -> None:
    """An orphaned message is on the chain again: back to seen if it has no batch or its batch was vetoed
    (it is cut again), else to its batch's stage (the deliverer moves it on from there)."""
    batch_status = None
    if batch_id is not None:
        batch_status = connection.scalar(
            select(bridge_batches.c.status).where(bridge_batches.c.id == batch_id)
        )
    if batch_status in (None, "vetoed"):
        values: dict[str, Any] = {"status": "seen", "batch_id": None}
    else:
        values = {"status": "batched" if batch_status == "cut" else "attested"}
    columns = bridge_messages.c
    chain_id, tx_hash, log_index = key
    connection.execute(
        update(bridge_messages)
        .where(columns.src_chain_id == chain_id, columns.tx_hash == tx_hash, columns.log_index == log_index)
        .values(block_number=block[0], block_hash=block[1], updated_us=now_us, **values)
    )


def forget_unbatched_after(connection: Connection, route: Route, block_number: int) -> int:
    """Drop the route's messages read from blocks after `block_number` that no batch holds yet: a reorg
    replaced those blocks, and the watcher reads them again. A batched message is left alone (its batch may
    be signed already; only the guardian's veto undoes that). The number dropped."""
    columns = bridge_messages.c
    result = connection.execute(
        delete(bridge_messages).where(
            columns.src_chain_id == route.src_chain_id,
            columns.src_bridge == route.src_bridge,
            columns.status == "seen",
            columns.block_number > block_number,
        )
    )
    return int(result.rowcount)


def message_of(route: Route, row: RowMapping) -> Message:
    """The `Message` a `bridge_messages` row holds."""
    return Message(
        route=route,
        nonce=int(row["nonce"]),
        src_token=row["src_token"],
        dst_token=row["dst_token"],
        sender=row["sender"],
        recipient=row["recipient"],
        amount=int(row["amount"]),
    )


def route_of(row: RowMapping) -> Route:
    """The route of a message or batch row."""
    return Route(
        int(row["src_chain_id"]), int(row["dst_chain_id"]), str(row["src_bridge"]), str(row["dst_bridge"])
    )


class CutConflict(RuntimeError):
    """Two relays cut the same messages at once; the one that raises rolls its batch back."""


@dataclass(frozen=True)
class BatchPolicy:
    """When a route's waiting messages become a batch: `max_messages` of them, or once the oldest has
    waited `max_age_us`."""

    max_messages: int
    max_age_us: int


def cut_batch(engine: Engine, route: Route, policy: BatchPolicy, now_us: int) -> int | None:
    """Cut the route's next batch if one is due: its seq after the route's last (vetoed seqs are never used
    again), `prev_root` the root of the last batch not vetoed, its messages marked `batched`, all in one
    transaction. The batch's id, or None. Of two relays cutting the same messages at once, one raises
    CutConflict (or its insert hits the other's id or seq) and its transaction is rolled back."""
    columns = bridge_messages.c
    with engine.begin() as connection:
        rows = (
            connection.execute(
                select(bridge_messages)
                .where(
                    columns.src_chain_id == route.src_chain_id,
                    columns.src_bridge == route.src_bridge,
                    columns.dst_chain_id == route.dst_chain_id,
                    columns.dst_bridge == route.dst_bridge,
                    columns.status == "seen",
                )
                .order_by(columns.nonce)
                .limit(policy.max_messages)
            )
            .mappings()
            .all()
        )
        if not rows:
            return None
        oldest = min(int(row["seen_us"]) for row in rows)
        if len(rows) < policy.max_messages and now_us - oldest < policy.max_age_us:
            return None
        batch = Batch(route, [message_of(route, row) for row in rows])
        last = last_batch(connection, route)
        batch_id = int(connection.scalar(select(func.coalesce(func.max(bridge_batches.c.id), 0))) or 0) + 1
        connection.execute(
            insert(bridge_batches).values(
                id=batch_id,
                src_chain_id=route.src_chain_id,
                dst_chain_id=route.dst_chain_id,
                src_bridge=route.src_bridge,
                dst_bridge=route.dst_bridge,
                seq=1 if last is None else int(last["seq"]) + 1,
                root=to_hex(batch.root),
                prev_root=resume_root(connection, route),
                count=len(rows),
                status="cut",
                created_us=now_us,
                updated_us=now_us,
            )
        )
        keys = [(row["tx_hash"], row["log_index"]) for row in rows]
        for tx_hash, log_index in keys:
            taken = connection.execute(
                update(bridge_messages)
                .where(
                    columns.src_chain_id == route.src_chain_id,
                    columns.tx_hash == tx_hash,
                    columns.log_index == log_index,
                    columns.status == "seen",
                )
                .values(status="batched", batch_id=batch_id, updated_us=now_us)
            )
            if taken.rowcount != 1:
                raise CutConflict(f"message {tx_hash}:{log_index} was cut by another relay meanwhile")
        return batch_id


def last_batch(connection: Connection, route: Route) -> RowMapping | None:
    """The route's batch with the highest seq, vetoed or not."""
    columns = bridge_batches.c
    return (
        connection.execute(
            select(bridge_batches)
            .where(columns.dst_chain_id == route.dst_chain_id, columns.dst_bridge == route.dst_bridge)
            .order_by(columns.seq.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )


def resume_root(connection: Connection, route: Route, before_seq: int | None = None) -> str:
    """The root the route's next batch chains to: the last batch (before `before_seq`, when given) that the
    guardian did not veto; zero when there is none."""
    columns = bridge_batches.c
    query = select(columns.root).where(
        columns.dst_chain_id == route.dst_chain_id,
        columns.dst_bridge == route.dst_bridge,
        columns.status != "vetoed",
    )
    if before_seq is not None:
        query = query.where(columns.seq < before_seq)
    root = connection.scalar(query.order_by(columns.seq.desc()).limit(1))
    return to_hex(ZERO_ROOT) if root is None else str(root)


def open_batches(engine: Engine, route: Route) -> list[RowMapping]:
    """The route's batches not yet delivered (nor vetoed), oldest first."""
    columns = bridge_batches.c
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(bridge_batches)
                .where(
                    columns.dst_chain_id == route.dst_chain_id,
                    columns.dst_bridge == route.dst_bridge,
                    columns.status.not_in(("delivered", "vetoed")),
                )
                .order_by(columns.seq)
            )
            .mappings()
            .all()
        )


def load_batch(engine: Engine, batch_id: int) -> RowMapping | None:
    with engine.connect() as connection:
        return (
            connection.execute(select(bridge_batches).where(bridge_batches.c.id == batch_id))
            .mappings()
            .first()
        )


def batch_messages(engine: Engine, batch_id: int) -> list[RowMapping]:
    """A batch's message rows, by nonce."""
    columns = bridge_messages.c
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(bridge_messages).where(columns.batch_id == batch_id).order_by(columns.nonce)
            )
            .mappings()
            .all()
        )


def set_batch(engine: Engine, batch_id: int, now_us: int, message_status: str | None, **values: Any) -> None:
    """Move a batch on (`values`), and with it its messages still behind to `message_status`, atomically."""
    with engine.begin() as connection:
        connection.execute(
            update(bridge_batches).where(bridge_batches.c.id == batch_id).values(updated_us=now_us, **values)
        )
        if message_status is not None:
            columns = bridge_messages.c
            connection.execute(
                update(bridge_messages)
                .where(columns.batch_id == batch_id, columns.status.in_(("batched", "attested")))
                .values(status=message_status, updated_us=now_us)
            )


Outcome = tuple[RowMapping, str, str | None]
"""A message's row, its delivery status and the tx hash that delivered it (None: an earlier round's)."""


def set_message(engine: Engine, row: RowMapping, status: str, now_us: int, claim_tx_hash: str | None) -> None:
    """Record a message's delivery outcome under its local key."""
    set_messages(engine, [(row, status, claim_tx_hash)], now_us)


def set_messages(engine: Engine, outcomes: Sequence[Outcome], now_us: int) -> None:
    """Record several messages' delivery outcomes under their local keys, in one transaction."""
    columns = bridge_messages.c
    with engine.begin() as connection:
        for row, status, claim_tx_hash in outcomes:
            connection.execute(
                update(bridge_messages)
                .where(
                    columns.src_chain_id == row["src_chain_id"],
                    columns.tx_hash == row["tx_hash"],
                    columns.log_index == row["log_index"],
                )
                .values(status=status, claim_tx_hash=claim_tx_hash, updated_us=now_us)
            )


def queued_messages(engine: Engine, route: Route) -> list[RowMapping]:
    """The route's messages the destination queued over its rate limit, by nonce."""
    columns = bridge_messages.c
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(bridge_messages)
                .where(
                    columns.src_chain_id == route.src_chain_id,
                    columns.src_bridge == route.src_bridge,
                    columns.status == "queued",
                )
                .order_by(columns.nonce)
            )
            .mappings()
            .all()
        )
