"""Off-market trade surveillance: value moved between two traders through the book, by trading off the market.

The journal checks (`risk.monitoring.monitor`) watch money leaving a trader's balance, but not a move into
a venue's own accounts (`VENUE_OWNERS`): an order's hold and a trade are such moves. So a stolen API key
could empty a balance *through the book*: sell far below the market into an accomplice's resting bid, again
and again (the pre-trade band is +-10 % of the last trade and walks with every trade), and nothing would
show until the accomplice withdrew. This module closes that gap as exchanges' trade surveillance does: every
settled trade is priced against a fair reference, and what its losing side gave away is summed per trader and
per counterparty pair over a window.

**The reference** is the market's volume-weighted average price over the `reference_seconds` before the
trade, *of the trades neither party took part in*; with no such trade in that time, the price of the last
such trade before it. Why this one:
- the last trade price, or any figure that counts the two parties' own prints, is what they control: a
  walk-down of sells between them drags it along, so each trade would look close to "the market" and the
  dump would never count. Leaving out every trade either side is in means the pair cannot move the reference
  by themselves, however many trades they print;
- volume weighting means a third account printing a few tiny trades at a silly price barely moves it (to
  move it, the third account must trade real volume, and that volume is then itself judged);
- a trailing window (minutes, not the day) follows an honest trend, so a market that moved is not taken
  for a dump; the fallback to the last third-party price keeps a quiet market judged (a pair alone in a
  market for a long time is judged against the price the market last agreed with someone else).

A trade counts only when its price is more than `min_deviation_bps` off the reference (ordinary spread
crossing and jitter give nothing away); it then gave `qty x |price - reference|` (in the quote currency's
minor units, floor: `qty * |price * volume - notional| * per_tick_lot // volume`, integers only) from the
side the price was against (a sale below the reference: the seller; a purchase above: the buyer) to the
other side. At or above `pair_min_amount` for the (loser, gainer) pair within `window_seconds`: an alert
on the loser naming the gainer, and one on the gainer naming the loser. At or above `trader_min_amount` for
the loser over all its counterparties (and no pair at its threshold): an alert on the loser alone, naming
the last gainer; a sweep that paid many makers a little each (a fat finger, or a dump spread over many
accomplices) singles out none of them, so none is frozen on it. Two alerts for a pair, not one with both
freezes, because a freeze belongs to its alert's subject: each side's money is then held, topped up when
more arrives (`alerts.top_up`) and released or confirmed by its own review. The victim's freeze stops the
stolen key from dumping more; the accomplice's stops the gain from leaving.

**Exactly once.** The trades come from `settlement_trades` through a `TradeFeed` (the matching side owns
that table: `matching.settlement.surveillance`); each one checked is written to `monitoring_trades` in the
round's transaction, with the alerts, freezes and audit records it led to. A crash before the commit checks
the same trades again; after it, never. A trade's `recorded_us` is read before its transaction waits for
locks, so a trade can commit after later-stamped ones: each round reads back `LOOKBACK_US` before the newest
trade checked, and skips those already in `monitoring_trades`, exactly as the journal checks do.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Protocol

from sqlalchemy import Connection, Select, and_, delete, func, insert, select

from ledger.model import OwnerKind
from risk.monitoring.alerts import CaseOpener, Subject, raise_alert
from risk.monitoring.checks import Check, Finding
from risk.monitoring.config import OffMarket
from risk.monitoring.schema import trades as checked

MICROS_PER_SECOND: Final = 1_000_000
LOOKBACK_US: Final = 300 * MICROS_PER_SECOND
ROUND_LIMIT: Final = 1_000
TRADER_KIND: Final = OwnerKind.CUSTOMER.value
"""A trader's ledger accounts belong to a customer (`matching.spot.accounts.trader_specs`)."""


@dataclass(frozen=True, slots=True)
class Pricing:
    """How a market's integers become money: its quote currency and the minor units of one lot per tick."""

    currency: str
    per_tick_lot: int


