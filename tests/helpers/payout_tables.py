"""The tables stablecoin payouts read and write, for tests that build them from metadata: the payments'
own, and the risk checks a payout passes before it is made (sanctions screening, monitoring freezes)."""

from sqlalchemy import Engine, MetaData

import ledger.schema
import payments.intents.schema
import payments.merchants.schema
import payments.rails.stablecoin.schema
import payments.webhooks.schema
import risk.monitoring.schema
import risk.screening.schema

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
