"""Off-market trade surveillance on each backend, over a real spot market: a walk-down dump to an accomplice
alerts on both sides once and freezes both; the loss is measured against the other traders; a busy honest
market never alerts; paper markets and the insurance fund are never judged; rounds at once, or a round run
again, raise once; a round that failed half-way is checked again whole."""

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, func, select

from ledger.accounts import lookup_account
from matching.engine import Kind, Side
from matching.engine.commands import Place
from matching.markets import TPW_TUSD
from matching.perpetuals.market import FUND_ID
from matching.settlement.leaf import SettledTrade, Venue
from matching.settlement.schema import metadata as settlement_metadata
from matching.settlement.surveillance import SettledTradeFeed
from matching.settlement.trades import record_trades
from matching.spot.accounts import trader_account, trader_owner
from matching.spot.market import SpotMarket
from risk.engine.geo import CidrTable
from risk.kyc.tiers import TierLimits
from risk.monitoring import alerts
from risk.monitoring.alerts import Alert, AlertQueue
from risk.monitoring.config import MonitoringConfig, OffMarket
from risk.monitoring.monitor import Monitor
from risk.monitoring.schema import audit as audit_table
from risk.monitoring.schema import trades as checked_table
from risk.monitoring.surveillance import Pricing, Trade, Volume, given_away
from tests.helpers.threads import run_concurrently
from tests.matching.spot.ledger_view import fund
from tests.risk.monitoring.conftest import CONFIG_DIR, Clock

VICTIM, ACCOMPLICE = 101, 102
HONEST = (1, 2, 3, 4, 5, 6)
MARKET_PRICE = 10_000  # ticks of 0.01 tUSD: 100 tUSD per TPW
RULE = OffMarket(
    window_seconds=3_600,
    reference_seconds=900,
    min_deviation_bps=300,
    trader_min_amount={"QTU": 1_000_000_000},
    pair_min_amount={"QTU": 250_000_000},
)


def _pricing(market_id: str) -> Pricing | None:
    return Pricing(TPW_TUSD.quote, TPW_TUSD.quote_per_tick_lot) if market_id == TPW_TUSD.id else None


@pytest.fixture
def spot(engine: Engine, tmp_path: Path) -> Iterator[SpotMarket]:
    settlement_metadata.create_all(engine)
    clock = iter(range(1_000, 10**9, 10))
    market = SpotMarket.open(TPW_TUSD, tmp_path / "book", engine, clock=lambda: next(clock))
    for trader in (*HONEST, VICTIM, ACCOMPLICE):
        fund(engine, TPW_TUSD, trader, tpw=1_000, tusd=200_000)
    try:
        yield market
    finally:
        market.close()


@pytest.fixture
def surveilled(
    engine: Engine, config: MonitoringConfig, tier_limits: TierLimits, clock: Clock, spot: SpotMarket
) -> Monitor:
    """The shipped thresholds' monitor, reading the market's settled trades."""
    return Monitor(
        engine,
        config,
        tier_limits,
        CidrTable.from_csv(CONFIG_DIR / "ip_countries.csv"),
        clock=clock,
        trades=SettledTradeFeed(_pricing),
    )


class Orders:
    """Limit orders on the market, each with a fresh id."""

    def __init__(self, spot: SpotMarket) -> None:
        self.spot = spot
        self.next_id = 1

    def trade(self, maker: int, taker: int, taker_side: Side, qty: int, price: int) -> None:
        """`maker` rests `qty` at `price` on the other side; `taker` takes it whole."""
        maker_side = Side.SELL if taker_side is Side.BUY else Side.BUY
        for account, side in ((maker, maker_side), (taker, taker_side)):
            self.spot.place(Place(0, self.next_id, account, side, Kind.LIMIT, qty, price))
            self.next_id += 1


def _honest_market(orders: Orders, count: int, seed: int, drift: int = 0, start: int = MARKET_PRICE) -> None:
    """`count` trades among the honest traders, within 1 % of a market price that starts at `start` and
    moves `drift` ticks a trade (a trend)."""
    rng = random.Random(seed)
    for n in range(count):
        maker, taker = rng.sample(HONEST, 2)
        side = rng.choice((Side.BUY, Side.SELL))
        price = start + n * drift + rng.randint(-100, 100)
        orders.trade(maker, taker, side, rng.randint(1, 40), price)


def _dump(orders: Orders) -> None:
    """The stolen key's walk-down: the accomplice bids 9 % under the last trade, the victim sells into it."""
    price = MARKET_PRICE
    for _ in range(5):
        price = price * 91 // 100
        orders.trade(ACCOMPLICE, VICTIM, Side.SELL, 20, price)


def _alerts(engine: Engine) -> list[Alert]:
    with engine.connect() as connection:
        return alerts.listed(connection, status=None, after=None, limit=100)


