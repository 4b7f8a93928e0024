"""Removing FX quotes that expired unused, while the API runs.

Every `TPW_FX_QUOTE_CLEANUP_INTERVAL_SECONDS` (`api.periodic`), the quotes expired more than
`TPW_FX_QUOTE_RETENTION_SECONDS` ago and never converted are deleted (`payments.fx.quotes.remove_expired`);
a converted quote stays with its conversion. Safe with several API processes: a row is deleted once.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import Engine

from api.periodic import every
from ledger.ids import NS_PER_SECOND, now_ns
from payments.fx.quotes import remove_expired

log = logging.getLogger("api.fx")


def remove_once(engine: Engine, retention_seconds: int) -> int:
    """Delete the quotes expired unused for longer than `retention_seconds`; how many."""
    with engine.begin() as connection:
        return remove_expired(connection, now_ns() - retention_seconds * NS_PER_SECOND)


@asynccontextmanager
async def cleaning(engine: Engine, retention_seconds: int, interval: float) -> AsyncIterator[None]:
    """Remove stale quotes every `interval` seconds for the context's life (nothing when `interval` is 0)."""
    async with every(
        "expired fx quotes removed", interval, lambda: remove_once(engine, retention_seconds), log
    ):
        yield
