"""The tables stablecoin payouts read and write, for tests that build them from metadata: the payments'
own, and the risk checks a payout passes before it is made (sanctions screening, monitoring freezes)."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, MetaData, insert

import ledger.schema
import payments.intents.schema
import payments.merchants.schema
import payments.rails.stablecoin.schema
import payments.webhooks.schema
import risk.monitoring.schema
import risk.screening.schema
from api.db import make_engine
from tests.payments.webhooks.conftest import merchant_row

PAYOUT_METADATA: tuple[MetaData, ...] = (
    ledger.schema.metadata,
    payments.intents.schema.metadata,
    payments.merchants.schema.metadata,
    payments.webhooks.schema.metadata,
    payments.rails.stablecoin.schema.metadata,
    risk.screening.schema.metadata,
    risk.monitoring.schema.metadata,
)


def create_payout_tables(engine: Engine) -> None:
    for metadata in PAYOUT_METADATA:
        metadata.create_all(engine)


@contextmanager
def payout_engine(database_url: str, merchant_id: str) -> Iterator[Engine]:
    """An engine on `database_url` with the payout tables and merchant `merchant_id` registered (its steps'
    events are written), disposed of when the block ends."""
    engine = make_engine(database_url)
    create_payout_tables(engine)
    with engine.begin() as connection:
        connection.execute(insert(payments.merchants.schema.merchants), merchant_row(merchant_id))
    try:
        yield engine
    finally:
        engine.dispose()
