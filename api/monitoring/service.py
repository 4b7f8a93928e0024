"""The monitoring routes' work on `risk.monitoring.alerts`, its refusals as problem documents, and the app's
`Monitor` (built at start from the settings' files, run every `monitoring_interval_seconds`)."""

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, Final

from sqlalchemy.orm import Session

from api.errors import ApiError, NotFound
from api.monitoring.schemas import AlertOut, HoldOut
from api.options.runtime import series_specs
from api.pagination import Listing, Page, key_part
from api.periodic import every
from api.perps.runtime import TPW_PERP
from matching.markets import markets
from matching.perp_market.accounts import CURRENCY as PERP_CURRENCY
from matching.settlement.surveillance import SettledTradeFeed
from risk.engine.geo import CidrTable
from risk.kyc.tiers import load_tier_limits
from risk.monitoring import alerts
from risk.monitoring.alerts import Alert, AlertStatus, ReviewQueue
from risk.monitoring.config import load_config
from risk.monitoring.monitor import Monitor
from risk.monitoring.surveillance import Pricing

log = logging.getLogger("api.monitoring")
LISTING: Final = Listing("monitoring-alerts", (int, str))
Record = Callable[[AlertOut], None]


class AlertNotFound(NotFound, problem="alert-not-found", title="Alert not found"):
    """No monitoring alert of this id."""


class AlertDecided(ApiError, status=409, problem="alert-decided", title="Alert decided"):
    """The alert was decided the other way already (released, or confirmed): a decision is made once."""


def wall_clock() -> int:
    return int(time.time())


def app_clock(state: Any) -> Callable[[], int]:
    """Unix seconds: the app's `state.monitoring_clock` when a test set one, else the system clock."""
    return lambda: getattr(state, "monitoring_clock", wall_clock)()


def market_pricing(market_id: str) -> Pricing | None:
    """How the trade surveillance prices a live market's trades: a spot market, a listed option series or
    the perpetual (quote currency, minor units of one lot per tick). A paper market's copy
    (`<id>.sandbox`) is not priced: its money is made up, and its traders are judged by nobody."""
    spec = markets().get(market_id) or series_specs().get(market_id)
    if spec is not None:
        return Pricing(spec.quote, spec.quote_per_tick_lot)
    if market_id == TPW_PERP.symbol:
        return Pricing(PERP_CURRENCY, TPW_PERP.multiplier)
    return None


def build_monitor(state: Any) -> Monitor:
    """The app's monitor: its alerts open cases in the review queue (`/v1/cases`), whose decisions release
    or confirm the freezes (`api.risk.runtime.resolutions`); it surveils the settled trades of the live
    markets (`market_pricing`)."""
    settings = state.settings
    return Monitor(
        state.engine,
        load_config(settings.monitoring_config_path),
        load_tier_limits(settings.monitoring_kyc_tiers_path),
        CidrTable.from_csv(settings.monitoring_ip_countries_path),
        clock=app_clock(state),
        opener=ReviewQueue(),
        trades=SettledTradeFeed(market_pricing),
    )


@asynccontextmanager
async def monitoring(state: Any) -> AsyncIterator[None]:
    """Build the app's `Monitor` (a bad thresholds file stops the start, naming file and line) and run its
    round every `monitoring_interval_seconds` (`api.periodic`)."""
    monitor = state.monitor = build_monitor(state)
    async with every("monitoring round", state.settings.monitoring_interval_seconds, monitor.run_once, log):
        yield


def alert_view(alert: Alert) -> AlertOut:
    return AlertOut(
        id=alert.id,
        check=alert.check,  # type: ignore[arg-type]  # one of checks.Check's values
        subject_kind=alert.subject_kind,
        subject_id=alert.subject_id,
        account_id=None if alert.account_id is None else str(alert.account_id),
        transfer_id=None if alert.transfer_id is None else str(alert.transfer_id),
        reason=alert.reason,
        details=alert.details,
        status=alert.status.value,
        case_id=alert.case_id,
        created_at=alert.created_at,
        decided_at=alert.decided_at,
        decided_by=alert.decided_by,
        decision_reason=alert.decision_reason,
        holds=[
            HoldOut(
                transfer_id=str(hold.transfer_id),
                account_id=str(hold.account_id),
                currency=hold.currency,
                amount=str(hold.amount),
                released_at=hold.released_at,
            )
            for hold in alert.holds
        ],
    )


def list_alerts(
    session: Session, status: AlertStatus | None, limit: int, cursor: str | None
) -> Page[AlertOut]:
    """Newest first; `status` filters (the review queue is `open`)."""
    filters = {"status": status.value if status else None}
    after = None
    key = LISTING.decode(cursor, filters)
    if key is not None:
        after = (key_part(key, 0, int), key_part(key, 1, str))
    found = alerts.listed(session.connection(), status=status, after=after, limit=limit + 1)
    return LISTING.page(
        [alert_view(alert) for alert in found],
        limit,
        lambda view: (view.created_at, view.id),
        cursor=cursor,
        filters=filters,
    )


def read_alert(session: Session, alert_id: str) -> AlertOut:
    try:
        return alert_view(alerts.load(session.connection(), alert_id))
    except alerts.AlertNotFound as error:
        raise _not_found(alert_id) from error


def decide(
    session: Session, alert_id: str, *, approve: bool, actor: str, reason: str, now: int, record: Record
) -> AlertOut:
    """Release (approve) or confirm (reject) the alert's freeze, with its audit record and the POST's stored
    answer, in one transaction."""
    try:
        alert = alerts.decide(
            session.connection(), alert_id, approve=approve, operator=actor, reason=reason, now=now
        )
    except alerts.AlertNotFound as error:
        raise _not_found(alert_id) from error
    except alerts.AlertDecided as error:
        raise AlertDecided(
            str(error), errors=[{"field": "alert_id", "message": f"the alert is {error.status}"}]
        ) from error
    view = alert_view(alert)
    record(view)
    session.commit()
    return view


def _not_found(alert_id: str) -> AlertNotFound:
    return AlertNotFound(f"no alert {alert_id}", errors=[{"field": "alert_id", "message": "no such alert"}])
