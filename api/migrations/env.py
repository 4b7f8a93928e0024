"""Alembic's environment for the API: migrations run on the caller's connection or on the settings' database.

The chain migrates the API's models and the ledger's tables alike: one database, one history of its schema.

On PostgreSQL the migration transaction first takes an advisory lock, so several API processes starting at
once apply each revision exactly once instead of racing on the DDL.
"""

from alembic import context
from sqlalchemy import Connection, text

import api.models  # noqa: F401  (registers the tables on Base.metadata for autogenerate)
import ledger.schema
import payments.merchants.schema
import payments.webhooks.schema
from api.db import Base, make_engine
from api.settings import get_settings

# Any constant shared by every process that migrates this database: "TPWmigrr" in ASCII.
MIGRATION_LOCK_KEY = 0x5450576D69677272
# Every table of the database: the API's models, the ledger's, the merchants' and the webhooks' (packages
# below the API).
TARGET_METADATA = [
    Base.metadata,
    ledger.schema.metadata,
    payments.merchants.schema.metadata,
    payments.webhooks.schema.metadata,
]


def run_migrations(connection: Connection) -> None:
    """Apply the pending revisions on `connection` inside one transaction."""
    context.configure(
        connection=connection,
        target_metadata=TARGET_METADATA,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        context.run_migrations()


def run_migrations_offline() -> None:
    """Print the SQL instead of running it (`python -m api.migrate upgrade head --sql`)."""
    context.configure(
        url=get_settings().database_url,
        target_metadata=TARGET_METADATA,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Use the connection `upgrade_database` handed over, else connect to the settings' database."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
        return
    engine = make_engine(get_settings().database_url)
    try:
        with engine.connect() as own_connection:
            run_migrations(own_connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
