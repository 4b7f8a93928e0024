"""Canceling the authorizations left uncaptured too long, while the API runs.

Every `TPW_PAYMENT_LAPSE_INTERVAL_SECONDS` (`api.periodic`), the intents whose authorization is older than
`TPW_PAYMENT_AUTHORIZATION_LAPSE_SECONDS` are canceled (`automatic`), their holds voided on the ledger and
`payment_intent.canceled` announced (`payments.intents.intents.expire_uncaptured`). Safe with several API
processes: each cancellation locks its intent and checks it still holds an authorization, so one process
cancels it and the others pass.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import Engine

from api.periodic import every
from ledger.ids import NS_PER_SECOND
from payments.intents import intents
from payments.intents.context import Payments

log = logging.getLogger("api.payments")


def expire_once(payments: Payments, lapse_seconds: int) -> int:
    """Cancel the authorizations lapsed by now; how many."""
    before = payments.clock() - lapse_seconds * NS_PER_SECOND
    return len(intents.expire_uncaptured(payments, None, before))


@asynccontextmanager
async def lapsing(engine: Engine, lapse_seconds: int, interval: float) -> AsyncIterator[None]:
    """Cancel the authorizations older than `lapse_seconds` every `interval` seconds for the context's life
    (nothing when `interval` is 0)."""
    payments = Payments(engine, {})

    def round_() -> int:
        return expire_once(payments, lapse_seconds)

    async with every("lapsed authorizations canceled", interval, round_, log):
        yield
