"""A perpetual's trades as settlement records them (`matching.settlement.leaf`, venue `PERPETUAL`), with
the fee each side was actually charged.

A side's fee is the one `matching.perpetuals.market.Perpetual._fill` charged: the taker or maker rate on
the fill's notional, or, for the fill of a liquidation order (a price round's IOC order, always the
taker), the liquidation fee that fill paid the insurance fund, which `_fill` caps at the account's
equity and names in its `LiquidationFilled` record. The records of a step come in the order of its fills
(taker then maker, trade by trade), so the n-th fill of a liquidation order is the n-th
`LiquidationFilled`: `liquidation_fees` pairs them, and a count that does not match is a bug (raised).

A trade's seq is the book journal's seq of the command that printed it: the order's own for an ordinary
command, the liquidation order's (journaled by the price round) for a liquidation's fill; so every trade
of the market has one id, `perp:<market>:<book seq>:<index>`, live and in the replay alike.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence, Set

from matching.engine import Event, Side, Trade
from matching.perpetuals.margin import fee
from matching.perpetuals.records import LiquidationFilled, Record
from matching.perpetuals.spec import PerpSpec
from matching.settlement.leaf import SettledTrade, Venue
from matching.spot.settlement import trades_as_settled

Printed = tuple[int, Sequence[Event]]
"""A book command's seq and its events."""


def liquidation_fees(records: Sequence[Record]) -> Iterator[int]:
    """The fees of a step's liquidation fills, in the order they were charged."""
    return (record.fee for record in records if isinstance(record, LiquidationFilled))


def perp_trades(
    spec: PerpSpec,
    market: str,
    printed: Sequence[Printed],
    liquidation_orders: Set[int] = frozenset(),
    records: Sequence[Record] = (),
) -> list[SettledTrade]:
    """The settled trades of book commands `printed`; a side whose order is in `liquidation_orders` paid
    the next liquidation fee among the step's `records`, the others the book's rates."""
    charged = liquidation_fees(records)

    def side_fee(order_id: int, lots: int, price: int, bps: int) -> int:
        if order_id in liquidation_orders:
            paid = next(charged, None)
            if paid is None:
                raise AssertionError(f"{market}: liquidation order {order_id} filled without a fee record")
            return paid
        return fee(lots, price, bps, spec)

    def fees(trade: Trade) -> tuple[int, int]:
        taker = side_fee(trade.taker_id, trade.qty, trade.price, spec.taker_fee_bps)
        maker = side_fee(trade.maker_id, trade.qty, trade.price, spec.maker_fee_bps)
        return (taker, maker) if trade.taker_side == Side.BUY else (maker, taker)

    settled: list[SettledTrade] = []
    for seq, events in printed:
        settled += trades_as_settled(Venue.PERPETUAL, market, seq, events, fees)
    if next(charged, None) is not None:
        raise AssertionError(f"{market}: a liquidation fee record has no fill")
    return settled
