"""Migration 0016 builds exactly the factors' tables on both backends, and takes them away again."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from api.migrate import alembic_config, target_metadata, upgrade_database
from risk.factors.schema import metadata
from tests.helpers.db import engine_on

FACTOR_TABLES = {
    "risk_factor_totp",
    "risk_factor_payment_passwords",
    "risk_factor_recovery_codes",
    "risk_factor_lockouts",
}
REVISION = "0016"


def previous_revision() -> str:
    """The revision 0016 follows (re-chained when branches merge, so read, not written here)."""
    previous = ScriptDirectory.from_config(alembic_config()).get_revision(REVISION).down_revision
    assert isinstance(previous, str)
    return previous


def test_upgrade_builds_the_factor_schema_and_downgrade_removes_it(database_url: str):
    assert set(metadata.tables) == FACTOR_TABLES
    with engine_on(database_url) as engine:
        upgrade_database(engine)
        assert set(inspect(engine).get_table_names()) >= FACTOR_TABLES
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, target_metadata()) == []  # type: ignore[arg-type]
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, previous_revision())
        assert not set(inspect(engine).get_table_names()) & FACTOR_TABLES
        upgrade_database(engine)
        assert set(inspect(engine).get_table_names()) >= FACTOR_TABLES
