"""Migration 0007 builds exactly the ledger's tables on both backends, and takes them away again."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import api.models  # noqa: F401  (tables on Base.metadata)
import ledger.schema
from api.db import Base, make_engine
from api.migrate import alembic_config, upgrade_database

LEDGER_TABLES = {"ledger_accounts", "ledger_transfers"}


def test_upgrade_builds_the_ledger_schema_and_downgrade_removes_it(database_url: str):
    engine = make_engine(database_url)
    try:
        upgrade_database(engine)
        assert set(inspect(engine).get_table_names()) >= LEDGER_TABLES
        with engine.connect() as connection:
            # Only the API's and the ledger's tables: later migrations add other packages' tables, which
            # tests/api/test_migrations.py compares against theirs.
            known = set(Base.metadata.tables) | set(ledger.schema.metadata.tables)
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "include_name": lambda name, kind, _parents: kind != "table" or name in known,
                },
            )
            target = [Base.metadata, ledger.schema.metadata]
            assert compare_metadata(context, target) == []  # type: ignore[arg-type]
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0006")
        assert not set(inspect(engine).get_table_names()) & LEDGER_TABLES
        upgrade_database(engine)
        assert set(inspect(engine).get_table_names()) >= LEDGER_TABLES
    finally:
        engine.dispose()
