"""How the app's trade surveillance prices each market's trades: the live spot market, the perpetual and
the listed option series in tUSD minor units (QTU) per lot per tick; a paper copy or an unknown market not
at all."""

from api.monitoring.service import market_pricing
from api.options.runtime import series_specs
from risk.monitoring.surveillance import Pricing


def test_live_markets_are_priced_in_their_quote_minor_units() -> None:
    # One TPW lot at one 0.01 tUSD tick is 10,000 QTU (matching/markets/spec.py).
    assert market_pricing("TPW-tUSD") == Pricing("QTU", 10_000)
    # One 0.01 TPW lot at one 0.0001 tUSD tick is 1 QTU (matching/perpetuals/spec.py).
    assert market_pricing("TPW-PERP") == Pricing("QTU", 1)
    series = series_specs()
    assert series
    for series_id, spec in series.items():
        assert market_pricing(series_id) == Pricing(spec.quote, spec.quote_per_tick_lot)


def test_paper_copies_and_unknown_markets_are_not_priced() -> None:
    for market in ("TPW-tUSD.sandbox", "TPW-PERP.sandbox", "NOPE-tUSD"):
        assert market_pricing(market) is None
