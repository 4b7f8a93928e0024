"""Schema migrations run from code: the Alembic config is built here, so no alembic.ini and no cwd matter.

The app calls `upgrade_database` at start. Developers use the same config for every Alembic command:
`python -m api.migrate revision --autogenerate -m "add ledger"`, `python -m api.migrate current`, ...
(the database is `TPW_DATABASE_URL`).
"""

import sys
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import CommandLine, Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData

import api.models
import api.orders.table
import api.routing.table
import ledger.schema
import matching.options_market.records
import matching.perp_market.records
import matching.settlement.schema
import payments.bridge.schema
import payments.fx.schema
import payments.intents.schema
import payments.merchants.schema
import payments.rails.bank.holds
import payments.rails.stablecoin.schema
import payments.reconciliation.schema
import payments.webhooks.schema
import risk.audit.schema
import risk.cases.schema
import risk.decisions.schema
import risk.devices.schema
import risk.factors.schema
import risk.identity.schema
import risk.kyc.schema
import risk.monitoring.schema
import risk.pretrade.schema
import risk.privacy.schema
import risk.screening.schema
from api.db import Base

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def target_metadata() -> list[MetaData]:
    """Every table of the database: the API's models and the tables of the packages below the API (each
    keeps its own MetaData). A package that adds tables adds its MetaData here, and only here: the migrations'
    environment and the tests that compare the migrated schema with the models read this list."""
    return [
        Base.metadata,
        ledger.schema.metadata,
        payments.merchants.schema.metadata,
        payments.intents.schema.metadata,
        payments.fx.schema.metadata,
        payments.webhooks.schema.metadata,
        payments.rails.stablecoin.schema.metadata,
        payments.rails.bank.holds.metadata,
        payments.reconciliation.schema.metadata,
        risk.identity.schema.metadata,
        risk.factors.schema.metadata,
        risk.screening.schema.metadata,
        risk.kyc.schema.metadata,
        risk.devices.schema.metadata,
        risk.monitoring.schema.metadata,
        risk.decisions.schema.metadata,
        risk.cases.schema.metadata,
        risk.audit.schema.metadata,
        risk.privacy.schema.metadata,
        risk.pretrade.schema.metadata,
        api.orders.table.metadata,
        matching.settlement.schema.metadata,
        matching.perp_market.records.metadata,
        matching.options_market.records.metadata,
        api.routing.table.metadata,
        payments.bridge.schema.metadata,
    ]


def alembic_config() -> Config:
    """Alembic's config for the API's migrations; `env.py` takes the database from the settings or caller."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@cache
def migration_heads() -> frozenset[str]:
    """The head revisions of the migration scripts, read once per process: they are part of the code, and
    reading them (every revision file imported and compiled) is most of what `upgrade_database` costs when
    the database is already there (a quarter of a second, at every app start)."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    """Bring `engine`'s database to `revision` in one transaction (on PostgreSQL, under an advisory lock).

    A database already at the head is only read (its `alembic_version`), not handed to Alembic's upgrade,
    which would load every revision script and the environment again to find nothing to do. Anything else,
    including a database a concurrent process is migrating, goes through the upgrade and its lock."""
    with engine.begin() as connection:
        if revision == "head":
            current = MigrationContext.configure(connection).get_current_heads()
            if frozenset(current) == migration_heads():
                return
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def main(argv: list[str] | None = None) -> None:
    """Alembic's own command line over `alembic_config()`."""
    cli = CommandLine(prog="python -m api.migrate")
    options = cli.parser.parse_args(argv)
    if not hasattr(options, "cmd"):
        cli.parser.error("too few arguments")
    cli.run_cmd(alembic_config(), options)


if __name__ == "__main__":
    main(sys.argv[1:])
