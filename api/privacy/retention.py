"""The retention job while the API runs: every `TPW_PRIVACY_RETENTION_INTERVAL_SECONDS` (`api.periodic`),
`risk.privacy.retention.run` at the wall clock. Safe with several API processes: each step deletes or clears
only rows past their period, so a concurrent run finds nothing more to do."""

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import Engine

from api.periodic import every
from risk.privacy import retention

log = logging.getLogger("api.privacy")


def run_once(engine: Engine) -> int:
    """One retention run now; how many rows it removed or cleared."""
    return sum(retention.run(engine, int(time.time())).values())


@asynccontextmanager
async def retaining(engine: Engine, interval: float) -> AsyncIterator[None]:
    """Run the retention job every `interval` seconds for the context's life (nothing when 0)."""
    async with every("privacy retention: rows removed", interval, lambda: run_once(engine), log):
        yield
