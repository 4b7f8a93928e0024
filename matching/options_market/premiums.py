"""What an option book's commands move in the ledger: premiums, from the buyer's hold to the seller.

The spot settlement's life of an order (`matching.spot.settlement`) with two differences:

- a **buy** holds its premium at its limit plus the highest fee (as a spot buy holds its notional); a
  **sell** holds nothing in escrow: the writer has no contract to deliver, and what it risks is covered by
  margin, held before the order is journaled (`matching.options_market.venue`);
- a **trade** is one linked chain out of the series' escrow: the premium less the seller's fee to the
  seller's tUSD account, both fees to the series' fees account. No base leg: the contract itself is the
  engine's position (lots bought minus sold per account), which expiry settlement reads.

References are spot's (`spot:<series>:<journal seq>:<n>`), derived from the journal, so a replay after a
crash posts each transfer exactly once.
"""

from __future__ import annotations

from ledger.model import TransferSpec
from matching.engine import Side, Trade
from matching.spot.accounts import escrow_account, fees_account, trader_account
from matching.spot.settlement import OpenOrder, Settlement


class PremiumSettlement(Settlement):
    """One series' open orders' premium holds, and the premium transfers of each journaled command."""

    def need(self, side: Side, lots: int, price: int) -> int:
        if lots <= 0 or side is not Side.BUY:
            return 0
        return self.market.reserve_quote(lots, price)

    def _trade(self, seq: int, first: int, trade: Trade, touched: dict[int, OpenOrder]) -> list[TransferSpec]:
        market, quote = self.market, self.market.quote
        taker, maker = self._touch(trade.taker_id, touched), self._touch(trade.maker_id, touched)
        taker_buys = trade.taker_side == Side.BUY
        buyer, seller = (taker, maker) if taker_buys else (maker, taker)
        buyer_bps, seller_bps = (
            (market.taker_fee_bps, market.maker_fee_bps)
            if taker_buys
            else (market.maker_fee_bps, market.taker_fee_bps)
        )
        premium = market.notional(trade.qty, trade.price)
        buyer_fee, seller_fee = market.fee(premium, buyer_bps), market.fee(premium, seller_bps)
        escrow = escrow_account(market, quote)
        legs = [(trader_account(seller.trader, quote), premium - seller_fee)]
        if buyer_fee + seller_fee:
            legs.append((fees_account(market, quote), buyer_fee + seller_fee))
        buyer.held -= premium + buyer_fee
        buyer.leaves -= trade.qty
        seller.leaves -= trade.qty
        return [
            self._spec(seq, first + i, quote, escrow, credit, amount, linked=i < len(legs) - 1)
            for i, (credit, amount) in enumerate(legs)
        ]