@dataclass(frozen=True, slots=True)
class Trade:
    """One settled trade: `buyer`/`seller` the engine's account numbers, `*_owner` their ledger owner ids,
    `pricing` None for a market the feed does not price (recorded as checked, never judged)."""

    id: str
    market: str
    recorded_us: int
    buyer: int
    seller: int
    buyer_owner: str
    seller_owner: str
    price: int
    qty: int
    pricing: Pricing | None


@dataclass(frozen=True, slots=True)
class Volume:
    """Trades of a market: the sum of price x qty (ticks x lots) and of qty (lots)."""

    notional: int
    qty: int


class TradeFeed(Protocol):
    """The settled trades, read in the caller's transaction."""

    def unchecked(
        self, connection: Connection, since_us: int, checked_ids: Select[tuple[str]], limit: int
    ) -> list[Trade]:
        """Trades recorded at or after `since_us` whose id `checked_ids` does not hold, oldest first (by
        recorded time, then id), at most `limit`."""
        ...

    def volume(
        self, connection: Connection, market: str, start_us: int, end_us: int, parties: tuple[int, int]
    ) -> Volume:
        """The trades of `market` recorded in (`start_us`, `end_us`] that none of `parties` is in."""
        ...

    def last_price(
        self, connection: Connection, market: str, before_us: int, parties: tuple[int, int]
    ) -> int | None:
        """The price of the last trade of `market` recorded at or before `before_us` none of `parties` is
        in; None when there is none."""
        ...


@dataclass(frozen=True, slots=True)
class Given:
    """What a trade's losing side gave the other, in `currency` minor units, against `reference`
    (`notional / volume` ticks)."""

    amount: int
    loser: str
    gainer: str
    reference_notional: int
    reference_volume: int


def given_away(trade: Trade, reference: Volume, rule: OffMarket) -> Given | None:
    """What `trade` gave away against `reference`; None when it is within `min_deviation_bps` of it, or
    there is no reference (a volume of 0) or no pricing."""
    if trade.pricing is None or reference.qty <= 0 or reference.notional <= 0:
        return None
    gap = trade.price * reference.qty - reference.notional  # (price - reference) x volume
    if abs(gap) * 10_000 <= rule.min_deviation_bps * reference.notional:
        return None
    amount = trade.qty * abs(gap) * trade.pricing.per_tick_lot // reference.qty
    if amount <= 0:
        return None
    sold_cheap = gap < 0
    loser, gainer = (
        (trade.seller_owner, trade.buyer_owner) if sold_cheap else (trade.buyer_owner, trade.seller_owner)
    )
    return Given(amount, loser, gainer, reference.notional, reference.qty)


def reference(connection: Connection, feed: TradeFeed, trade: Trade, rule: OffMarket) -> Volume:
    """The trade's reference: the other traders' volume over `reference_seconds` before it, else their last
    price (as a volume of one lot), else none (a volume of 0)."""
    parties = (trade.buyer, trade.seller)
    start = trade.recorded_us - rule.reference_seconds * MICROS_PER_SECOND
    volume = feed.volume(connection, trade.market, start, trade.recorded_us, parties)
    if volume.qty > 0:
        return volume
    last = feed.last_price(connection, trade.market, start, parties)
    return Volume(0, 0) if last is None else Volume(last, 1)


