"""The risk engine on the serving app: built at start from the settings' rule file and CIDR table, with the
factor services a customer steps up with, and the review cases' resolution handlers.

`app.state.risk_gate` is what `api.deps.payments_of` gives the payment intents; while it is None (the rule
file did not load at start: logged) confirmations are not assessed. The clock is the identity clock
(`app.state.identity_clock` when a test sets one), unix seconds, so TOTP codes and decisions agree with the
sessions' time. The rule file is re-read when it changes (`risk.engine.RuleSource`).
"""

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.identity.service import wall_clock
from api.settings import ApiSettings
from custody.keystore.sealed_box import SealingError
from payments.intents.context import Payments
from payments.intents.guard.gate import RiskGate
from payments.intents.guard.release import review_handler
from risk.cases import Case, Resolutions, SubjectKind
from risk.engine import CidrTable, RiskEngine, RiskEngineError, RuleSource
from risk.factors.lockout import LockoutPolicy
from risk.factors.passwords import PaymentPassword
from risk.factors.recovery import RecoveryCodes
from risk.factors.sealing import SecretBox
from risk.factors.totp import TotpFactor

log = logging.getLogger(__name__)


def risk_clock(app: FastAPI) -> Callable[[], int]:
    """The risk side's clock on `app`: unix seconds, the identity clock's."""

    def now() -> int:
        clock: Callable[[], int] = getattr(app.state, "identity_clock", wall_clock)
        return clock()

    return now


def _totp(app: FastAPI, policy: LockoutPolicy, clock: Callable[[], int]) -> TotpFactor | None:
    settings: ApiSettings = app.state.settings
    try:
        box = SecretBox.from_file(settings.factor_key_path)
    except (OSError, ValueError, SealingError) as error:
        log.warning("risk: no TOTP step-up (the factor key file is unusable: %s)", type(error).__name__)
        return None
    return TotpFactor(app.state.engine, box, policy, clock, issuer=settings.totp_issuer)


def build_gate(app: FastAPI) -> RiskGate | None:
    """The app's risk gate, or None (logged) when the rule file or CIDR table does not load."""
    settings: ApiSettings = app.state.settings
    clock = risk_clock(app)
    try:
        rules = RuleSource(settings.risk_rules_path, clock)
        countries = CidrTable.from_csv(settings.risk_ip_countries_path)
    except (OSError, RiskEngineError, ValueError) as error:
        log.error("risk: payment confirmations are not assessed: %s", error)
        return None
    policy = LockoutPolicy(
        max_failures=settings.factor_lockout_failures,
        base_lock_seconds=settings.factor_lockout_base_seconds,
        max_lock_seconds=settings.factor_lockout_max_seconds,
    )
    engine = app.state.engine
    return RiskGate(
        engine=RiskEngine(rules, countries),
        passwords=PaymentPassword(engine, policy, clock),
        recovery=RecoveryCodes(engine, policy, clock),
        policy=policy,
        clock=clock,
        totp=_totp(app, policy, clock),
    )


def app_payments(app: FastAPI) -> Payments:
    """The payment intents on the app's database, rails and risk gate, as they are now."""
    return Payments(
        app.state.engine,
        getattr(app.state, "payment_rails", {}),
        risk=getattr(app.state, "risk_gate", None),
    )


def resolutions(app: FastAPI) -> Resolutions:
    """The review cases' handlers: a payment intent's case resumes or fails the intent."""
    registry = Resolutions()

    def payment_intent_resolved(case: Case) -> None:
        review_handler(app_payments(app))(case)

    registry.register(SubjectKind.PAYMENT_INTENT, payment_intent_resolved)
    return registry


@asynccontextmanager
async def risk_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build the risk gate and the case resolutions once the database is open."""
    if getattr(app.state, "risk_gate", None) is None:
        app.state.risk_gate = build_gate(app)
    app.state.case_resolutions = resolutions(app)
    yield