def _available(engine: Engine, trader: int, currency: str) -> int:
    account = lookup_account(engine, trader_account(trader, currency))
    assert account is not None
    return account.balances.available


def _checked(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(checked_table)).scalar_one())


def test_a_walk_down_dump_alerts_once_on_each_side_naming_the_other_and_freezes_both(
    engine: Engine, surveilled: Monitor, spot: SpotMarket
) -> None:
    orders = Orders(spot)
    _honest_market(orders, 30, seed=1)
    assert surveilled.run_once() == 0
    _dump(orders)
    assert surveilled.run_once() == 2
    assert surveilled.run_once() == 0  # the round again: every trade was checked

    by_subject = {alert.subject_id: alert for alert in _alerts(engine)}
    assert sorted(by_subject) == sorted([trader_owner(VICTIM), trader_owner(ACCOMPLICE)])
    victim, accomplice = by_subject[trader_owner(VICTIM)], by_subject[trader_owner(ACCOMPLICE)]
    assert (victim.check, victim.subject_kind) == ("off_market_trade", "customer")
    assert victim.details["role"] == "loser"
    assert victim.details["counterparty"] == trader_owner(ACCOMPLICE)
    assert accomplice.details["role"] == "gainer"
    assert accomplice.details["counterparty"] == trader_owner(VICTIM)
    assert trader_owner(ACCOMPLICE) in victim.reason
    assert int(victim.details["pair_given"]) >= RULE.pair_min_amount["QTU"]
    # Both sides' money is held by the ledger: nothing left to sell, or to withdraw.
    for trader in (VICTIM, ACCOMPLICE):
        assert _available(engine, trader, TPW_TUSD.base) == 0
        assert _available(engine, trader, TPW_TUSD.quote) == 0
    assert victim.holds
    assert accomplice.holds
    with engine.connect() as connection:
        lines = connection.execute(select(audit_table.c.line).order_by(audit_table.c.seq)).scalars()
        actions = [json.loads(line)["action"] for line in lines]
    # The trades after the threshold find the two alerts open: audited against them, nothing new opened.
    assert actions.count("monitoring.alert") == 2
    assert actions.count("monitoring.finding") >= 2


def test_the_victims_loss_is_measured_against_the_other_traders_not_the_walked_price(
    engine: Engine, surveilled: Monitor, spot: SpotMarket
) -> None:
    """The pair's own trades never move the reference: each sale is measured against the honest market's
    price, so the amount given away is the full walk, not the 9 % steps."""
    orders = Orders(spot)
    orders.trade(1, 2, Side.BUY, 10, MARKET_PRICE)
    _dump(orders)
    surveilled.run_once()
    with engine.connect() as connection:
        given = connection.execute(
            select(checked_table.c.given)
            .where(checked_table.c.loser == trader_owner(VICTIM))
            .order_by(checked_table.c.recorded_us, checked_table.c.trade_id)
        ).scalars()
        amounts = list(given)
    prices, price = [], MARKET_PRICE
    for _ in range(5):
        price = price * 91 // 100
        prices.append(price)
    per_tick_lot = TPW_TUSD.quote_per_tick_lot
    assert sorted(amounts) == sorted(20 * (MARKET_PRICE - p) * per_tick_lot for p in prices)


def test_a_loss_spread_over_many_counterparties_alerts_on_the_loser_alone(
    engine: Engine, surveilled: Monitor, spot: SpotMarket
) -> None:
    """Five makers each take 200 tUSD off the victim (under the pair threshold, 250): the victim's total
    reaches its own (1,000) and only the victim is frozen; no maker is singled out."""
    orders = Orders(spot)
    for maker, taker in ((1, 2), (3, 4), (5, 6)):
        orders.trade(maker, taker, Side.BUY, 10, MARKET_PRICE)
    for maker in HONEST[:4]:
        orders.trade(maker, VICTIM, Side.SELL, 10, 8_000)
    assert surveilled.run_once() == 0  # 800 tUSD so far
    orders.trade(HONEST[4], VICTIM, Side.SELL, 10, 8_000)
    assert surveilled.run_once() == 1
    [alert] = _alerts(engine)
    assert (alert.subject_id, alert.details["role"]) == (trader_owner(VICTIM), "loser")
    assert alert.details["trader_given"] == str(5 * 10 * 2_000 * TPW_TUSD.quote_per_tick_lot)
    assert alert.details["counterparty"] == trader_owner(HONEST[4])
    assert _available(engine, HONEST[4], TPW_TUSD.quote) > 0


