"""Releasing expired pending transfers while the API runs.

A pending transfer past its timeout can no longer be posted (the ledger answers `pending_transfer_expired`
at once), but its amount stays in the accounts' pending totals until an expiry is written to the journal.
This loop writes them every `TPW_LEDGER_EXPIRY_INTERVAL_SECONDS` (`api.periodic`), so balances and a
transfer's `status` follow the timeout without a separate worker. It is safe with several API processes: the
ledger writes one expiry per pending transfer (a unique reference) and a concurrent post, void or expiry
drops it from the batch.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import Engine

from api.periodic import every
from ledger.transfers import expire_pending, has_expired_pending

log = logging.getLogger("api.ledger")


def expire_once(engine: Engine) -> int:
    """Write the expiries due now; how many pending transfers expired."""
    if not has_expired_pending(engine):
        return 0
    return len(expire_pending(engine))


@asynccontextmanager
async def expiring(engine: Engine, interval: float) -> AsyncIterator[None]:
    """Run the expiry loop over `engine` for the context's life (nothing when `interval` is 0)."""
    async with every("pending transfers expired", interval, lambda: expire_once(engine), log):
        yield
