"""Migration 0007 builds exactly the ledger's tables on both backends, and takes them away again."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from api.db import make_engine
from api.migrate import alembic_config, target_metadata, upgrade_database

LEDGER_TABLES = {"ledger_accounts", "ledger_transfers"}


def test_upgrade_builds_the_ledger_schema_and_downgrade_removes_it(database_url: str):
    engine = make_engine(database_url)
    try:
        upgrade_database(engine)
        assert set(inspect(engine).get_table_names()) >= LEDGER_TABLES
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, target_metadata()) == []  # type: ignore[arg-type]
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0006")
        assert not set(inspect(engine).get_table_names()) & LEDGER_TABLES
        upgrade_database(engine)
        assert set(inspect(engine).get_table_names()) >= LEDGER_TABLES
    finally:
        engine.dispose()
