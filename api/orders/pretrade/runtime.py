"""The pre-trade gate on the serving app, built at start from `pretrade_limits_path` (a faulty file stops
the start: trading without the limits it names is not an option), with the liquidation log the perpetual's
service records into (`state.liquidations`), and the derivative step-up over the risk engine when one runs
(`state.risk_gate`, built by `api.risk.runtime`; `risk.pretrade.stepup.engine_assess`)."""

from typing import Any

from sqlalchemy import Engine

from api.orders.pretrade.gate import PretradeGate
from api.orders.runtime import market_spec
from api.perps.runtime import PERP_MARKETS
from api.risk.runtime import risk_clock
from matching.perp_market.accounts import CURRENCY as PERP_CURRENCY
from risk.pretrade.config import load_pretrade
from risk.pretrade.cooldown import LiquidationLog
from risk.pretrade.stepup import ThresholdStepUp, engine_assess


def quote_of(market: str) -> str:
    """The ledger code of `market`'s quote currency (what its notionals are in): a spot market's or an
    option series' quote, tUSD for the perpetual (its margin currency)."""
    if market in PERP_MARKETS:
        return PERP_CURRENCY
    spec = market_spec(market)
    return spec.quote if spec is not None else "XXX"


def build_pretrade(state: Any) -> PretradeGate:
    """Load the limits (raising `RuleFileError` on a fault) and build the gate on the app's database."""
    config = load_pretrade(state.settings.pretrade_limits_path)
    database: Engine = state.engine
    risk = getattr(state, "risk_gate", None)
    step_up = (
        None if risk is None else ThresholdStepUp(database, engine_assess(database, risk.engine, quote_of))
    )
    state.pretrade_config = config
    state.liquidations = LiquidationLog(database)
    return PretradeGate(config, database, risk_clock(state), step_up)