def test_a_busy_honest_market_never_alerts(engine: Engine, surveilled: Monitor, spot: SpotMarket) -> None:
    """Six traders, 120 trades of up to 40 lots each, prices scattered +-1 % around a market that rises 3.6 %
    over the run: nothing is off the market, nobody is alerted."""
    orders = Orders(spot)
    for seed in range(3):
        _honest_market(orders, 40, seed=seed, drift=3, start=MARKET_PRICE + seed * 120)
        assert surveilled.run_once() == 0
    assert _alerts(engine) == []
    with engine.connect() as connection:
        assert _checked(connection) == 120
        assert connection.execute(select(func.sum(checked_table.c.given))).scalar_one() == 0


def test_rounds_running_at_once_raise_the_alerts_once(
    engine: Engine, surveilled: Monitor, spot: SpotMarket
) -> None:
    orders = Orders(spot)
    _honest_market(orders, 10, seed=3)
    _dump(orders)
    raised: list[int] = []
    run_concurrently(lambda: raised.append(surveilled.run_once()), 4)
    assert sorted(raised) == [0, 0, 0, 2]
    assert len(_alerts(engine)) == 2
    with engine.connect() as connection:
        assert _checked(connection) == 15


def test_a_paper_market_and_the_insurance_fund_are_read_once_and_never_judged(
    engine: Engine, surveilled: Monitor, spot: SpotMarket
) -> None:
    """A paper market's dump (its money is made up) and the insurance fund's fills (`FUND_ID`, the venue's
    own account) are remembered as checked and alert nobody; the same dump on the live market does."""
    orders = Orders(spot)
    orders.trade(1, 2, Side.BUY, 10, MARKET_PRICE)
    dumps = [
        SettledTrade(Venue.SPOT, market, 1_000 + n, 0, buyer, seller, MARKET_PRICE // 2, 100, 0, 0)
        for n, (market, buyer, seller) in enumerate(
            [(f"{TPW_TUSD.id}.sandbox", ACCOMPLICE, VICTIM), (TPW_TUSD.id, FUND_ID, VICTIM)] * 3
        )
    ]
    with engine.begin() as connection:
        record_trades(connection, dumps)
    assert surveilled.run_once() == 0
    with engine.connect() as connection:
        assert _checked(connection) == 7
        assert connection.execute(select(func.sum(checked_table.c.given))).scalar_one() == 0
    with engine.begin() as connection:  # the same sale between two traders on the live market
        record_trades(
            connection,
            [SettledTrade(Venue.SPOT, TPW_TUSD.id, 2_000, 0, ACCOMPLICE, VICTIM, 5_000, 100, 0, 0)],
        )
    assert surveilled.run_once() == 2


class _FailingOpener(AlertQueue):
    """A case queue that is down: the round must commit nothing."""

    def open_case(self, connection: Connection, alert: Alert) -> str:
        raise RuntimeError("the case queue is down")


def test_a_round_that_fails_is_checked_again_whole_and_then_never(
    engine: Engine, surveilled: Monitor, spot: SpotMarket
) -> None:
    orders = Orders(spot)
    _honest_market(orders, 10, seed=7)
    _dump(orders)
    surveilled.opener = _FailingOpener()
    with pytest.raises(RuntimeError, match="case queue"):
        surveilled.run_once()
    with engine.connect() as connection:
        assert _checked(connection) == 0  # the trades' memory rolled back with the alert
    assert _alerts(engine) == []
    surveilled.opener = AlertQueue()
    assert surveilled.run_once() == 2
    assert surveilled.run_once() == 0
    assert len(_alerts(engine)) == 2


def _trade(price: int, qty: int = 10) -> Trade:
    return Trade(
        "spot:TPW-tUSD:1:0",
        "TPW-tUSD",
        0,
        1,
        2,
        "spot-trader:1",
        "spot-trader:2",
        price,
        qty,
        _pricing("TPW-tUSD"),
    )


def test_given_away_is_exact_and_names_the_side_the_price_was_against() -> None:
    reference = Volume(notional=10_000 * 30 + 10_100 * 10, qty=40)  # 10,025 ticks
    cheap = given_away(_trade(9_000), reference, RULE)
    assert cheap is not None
    assert (cheap.loser, cheap.gainer) == ("spot-trader:2", "spot-trader:1")  # the seller sold cheap
    assert cheap.amount == 10 * (10_025 - 9_000) * 10_000
    dear = given_away(_trade(11_000), reference, RULE)
    assert dear is not None
    assert (dear.loser, dear.gainer, dear.amount) == ("spot-trader:1", "spot-trader:2", 10 * 975 * 10_000)
    # Within 3 % of the reference (300 bps: 10,025 +- 300.75 ticks), or with no reference: nothing.
    assert given_away(_trade(9_725), reference, RULE) is None
    assert given_away(_trade(10_325), reference, RULE) is None
    assert given_away(_trade(9_724), reference, RULE) is not None
    assert given_away(_trade(9_000), Volume(0, 0), RULE) is None
    unpriced = Trade("x", "OTHER", 0, 1, 2, "a", "b", 9_000, 10, None)
    assert given_away(unpriced, reference, RULE) is None
