"""Migrations 0016, 0019 and 0027 build exactly the factors' tables on both backends, and take them away."""

import pytest
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
PROOF_TABLES = {"risk_factor_proofs"}
PROOF_REVISION = "0019"
PASSKEY_TABLES = {"risk_factor_passkey_challenges"}
PASSKEY_REVISION = "0027"


def previous_revision(revision: str = REVISION) -> str:
    """The revision `revision` follows (re-chained when branches merge, so read, not written here)."""
    previous = ScriptDirectory.from_config(alembic_config()).get_revision(revision).down_revision
    assert isinstance(previous, str)
    return previous


def test_upgrade_builds_the_factor_schema_and_downgrade_removes_it(database_url: str):
    assert set(metadata.tables) == FACTOR_TABLES | PROOF_TABLES | PASSKEY_TABLES
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


@pytest.mark.parametrize(
    ("revision", "added", "kept"),
    [
        (PROOF_REVISION, PROOF_TABLES, FACTOR_TABLES),
        (PASSKEY_REVISION, PASSKEY_TABLES, FACTOR_TABLES | PROOF_TABLES),
    ],
)
def test_a_later_migration_adds_and_removes_only_its_table(
    database_url: str, revision: str, added: set[str], kept: set[str]
):
    with engine_on(database_url) as engine:
        upgrade_database(engine)
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, previous_revision(revision))
        tables = set(inspect(engine).get_table_names())
        assert tables >= kept
        assert not tables & added
        upgrade_database(engine)
        assert set(inspect(engine).get_table_names()) >= kept | added
