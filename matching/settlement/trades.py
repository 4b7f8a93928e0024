"""Recording settled trades, in the transaction that posts them to the ledger, exactly once.

A market calls `record_trades` on the connection whose transaction writes the trades' ledger transfers, so a
trade is in `settlement_trades` exactly when its money moved. A market replaying its journal after a crash
posts the same transfers (the ledger answers `exists`) and records the same trades: the ones already there
are skipped by id, so a replay adds nothing twice. Every market kind (spot, perpetual, option) records its
trades here in the one format (`matching.settlement.leaf.SettledTrade`); the batcher reads only this table.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import Connection, insert, select

from matching.settlement.leaf import SettledTrade
from matching.settlement.schema import settlement_trades


def _micros() -> int:
    return time.time_ns() // 1_000


def record_trades(
    connection: Connection, trades: Sequence[SettledTrade], recorded_us: int | None = None
) -> int:
    """Insert the trades not recorded yet (in the caller's transaction); how many were new."""
    if not trades:
        return 0
    ids = [trade.id for trade in trades]
    known = set(connection.scalars(select(settlement_trades.c.id).where(settlement_trades.c.id.in_(ids))))
    now = _micros() if recorded_us is None else recorded_us
    rows = [
        {
            "id": trade.id,
            "venue": int(trade.venue),
            "market": trade.market,
            "seq": trade.seq,
            "trade_index": trade.index,
            "buyer": trade.buyer,
            "seller": trade.seller,
            "price": trade.price,
            "qty": trade.qty,
            "buyer_fee": trade.buyer_fee,
            "seller_fee": trade.seller_fee,
            "recorded_us": now,
        }
        for trade in trades
        if trade.id not in known
    ]
    if rows:
        connection.execute(insert(settlement_trades), rows)
    return len(rows)
