"""Sightings from the routes where a customer shows up in person (a sign-in): the monitoring's geography
check (`risk.monitoring.Monitor.sighting`) learns the country of the caller's address, never the address.

A failing sighting never fails the sign-in it follows: the session is issued already, and monitoring is
the bank's concern, not the customer's; it is logged with its cause for the operators instead."""

import logging
from typing import Any

import anyio.to_thread

from api.monitoring.service import app_clock

log = logging.getLogger("api.monitoring")


async def sighted(state: Any, host: str | None, subject_kind: str, subject_id: str) -> None:
    """Tell the app's monitor (`state.monitor`) that the subject acted from `host` now."""
    monitor = getattr(state, "monitor", None)
    if monitor is None or host is None:
        return
    try:
        await anyio.to_thread.run_sync(monitor.sighting, subject_kind, subject_id, host, app_clock(state)())
    except Exception:
        log.exception("monitoring sighting of %s %s failed", subject_kind, subject_id)
