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

from fastapi import FastAPI

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
async def lapsing(app: FastAPI) -> AsyncIterator[None]:
    """Cancel lapsed authorizations while the app serves (a router's lifespan)."""
    settings = app.state.settings
    payments = Payments(app.state.engine, {})
    lapse = settings.payment_authorization_lapse_seconds

    def round_() -> int:
        return expire_once(payments, lapse)

    async with every("lapsed authorizations canceled", settings.payment_lapse_interval_seconds, round_, log):
        yield
