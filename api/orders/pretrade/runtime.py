"""The pre-trade gate on the serving app, built at start from `pretrade_limits_path` (a faulty file stops
the start: trading without the limits it names is not an option), with the liquidation log the perpetual's
service records into (`state.liquidations`), and the derivative step-up over the risk engine when one runs
(`state.risk_gate`, built by `api.risk.runtime`).

The step-up's assessment: subject `trader:<account>` (the engine's account number: the trading account,
whichever mode), kind `derivative_order`, the position's notional after the order in the quote's ledger
code, the merchant treated as fully verified (it was approved to trade). The decision is stored and
audited like every other (`risk.decisions.record_decision`), so an operator reads why an order was held.
"""

from typing import Any

from sqlalchemy import Engine

from api.orders.pretrade.gate import PretradeGate
from api.risk.runtime import risk_clock
from matching.markets import markets
from risk.decisions import record_decision
from risk.engine import Assessment, Decision, Kind, KycTier, RiskEngine
from risk.pretrade.config import load_pretrade
from risk.pretrade.cooldown import LiquidationLog
from risk.pretrade.stepup import DerivativeChange, ThresholdStepUp

ACTOR = "pretrade-gate"


def assessor(database: Engine, engine: RiskEngine) -> Any:
    """The step-up's `Assess`: the engine's decision on a change, stored with its audit record."""

    def assess(change: DerivativeChange, now: int) -> tuple[Decision, str | None]:
        spec = markets().get(change.market)
        currency = spec.quote if spec is not None else "XXX"
        asked = Assessment(
            subject=f"trader:{change.account}",
            kind=Kind.DERIVATIVE_ORDER,
            amount=change.notional_after,
            currency=currency,
            at=now,
            customer_country="ZZ",
            kyc_tier=KycTier.FULL,
            account_age_days=0,
        )
        decision = engine.decide(asked)
        with database.begin() as connection:
            record = record_decision(connection, asked, decision, now=now, actor=ACTOR)
        return decision, record.id

    return assess


def build_pretrade(state: Any) -> PretradeGate:
    """Load the limits (raising `RuleFileError` on a fault) and build the gate on the app's database."""
    config = load_pretrade(state.settings.pretrade_limits_path)
    database: Engine = state.engine
    risk = getattr(state, "risk_gate", None)
    step_up = None if risk is None else ThresholdStepUp(database, assessor(database, risk.engine))
    state.pretrade_config = config
    state.liquidations = LiquidationLog(database)
    return PretradeGate(config, database, risk_clock(state), step_up)
