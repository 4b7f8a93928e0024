"""The daily reconciliation while the API runs, and the statement sources the API reconciles with.

The sources are built once at start, one per rail in `TPW_RECONCILIATION_RAILS`, from that rail's settings
(`api.reconciliation.sources`). Every `TPW_RECONCILIATION_INTERVAL_SECONDS` (0, the default: never) the
loop looks at yesterday (UTC): with no run yet, or only an incomplete one (a counterpart was down), it runs
the day again; once a complete run exists it does nothing until the next day. Several API processes may
each run it: runs are numbered under a lock, so the worst case is one extra run of a day, never a lost or
rewritten one. A failed round is logged and retried at the next interval.
"""

import asyncio
import contextlib
import datetime
import logging
from collections.abc import AsyncIterator, Mapping

import anyio.to_thread
from sqlalchemy import Engine

from payments.intents.model import RailKind
from payments.reconciliation.days import today
from payments.reconciliation.lines import StatementSource
from payments.reconciliation.runs import Run, RunStatus, load_run, reconcile

log = logging.getLogger("api.reconciliation")


def yesterday() -> datetime.date:
    return today() - datetime.timedelta(days=1)


def reconcile_if_due(
    engine: Engine, sources: Mapping[RailKind, StatementSource], day: datetime.date
) -> Run | None:
    """Run `day` unless its latest run is complete; the new run, or None when none was due."""
    with engine.connect() as connection:
        latest = load_run(connection, day)
    if latest is not None and latest.status is RunStatus.COMPLETE:
        return None
    return reconcile(engine, sources, day)


async def _every(engine: Engine, sources: Mapping[RailKind, StatementSource], interval: float) -> None:
    while True:
        try:
            run = await anyio.to_thread.run_sync(reconcile_if_due, engine, sources, yesterday())
            if run is not None:
                log.info(
                    "reconciliation run",
                    extra={
                        "day": run.day.isoformat(),
                        "run": run.number,
                        "status": str(run.status),
                        "breaks": run.break_count,
                    },
                )
        except Exception:
            log.exception("reconciliation round failed")
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def reconciling_daily(
    engine: Engine, sources: Mapping[RailKind, StatementSource], interval: float
) -> AsyncIterator[None]:
    """Run the daily loop over `engine` for the context's life (nothing when `interval` is 0)."""
    if interval <= 0:
        yield
        return
    task = asyncio.create_task(_every(engine, sources, interval), name="reconciliation-daily")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
