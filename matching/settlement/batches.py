"""Settlement batches: cut from the settled trades by size or age, then carried to `anchored` step by step.

Every step is one committed transaction, so a process killed anywhere (kill -9) leaves a state the next
round resumes from, with no trade lost and none in two batches:

- **cut** (`cut_batch`): the oldest unbatched trades, up to `max_trades`, once there are `max_trades` of
  them or the oldest has waited `max_age_us`. The batch row (root, count) and every member's batch id,
  position and leaf are written together. Only one batch is unfinished at a time, since each anchor names
  the previous one's root (`prevRoot`): a batch is cut only when every earlier one is anchored. Batch ids
  are the last id + 1, so two cutters racing commit one batch and the other's insert fails (`None`).
- **signing** (`choose_anchor`): the anchor seq and prevRoot the contract's head asked for, committed before
  the custody group is asked to sign, so a resumed round asks again for the same intent under the same
  idempotency key (the same sign request, the same signature) instead of a second one.
- **submitted** (`record_submitted`): the transaction hash, as soon as it is sent.
- **anchored** (`record_anchored`): the contract's `Anchored` event for this seq carries this root.
- **voided** (`record_voided`): the treasury owners voided the anchor within its challenge window (and with
  it every later one). The batch keeps its root and count for the record; its trades are let go in the same
  transaction (no batch, position or leaf), so the next cuts take them again, oldest first, and anchor them
  under new seqs: a voided anchor loses no trade, and none is in two live batches.

The contract refuses a second anchor at a seq, so resubmitting is idempotent on-chain; the relay's worker
(`relay.settlement`) checks the chain for the batch's seq before it signs or sends anything.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Row, and_, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from chain.merkle import MerkleTree
from ledger.store import begin_writing
from matching.settlement.leaf import SettledTrade, Venue, trade_leaf
from matching.settlement.schema import UNFINISHED, settlement_batches, settlement_trades

SETTLEMENT_KIND = 1
"""`chain.anchor.AnchorKind.SETTLEMENT`: trade batches' chain of anchors in the contract."""


def micros() -> int:
    return time.time_ns() // 1_000


@dataclass(frozen=True)
class BatchPolicy:
    """When a batch is cut: `max_trades` waiting, or the oldest waiting `max_age_us` microseconds."""

    max_trades: int = 1_000
    max_age_us: int = 60_000_000

    def __post_init__(self) -> None:
        if not 0 < self.max_trades <= 16_384:  # a sign request carries at most 16,384 leaves
            raise ValueError("max_trades must be in [1, 16384]")
        if self.max_age_us < 0:
            raise ValueError("max_age_us must not be negative")


@dataclass(frozen=True)
class Batch:
    """A batch as stored: what it claims (root, count) and how far it is on its way on-chain."""

    id: int
    kind: int
    chain_id: int
    contract: str
    status: str
    root: bytes
    count: int
    anchor_seq: int | None
    prev_root: bytes | None
    tx_hash: str | None
    block_number: int | None
    created_us: int
    anchored_us: int | None


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _bytes(value: str | None) -> bytes | None:
    return None if value is None else bytes.fromhex(value[2:])


def _batch(row: Row[Any]) -> Batch:
    values = row._mapping
    root = _bytes(values["root"])
    assert root is not None
    return Batch(
        id=values["id"],
        kind=values["kind"],
        chain_id=values["chain_id"],
        contract=values["contract"],
        status=values["status"],
        root=root,
        count=values["count"],
        anchor_seq=values["anchor_seq"],
        prev_root=_bytes(values["prev_root"]),
        tx_hash=values["tx_hash"],
        block_number=values["block_number"],
        created_us=values["created_us"],
        anchored_us=values["anchored_us"],
    )


