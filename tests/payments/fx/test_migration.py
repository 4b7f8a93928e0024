"""Migration 0011 adds FX's tables on top of the ledger's, and its downgrade takes only them away again (the
whole chain against every metadata is tests/api/test_migrations.py's)."""

from alembic import command
from sqlalchemy import inspect

from api.db import make_engine
from api.migrate import alembic_config, upgrade_database
from payments.fx.schema import metadata

FX_TABLES = set(metadata.tables)


def test_0011_adds_the_fx_tables_and_its_downgrade_removes_only_them(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade_database(engine)
        assert set(inspect(engine).get_table_names()) >= FX_TABLES | {"ledger_accounts"}
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0007")
        left = set(inspect(engine).get_table_names())
        assert not left & FX_TABLES
        assert "ledger_transfers" in left
        upgrade_database(engine)
        assert set(inspect(engine).get_table_names()) >= FX_TABLES
    finally:
        engine.dispose()
