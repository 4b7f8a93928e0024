"""Reads of `/v1/settlement`: batches (newest first) and a trade's inclusion proof.

A trade's proof is its caller's only: the merchant's trader in the key's mode (`api.orders.runtime.trader_of`)
must be the trade's buyer or seller, else the answer is the 404 an unknown id gets. The proof is rebuilt
from the batch's stored leaves, which must still make the batch's root (`matching.settlement.batches`).
"""

from datetime import UTC, datetime
from typing import Final

from sqlalchemy import Engine

from api.orders.runtime import trader_of
from api.pagination import Listing, key_part
from api.settlement.errors import TradeNotBatched, TradeNotFound
from api.settlement.schemas import Batches, BatchOut, SettledTradeOut, TradeProofOut
from matching.settlement.batches import Batch, list_batches, trade_proof, trade_row
from matching.settlement.leaf import SettledTrade
from payments.merchants.tenant import Tenant

BATCHES: Final = Listing("settlement-batches", (int,))


def _moment(micros: int | None) -> datetime | None:
    return None if micros is None else datetime.fromtimestamp(micros / 1_000_000, UTC)


def _hex(value: bytes | None) -> str | None:
    return None if value is None else "0x" + value.hex()


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)


def batch_view(batch: Batch) -> BatchOut:
    created = _moment(batch.created_us)
    assert created is not None
    return BatchOut(
        id=str(batch.id),
        status=batch.status,  # type: ignore[arg-type]  # the table's check constraint holds it to the four
        kind=batch.kind,
        chain_id=str(batch.chain_id),
        contract=batch.contract,
        root="0x" + batch.root.hex(),
        count=batch.count,
        anchor_seq=_text(batch.anchor_seq),
        prev_root=_hex(batch.prev_root),
        tx_hash=batch.tx_hash,
        block_number=_text(batch.block_number),
        created_at=created,
        anchored_at=_moment(batch.anchored_us),
    )


def batches(engine: Engine, cursor: str | None, limit: int) -> Batches:
    after = BATCHES.decode(cursor)
    rows = list_batches(engine, None if after is None else key_part(after, 0, int), limit + 1)
    page = BATCHES.page(
        [batch_view(row) for row in rows], limit, lambda batch: (int(batch.id),), cursor=cursor
    )
    return Batches(**dict(page))


def _trade_view(trade: SettledTrade) -> SettledTradeOut:
    return SettledTradeOut(
        id=trade.id,
        venue=trade.venue.label,  # type: ignore[arg-type]  # the labels are the literal's three
        market=trade.market,
        seq=str(trade.seq),
        index=trade.index,
        buyer=str(trade.buyer),
        seller=str(trade.seller),
        price=str(trade.price),
        qty=str(trade.qty),
        buyer_fee=str(trade.buyer_fee),
        seller_fee=str(trade.seller_fee),
    )


def proof(engine: Engine, tenant: Tenant, trade_id: str) -> TradeProofOut:
    row = trade_row(engine, trade_id)
    trader = trader_of(tenant)
    if row is None or trader not in (row._mapping["buyer"], row._mapping["seller"]):
        raise TradeNotFound(f"no settled trade {trade_id} of the caller's")
    found = trade_proof(engine, row)
    if found is None:
        raise TradeNotBatched(f"trade {trade_id} is settled and waits for its batch")
    return TradeProofOut(
        trade=_trade_view(found.trade),
        batch=batch_view(found.batch),
        kind=found.batch.kind,
        seq=_text(found.batch.anchor_seq),
        leaf="0x" + found.leaf.hex(),
        proof=["0x" + node.hex() for node in found.proof],
        root="0x" + found.batch.root.hex(),
    )