def surveil(
    connection: Connection, feed: TradeFeed, rule: OffMarket, clock: Callable[[], int], opener: CaseOpener
) -> int:
    """Check the settled trades not checked yet (at most `ROUND_LIMIT`), in the caller's transaction (the
    monitoring's lock held); how many alerts were raised."""
    newest = connection.execute(select(func.max(checked.c.recorded_us))).scalar()
    since = 0 if newest is None else int(newest) - LOOKBACK_US
    batch = feed.unchecked(connection, since, select(checked.c.trade_id), ROUND_LIMIT)
    raised = 0
    for trade in batch:
        given = given_away(trade, reference(connection, feed, trade, rule), rule)
        connection.execute(
            insert(checked).values(
                trade_id=trade.id,
                recorded_us=trade.recorded_us,
                currency="" if trade.pricing is None else trade.pricing.currency,
                given=0 if given is None else given.amount,
                loser=None if given is None else given.loser,
                gainer=None if given is None else given.gainer,
            )
        )
        if given is not None and trade.pricing is not None:
            raised += _judge(connection, trade, trade.pricing.currency, given, rule, clock, opener)
    if batch:
        keep = max(2 * LOOKBACK_US, rule.window_seconds * MICROS_PER_SECOND)
        latest = max(trade.recorded_us for trade in batch)
        connection.execute(delete(checked).where(checked.c.recorded_us < latest - keep))
    return raised


def _judge(
    connection: Connection,
    trade: Trade,
    currency: str,
    given: Given,
    rule: OffMarket,
    clock: Callable[[], int],
    opener: CaseOpener,
) -> int:
    """Sum what the trade's loser gave away in the window (in all, and to this gainer): at the pair's
    threshold, alert on both sides; at the loser's alone, on the loser (naming this trade's gainer, who may
    be one honest maker among many a fat-fingered sweep paid: not frozen on that). How many were raised."""
    trader_min, pair_min = rule.trader_min_amount.get(currency), rule.pair_min_amount.get(currency)
    if trader_min is None and pair_min is None:
        return 0
    start = trade.recorded_us - rule.window_seconds * MICROS_PER_SECOND
    window = and_(
        checked.c.loser == given.loser,
        checked.c.currency == currency,
        checked.c.recorded_us > start,
        checked.c.recorded_us <= trade.recorded_us,
    )
    total = select(func.coalesce(func.sum(checked.c.given), 0), func.count())
    trader_sum, trader_count = connection.execute(total.where(window)).one()
    pair_sum, pair_count = connection.execute(total.where(window, checked.c.gainer == given.gainer)).one()
    pair_hit = pair_min is not None and int(pair_sum) >= pair_min
    if not pair_hit and (trader_min is None or int(trader_sum) < trader_min):
        return 0
    details: dict[str, int | str] = {
        "trade_id": trade.id,
        "market": trade.market,
        "currency": currency,
        "window_seconds": rule.window_seconds,
        "trader_given": str(int(trader_sum)),
        "trader_trades": int(trader_count),
        "pair_given": str(int(pair_sum)),
        "pair_trades": int(pair_count),
        "price_ticks": str(trade.price),
        "reference_ticks": f"{given.reference_notional}/{given.reference_volume}",
    }
    within = f"of {trade.market} within {rule.window_seconds} s"
    if not pair_hit:  # the loser's total alone: spread over many counterparties, none of them singled out
        alone = Finding(
            Check.OFF_MARKET,
            f"gave {int(trader_sum)} {currency} away in {int(trader_count)} off-market trades {within} "
            f"(the last to {given.gainer})",
            {**details, "role": "loser", "counterparty": given.gainer},
        )
        return int(
            raise_alert(connection, alone, Subject(TRADER_KIND, given.loser), clock(), opener) is not None
        )
    what = f"in {int(pair_count)} off-market trades {within}"
    losing = Finding(
        Check.OFF_MARKET,
        f"gave {int(pair_sum)} {currency} away to {given.gainer} {what}",
        {**details, "role": "loser", "counterparty": given.gainer},
    )
    gaining = Finding(
        Check.OFF_MARKET,
        f"gained {int(pair_sum)} {currency} from {given.loser} {what}",
        {**details, "role": "gainer", "counterparty": given.loser},
    )
    raised = 0
    for finding, owner in ((losing, given.loser), (gaining, given.gainer)):
        if raise_alert(connection, finding, Subject(TRADER_KIND, owner), clock(), opener) is not None:
            raised += 1
    return raised