def settled_trade(row: Row[Any]) -> SettledTrade:
    """A `settlement_trades` row as the trade it records."""
    values = row._mapping
    return SettledTrade(
        Venue(values["venue"]),
        values["market"],
        values["seq"],
        values["trade_index"],
        values["buyer"],
        values["seller"],
        values["price"],
        values["qty"],
        values["buyer_fee"],
        values["seller_fee"],
    )


def cut_batch(
    engine: Engine, policy: BatchPolicy, chain_id: int, contract: str, now_us: int | None = None
) -> Batch | None:
    """Cut the next batch if one is due and none is unfinished; None otherwise (or if a racer cut it)."""
    now = micros() if now_us is None else now_us
    table = settlement_trades.c
    try:
        with engine.begin() as connection:
            begin_writing(connection)
            if connection.scalar(
                select(settlement_batches.c.id).where(settlement_batches.c.status.in_(UNFINISHED)).limit(1)
            ):
                return None
            rows = connection.execute(
                select(settlement_trades)
                .where(table.batch_id.is_(None))
                .order_by(table.recorded_us, table.id)
                .limit(policy.max_trades)
            ).all()
            if not rows or (
                len(rows) < policy.max_trades and now - rows[0]._mapping["recorded_us"] < policy.max_age_us
            ):
                return None
            leaves = [trade_leaf(settled_trade(row), chain_id, contract) for row in rows]
            tree = MerkleTree(leaves)
            batch_id = (connection.scalar(select(func.max(settlement_batches.c.id))) or 0) + 1
            connection.execute(
                insert(settlement_batches).values(
                    id=batch_id,
                    kind=SETTLEMENT_KIND,
                    chain_id=chain_id,
                    contract=contract,
                    status="cut",
                    root=_hex(tree.root),
                    count=len(tree),
                    created_us=now,
                )
            )
            connection.execute(
                update(settlement_trades)
                .where(and_(table.id == bindparam("trade_id"), table.batch_id.is_(None)))
                .values(batch_id=batch_id, position=bindparam("at"), leaf=bindparam("leaf_hex")),
                [
                    {"trade_id": row._mapping["id"], "at": position, "leaf_hex": _hex(leaf)}
                    for position, (row, leaf) in enumerate(zip(rows, leaves, strict=True))
                ],
            )
            taken = connection.scalar(select(func.count()).where(table.batch_id == batch_id))
            if taken != len(rows):  # a trade taken meanwhile: undo the whole cut
                raise IntegrityError("cut_batch", None, ValueError(f"{taken} of {len(rows)} trades"))
            return load_batch(engine, batch_id, connection=connection)
    except IntegrityError:
        return None


def load_batch(engine: Engine, batch_id: int, *, connection: Any = None) -> Batch | None:
    query = select(settlement_batches).where(settlement_batches.c.id == batch_id)
    if connection is not None:
        row = connection.execute(query).first()
    else:
        with engine.connect() as reader:
            row = reader.execute(query).first()
    return None if row is None else _batch(row)


def unfinished(engine: Engine) -> Batch | None:
    """The batch not yet anchored (at most one), if any."""
    with engine.connect() as connection:
        row = connection.execute(
            select(settlement_batches)
            .where(settlement_batches.c.status.in_(UNFINISHED))
            .order_by(settlement_batches.c.id)
            .limit(1)
        ).first()
    return None if row is None else _batch(row)


def batch_trades(engine: Engine, batch_id: int) -> list[Row[Any]]:
    """The batch's trade rows in position order (the order its tree was built from)."""
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(settlement_trades)
                .where(settlement_trades.c.batch_id == batch_id)
                .order_by(settlement_trades.c.position)
            ).all()
        )


def batch_tree(engine: Engine, batch: Batch) -> MerkleTree:
    """The batch's tree rebuilt from its stored leaves; refused if it is not the root the batch claims."""
    rows = batch_trades(engine, batch.id)
    tree = MerkleTree(bytes.fromhex(row._mapping["leaf"][2:]) for row in rows)
    if tree.root != batch.root or len(tree) != batch.count:
        raise RuntimeError(f"batch {batch.id}: its stored leaves do not make its root")
    return tree


