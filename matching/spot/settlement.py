"""What a spot market's commands do to the ledger: a pure function of the journal, so a replay repeats it.

Funds follow an order's life:

- **Hold.** Before a `Place` is journaled, the market moves the order's reservation from the trader's
  account to the market's escrow (`hold_spec`, reference `spot:<market>:hold:<order id>`): a buy holds its
  notional at its limit plus the highest fee it could pay, a sell its base quantity. The ledger refuses an
  unfunded hold, and the order is then never journaled.
- **Trade.** Each trade is one linked chain out of escrow, all or none: base to the buyer, the notional less
  the seller's fee to the seller, both fees to the market's fees account.
- **Release.** After every command, each order it touched keeps exactly `need` in escrow (what its open
  lots at its limit could still cost); anything above goes back to its trader: the saving of a buy filled
  below its limit, the lots canceled, expired, decremented, or refused.

Every transfer's reference is `spot:<market>:<journal seq>:<n>`, the n-th transfer the command at that
sequence number caused. The engine is deterministic, so replaying the journal names the same transfers
with the same amounts, and the ledger answers `exists` for those already posted: posting is exactly-once
however often a crash makes us repeat it (`matching.spot.poster`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ledger.model import TransferFlags, TransferSpec
from matching.engine import (
    Accepted,
    Amended,
    Canceled,
    Command,
    Decremented,
    Event,
    Place,
    Rejected,
    Side,
    Trade,
)
from matching.markets import MarketSpec
from matching.settlement.leaf import SettledTrade, Venue
from matching.spot.accounts import escrow_account, fees_account, trader_account


@dataclass(slots=True)
class OpenOrder:
    """What settlement knows of an open order: enough to price its reservation."""

    trader: int
    side: Side
    price: int
    leaves: int
    held: int


def need(market: MarketSpec, side: Side, lots: int, price: int) -> int:
    """What `lots` open lots at limit `price` keep in escrow (quote for a buy, base for a sell)."""
    if lots <= 0:
        return 0
    return market.reserve_quote(lots, price) if side is Side.BUY else market.base_amount(lots)


def hold_currency(market: MarketSpec, side: Side) -> str:
    return market.quote if side is Side.BUY else market.base


def hold_reference(market: MarketSpec, order_id: int) -> str:
    return f"spot:{market.id}:hold:{order_id}"


def hold_spec(market: MarketSpec, place: Place) -> TransferSpec:
    """The reservation a new order makes before it is journaled."""
    currency = hold_currency(market, place.side)
    return TransferSpec(
        reference=hold_reference(market, place.order_id),
        debit_account_id=trader_account(place.account, currency),
        credit_account_id=escrow_account(market, currency),
        amount=need(market, place.side, place.qty, place.price),
        currency=currency,
    )


def trade_fees(market: MarketSpec, trade: Trade) -> tuple[int, int]:
    """(buyer's fee, seller's fee) of `trade` in quote units: the taker pays the taker rate."""
    notional = market.notional(trade.qty, trade.price)
    if trade.taker_side == Side.BUY:
        return market.fee(notional, market.taker_fee_bps), market.fee(notional, market.maker_fee_bps)
    return market.fee(notional, market.maker_fee_bps), market.fee(notional, market.taker_fee_bps)


def settled_trades(
    market: MarketSpec, seq: int, events: Sequence[Event], venue: Venue = Venue.SPOT
) -> list[SettledTrade]:
    """The trades command `seq` printed, as settlement records them (`matching.settlement.leaf`), in the
    leaf's `venue` (an option series' book is a spot book settling premiums: `Venue.OPTION`)."""
    return trades_as_settled(venue, market.id, seq, events, lambda trade: trade_fees(market, trade))


def trades_as_settled(
    venue: Venue, market_id: str, seq: int, events: Sequence[Event], fees: Callable[[Trade], tuple[int, int]]
) -> list[SettledTrade]:
    """The `Trade`s among command `seq`'s events as settled trades, `fees` naming each one's (buyer's fee,
    seller's fee): every market kind prints the engine's trades, each charges its own fees."""
    settled: list[SettledTrade] = []
    for event in events:
        if isinstance(event, Trade):
            buyer, seller = (
                (event.taker_account, event.maker_account)
                if event.taker_side == Side.BUY
                else (event.maker_account, event.taker_account)
            )
            buyer_fee, seller_fee = fees(event)
            settled.append(
                SettledTrade(
                    venue,
                    market_id,
                    seq,
                    len(settled),
                    buyer,
                    seller,
                    event.price,
                    event.qty,
                    buyer_fee,
                    seller_fee,
                )
            )
    return settled


class Settlement:
    """The open orders' reservations, and the transfers each journaled command makes (one per market)."""

    def __init__(self, market: MarketSpec) -> None:
        self.market = market
        self.orders: dict[int, OpenOrder] = {}
        self.placed: set[int] = set()  # every order id ever journaled: a hold for any other is an orphan

    def need(self, side: Side, lots: int, price: int) -> int:
        """What `lots` open lots at `price` keep in escrow (a market whose trades move other amounts, e.g.
        an option's premium, overrides this and `_trade`)."""
        return need(self.market, side, lots, price)

    def apply(self, seq: int, cmd: Command, events: Sequence[Event]) -> list[TransferSpec]:
        """The transfers of command `seq` given its events, updating the open orders."""
        touched: dict[int, OpenOrder] = {}
        if isinstance(cmd, Place):
            self.placed.add(cmd.order_id)
            held = self.need(cmd.side, cmd.qty, cmd.price)
            order = OpenOrder(cmd.account, cmd.side, cmd.price, cmd.qty, held)
            if any(isinstance(event, Rejected) for event in events):
                order.leaves = 0  # refused (maybe after the clock expired others): its whole hold goes back
            touched[cmd.order_id] = order
            self.orders[cmd.order_id] = order
        specs: list[TransferSpec] = []
        for event in events:
            if isinstance(event, Trade):
                specs.extend(self._trade(seq, len(specs), event, touched))
            elif isinstance(event, Canceled):
                self._touch(event.order_id, touched).leaves = 0
            elif isinstance(event, Amended):
                order = self._touch(event.order_id, touched)
                order.price, order.leaves = event.price, event.qty
            elif isinstance(event, Decremented):
                self._touch(event.taker_id, touched).leaves -= event.qty
                self._touch(event.maker_id, touched).leaves -= event.qty
            elif not isinstance(event, (Accepted, Rejected)):
                raise ValueError(f"a spot market does not expect {event!r}")
        for order_id, order in touched.items():
            keep = self.need(order.side, order.leaves, order.price)
            if order.held < keep:
                raise AssertionError(f"order {order_id} holds {order.held} < {keep}: its hold was short")
            if order.held > keep:
                currency = hold_currency(self.market, order.side)
                specs.append(
                    self._spec(
                        seq,
                        len(specs),
                        currency,
                        escrow_account(self.market, currency),
                        trader_account(order.trader, currency),
                        order.held - keep,
                    )
                )
                order.held = keep
            if order.leaves <= 0:
                del self.orders[order_id]
        return specs

    def _touch(self, order_id: int, touched: dict[int, OpenOrder]) -> OpenOrder:
        order = self.orders[order_id]
        touched[order_id] = order
        return order

    def _spec(
        self, seq: int, index: int, currency: str, debit: int, credit: int, amount: int, linked: bool = False
    ) -> TransferSpec:
        return TransferSpec(
            reference=f"spot:{self.market.id}:{seq}:{index}",
            debit_account_id=debit,
            credit_account_id=credit,
            amount=amount,
            currency=currency,
            flags=TransferFlags.LINKED if linked else TransferFlags.NONE,
        )

    def _trade(self, seq: int, first: int, trade: Trade, touched: dict[int, OpenOrder]) -> list[TransferSpec]:
        """The linked chain of one trade, and the buyer's and seller's reservations it spends."""
        market = self.market
        taker, maker = self._touch(trade.taker_id, touched), self._touch(trade.maker_id, touched)
        buyer, seller = (taker, maker) if trade.taker_side == Side.BUY else (maker, taker)
        notional = market.notional(trade.qty, trade.price)
        buyer_fee, seller_fee = trade_fees(market, trade)
        base = market.base_amount(trade.qty)
        legs = [
            (
                market.base,
                escrow_account(market, market.base),
                trader_account(buyer.trader, market.base),
                base,
            ),
            (
                market.quote,
                escrow_account(market, market.quote),
                trader_account(seller.trader, market.quote),
                notional - seller_fee,
            ),
        ]
        if buyer_fee + seller_fee:
            legs.append(
                (
                    market.quote,
                    escrow_account(market, market.quote),
                    fees_account(market, market.quote),
                    buyer_fee + seller_fee,
                )
            )
        buyer.held -= notional + buyer_fee
        seller.held -= base
        buyer.leaves -= trade.qty
        seller.leaves -= trade.qty
        return [
            self._spec(seq, first + i, currency, debit, credit, amount, linked=i < len(legs) - 1)
            for i, (currency, debit, credit, amount) in enumerate(legs)
        ]
