"""Schema migrations run from code: the Alembic config is built here, so no alembic.ini and no cwd matter.

The app calls `upgrade_database` at start. Developers use the same config for every Alembic command:
`python -m api.migrate revision --autogenerate -m "add ledger"`, `python -m api.migrate current`, ...
(the database is `TPW_DATABASE_URL`).
"""

import sys
from pathlib import Path
from typing import Final

from alembic import command
from alembic.config import CommandLine, Config
from sqlalchemy import Engine, MetaData

import api.models  # noqa: F401  (registers the API's tables on Base.metadata)
import ledger.schema
import payments.merchants.schema
from api.db import Base

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SCHEMA_METADATA: Final[list[MetaData]] = [
    Base.metadata,
    ledger.schema.metadata,
    payments.merchants.schema.metadata,
]
"""Every table of the database, as the packages that own them declare it: the API's models, the ledger's
tables, the merchants'. The one Alembic chain migrates them all (autogenerate's target, and what the tests
compare a migrated database with); a package with tables of its own adds its MetaData here."""


def alembic_config() -> Config:
    """Alembic's config for the API's migrations; `env.py` takes the database from the settings or caller."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    """Bring `engine`'s database to `revision` in one transaction (on PostgreSQL, under an advisory lock)."""
    config = alembic_config()
    with engine.begin() as connection:
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
