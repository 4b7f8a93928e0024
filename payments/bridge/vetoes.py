"""Undoing batches in the relay's records: the guardian's veto, batches dropped before they were attested,
and messages a reorg deeper than the confirmation depth orphaned. Each function runs in the caller's
transaction (the watcher's, with its cursor moved; the deliverer's, under the batch's lease).

A veto (`BatchVetoed(first_seq, last_seq)` on the destination bridge) ends batches first..last: they are
recorded `vetoed` and their messages go back to `seen`, to be cut into new batches with new seqs that chain
to the last batch before `first_seq` (`store.resume_root`); the bridge never pays a vetoed batch and refuses
a second claim of a nonce, so a message cut again is still paid once. A batch the relay cut after the vetoed
ones and chained through them can never be attested (its prevRoot is a vetoed root and its seq is the one the
chain resumes at): it is dropped, its messages cut again too.

An orphaned message (its event gone from the source chain) is never cut again nor claimed. While its batch
is only cut, the relay drops the batch; once the batch is attested only the guardian can stop it, by vetoing
it inside its challenge window, which the watcher asks for in the log. Its row keeps the vetoed batch so the
API still shows where it was.
"""

from collections.abc import Sequence

from sqlalchemy import ColumnElement, Connection, RowMapping, delete, select, update

from chain.bridge.message import Route
from payments.bridge.schema import bridge_batches, bridge_messages
from payments.bridge.store import MessageKey, resume_root

UNDELIVERED = ("batched", "attested", "claimable")
"""A batched message's statuses before the destination paid or queued it."""


def _route_batches(route: Route) -> list[ColumnElement[bool]]:
    columns = bridge_batches.c
    return [columns.dst_chain_id == route.dst_chain_id, columns.dst_bridge == route.dst_bridge]


def apply_veto(connection: Connection, route: Route, first_seq: int, last_seq: int, now_us: int) -> int:
    """Record the veto of batches `first_seq`..`last_seq` of `route`: those batches `vetoed`, their messages
    not orphaned back to `seen` (with no batch), and the unattested batches chained through them dropped.
    Applying a veto twice changes nothing the second time. The number of messages to cut again."""
    columns = bridge_batches.c
    vetoed = list(
        connection.scalars(
            select(columns.id).where(
                *_route_batches(route),
                columns.seq.between(first_seq, last_seq),
                columns.status != "vetoed",
            )
        )
    )
    connection.execute(
        update(bridge_batches).where(columns.id.in_(vetoed)).values(status="vetoed", updated_us=now_us)
    )
    messages = bridge_messages.c
    returned = connection.execute(
        update(bridge_messages)
        .where(messages.batch_id.in_(vetoed), messages.status.in_(UNDELIVERED))
        .values(status="seen", batch_id=None, updated_us=now_us)
    ).rowcount
    after = (
        connection.execute(select(bridge_batches).where(*_route_batches(route), columns.seq == last_seq + 1))
        .mappings()
        .first()
    )
    if after is not None and after["prev_root"] != resume_root(connection, route, first_seq):
        returned += drop_batches_from(connection, route, last_seq + 1, now_us)
    return int(returned)


def drop_batches_from(connection: Connection, route: Route, seq: int, now_us: int) -> int:
    """Drop `route`'s batches from `seq` on, none of them attested: their messages back to `seen` (orphaned
    ones stay orphaned, with no batch), the batch rows deleted so the seqs are the next batches' again. The
    number of messages to cut again."""
    columns = bridge_batches.c
    dropped = list(
        connection.execute(
            select(columns.id, columns.status).where(*_route_batches(route), columns.seq >= seq)
        )
    )
    attested = [batch_id for batch_id, status in dropped if status != "cut"]
    if attested:
        raise ValueError(f"batches {attested} are attested: only a veto ends them")
    ids = [batch_id for batch_id, _ in dropped]
    messages = bridge_messages.c
    connection.execute(
        update(bridge_messages)
        .where(messages.batch_id.in_(ids), messages.status == "orphaned")
        .values(batch_id=None, updated_us=now_us)
    )
    returned = connection.execute(
        update(bridge_messages)
        .where(messages.batch_id.in_(ids))
        .values(status="seen", batch_id=None, updated_us=now_us)
    ).rowcount
    connection.execute(delete(bridge_batches).where(columns.id.in_(ids)))
    return int(returned)


def batched_after(connection: Connection, route: Route, block_number: int) -> list[RowMapping]:
    """`route`'s messages read from blocks after `block_number` that a batch holds (neither seen nor
    orphaned already), by nonce: what a reorg of those blocks may have taken away."""
    messages = bridge_messages.c
    return list(
        connection.execute(
            select(bridge_messages)
            .where(
                messages.src_chain_id == route.src_chain_id,
                messages.src_bridge == route.src_bridge,
                messages.block_number > block_number,
                messages.status.not_in(("seen", "orphaned")),
            )
            .order_by(messages.nonce)
        )
        .mappings()
        .all()
    )


def _where(key: MessageKey) -> list[ColumnElement[bool]]:
    messages = bridge_messages.c
    chain_id, tx_hash, log_index = key
    return [messages.src_chain_id == chain_id, messages.tx_hash == tx_hash, messages.log_index == log_index]


def move_message(connection: Connection, key: MessageKey, block: tuple[int, str], now_us: int) -> None:
    """The message at `key` survived a reorg in another block (number, hash): record where it is now."""
    connection.execute(
        update(bridge_messages)
        .where(*_where(key))
        .values(block_number=block[0], block_hash=block[1], updated_us=now_us)
    )


def orphan_messages(connection: Connection, keys: Sequence[MessageKey], now_us: int) -> None:
    """The messages at `keys` are gone from their source chain: `orphaned`, their batch kept."""
    for key in keys:
        connection.execute(
            update(bridge_messages).where(*_where(key)).values(status="orphaned", updated_us=now_us)
        )


def batch_seqs(connection: Connection, batch_ids: Sequence[int]) -> list[tuple[int, str]]:
    """(seq, status) of the batches `batch_ids`, by seq."""
    columns = bridge_batches.c
    rows = connection.execute(
        select(columns.seq, columns.status).where(columns.id.in_(batch_ids)).order_by(columns.seq)
    )
    return [(int(seq), str(status)) for seq, status in rows]