def _move(engine: Engine, batch_id: int, allowed: tuple[str, ...], **values: Any) -> None:
    with engine.begin() as connection:
        begin_writing(connection)
        moved = connection.execute(
            update(settlement_batches)
            .where(settlement_batches.c.id == batch_id, settlement_batches.c.status.in_(allowed))
            .values(**values)
        )
        if moved.rowcount != 1:
            raise RuntimeError(f"batch {batch_id} is not in {allowed}")


def choose_anchor(engine: Engine, batch_id: int, anchor_seq: int, prev_root: bytes) -> None:
    """Commit the seq and prevRoot the batch is anchored with, before it is signed."""
    _move(
        engine,
        batch_id,
        ("cut", "signing", "submitted"),
        status="signing",
        anchor_seq=anchor_seq,
        prev_root=_hex(prev_root),
        tx_hash=None,
    )


def record_submitted(engine: Engine, batch_id: int, tx_hash: str) -> None:
    _move(engine, batch_id, ("signing", "submitted"), status="submitted", tx_hash=tx_hash)


def record_anchored(
    engine: Engine, batch_id: int, tx_hash: str, block_number: int, now_us: int | None = None
) -> None:
    _move(
        engine,
        batch_id,
        ("signing", "submitted"),
        status="anchored",
        tx_hash=tx_hash,
        block_number=block_number,
        anchored_us=micros() if now_us is None else now_us,
    )


def list_batches(engine: Engine, after: int | None, limit: int) -> list[Batch]:
    """Batches newest first, below id `after` when given."""
    query = select(settlement_batches).order_by(settlement_batches.c.id.desc()).limit(limit)
    if after is not None:
        query = query.where(settlement_batches.c.id < after)
    with engine.connect() as connection:
        return [_batch(row) for row in connection.execute(query)]


@dataclass(frozen=True)
class TradeProof:
    """A batched trade with what `SettlementAnchor.verify(kind, seq, leaf, proof)` takes."""

    trade: SettledTrade
    batch: Batch
    leaf: bytes
    proof: list[bytes]


def trade_row(engine: Engine, trade_id: str) -> Row[Any] | None:
    with engine.connect() as connection:
        return connection.execute(select(settlement_trades).where(settlement_trades.c.id == trade_id)).first()


def trade_proof(engine: Engine, row: Row[Any]) -> TradeProof | None:
    """The proof of a recorded trade; None while it is in no batch."""
    values = row._mapping
    if values["batch_id"] is None:
        return None
    batch = load_batch(engine, values["batch_id"])
    assert batch is not None
    tree = batch_tree(engine, batch)
    return TradeProof(
        settled_trade(row), batch, tree.leaves[values["position"]], tree.proof(values["position"])
    )


def record_voided(
    connection: Connection, chain_id: int, contract: str, kind: int, first_seq: int, last_seq: int
) -> list[int]:
    """Mark the batches anchored as seqs `first_seq`..`last_seq` of `kind` on (`chain_id`, `contract`)
    voided and let their trades go, in the caller's transaction (the one that moves the anchorer's read
    position past the `Voided` event); the ids voided (none when already done)."""
    batches = settlement_batches.c
    begin_writing(connection)
    ids = list(
        connection.scalars(
            select(batches.id).where(
                batches.chain_id == chain_id,
                batches.contract == contract,
                batches.kind == kind,
                batches.status == "anchored",
                batches.anchor_seq.between(first_seq, last_seq),
            )
        )
    )
    if ids:
        connection.execute(update(settlement_batches).where(batches.id.in_(ids)).values(status="voided"))
        connection.execute(
            update(settlement_trades)
            .where(settlement_trades.c.batch_id.in_(ids))
            .values(batch_id=None, position=None, leaf=None)
        )
    return ids
