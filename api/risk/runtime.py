"""The risk engine on the serving app, as functions of its `app.state` (a Starlette `State`): built at start
from the settings' rule file and CIDR table, with the factor services a customer steps up with (the
passkey's under the sign-in's relying party, `TPW_WEBAUTHN_*`), and the review cases' resolution handlers.
The engine's velocity windows are rebuilt at start from the stored decisions (`risk.decisions.replay`: what
a restart keeps, and what it cannot).

`state.risk_gate` is what `api.deps.payments_of` gives the payment intents; while it is None (the rule
file did not load at start: logged) confirmations are not assessed. The clock is the identity clock
(`state.identity_clock` when a test sets one), unix seconds, so TOTP codes and decisions agree with the
sessions' time. The rule file is re-read when it changes (`risk.engine.RuleSource`).
"""

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from api.identity.service import passkey_policy, wall_clock
from api.settings import ApiSettings
from custody.keystore.sealed_box import SealingError
from payments.intents.context import Payments
from payments.intents.guard.gate import RiskGate
from payments.intents.guard.release import review_handler
from risk.cases import Case, Resolutions, SubjectKind
from risk.decisions import rebuild_windows
from risk.engine import CidrTable, RiskEngine, RiskEngineError, RuleSource
from risk.factors.lockout import LockoutPolicy
from risk.factors.passkey import PasskeyStepUp
from risk.factors.passwords import PaymentPassword
from risk.factors.recovery import RecoveryCodes
from risk.factors.sealing import SecretBox
from risk.factors.totp import TotpFactor
from risk.monitoring.alerts import case_resolution

log = logging.getLogger(__name__)


def risk_clock(state: Any) -> Callable[[], int]:
    """The risk side's clock on the app of `state`: unix seconds, the identity clock's."""

    def now() -> int:
        clock: Callable[[], int] = getattr(state, "identity_clock", wall_clock)
        return clock()

    return now


def _totp(state: Any, policy: LockoutPolicy, clock: Callable[[], int]) -> TotpFactor | None:
    settings: ApiSettings = state.settings
    try:
        box = SecretBox.from_file(settings.factor_key_path)
    except (OSError, ValueError, SealingError) as error:
        log.warning("risk: no TOTP step-up (the factor key file is unusable: %s)", type(error).__name__)
        return None
    return TotpFactor(state.engine, box, policy, clock, issuer=settings.totp_issuer)


def build_gate(state: Any) -> RiskGate | None:
    """The app's risk gate, or None (logged) when the rule file or CIDR table does not load."""
    settings: ApiSettings = state.settings
    clock = risk_clock(state)
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
    engine = state.engine
    risk_engine = RiskEngine(rules, countries)
    _rebuild_velocity(engine, risk_engine, clock())
    return RiskGate(
        engine=risk_engine,
        passwords=PaymentPassword(engine, policy, clock),
        recovery=RecoveryCodes(engine, policy, clock),
        policy=policy,
        clock=clock,
        totp=_totp(state, policy, clock),
        passkeys=PasskeyStepUp(engine, passkey_policy(settings), clock),
    )


def _rebuild_velocity(database: Engine, risk_engine: RiskEngine, now: int) -> None:
    """Replay the stored decisions into the fresh engine's velocity windows (`risk.decisions.replay`), so
    a restart or a second process does not start them empty; a database that cannot be read is logged and
    leaves them empty (the API still serves)."""
    try:
        with database.connect() as connection:
            replayed = rebuild_windows(connection, risk_engine, now=now)
    except SQLAlchemyError as error:
        log.error("risk: velocity windows start empty (the decisions could not be read: %s)", error)
        return
    log.info("risk: velocity windows rebuilt from %d stored decisions", replayed)


def app_payments(state: Any) -> Payments:
    """The payment intents on the app's database, rails and risk gate, as they are now."""
    return Payments(
        state.engine,
        getattr(state, "payment_rails", {}),
        risk=getattr(state, "risk_gate", None),
    )


def resolutions(state: Any) -> Resolutions:
    """The review cases' handlers: a payment intent's case resumes or fails the intent; a monitored
    customer's or merchant's case releases or confirms its freeze (`risk.monitoring`)."""
    registry = Resolutions()

    def payment_intent_resolved(case: Case) -> None:
        review_handler(app_payments(state))(case)

    registry.register(SubjectKind.PAYMENT_INTENT, payment_intent_resolved)
    monitored = case_resolution(state.engine)
    registry.register(SubjectKind.CUSTOMER, monitored)
    registry.register(SubjectKind.MERCHANT, monitored)
    return registry
