"""The SQL constraint naming convention shared by every package whose tables live in the project's database.

The API's models and the ledger's tables are migrated by one Alembic chain (api/migrations), and a migration
names the constraint it alters, so both metadata objects must name constraints the same way. The convention
lives here, in the bottom layer, because the ledger may import `chain` and nothing else of the project, while
the API may import anything below it: one definition, no copy.
"""

from typing import Final

SQL_NAMING_CONVENTION: Final[dict[str, str]] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
