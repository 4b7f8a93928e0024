"""The API database at the migrations' head, SQLite and PostgreSQL, for the bridge relay's records."""

from tests.helpers.db import (  # noqa: F401  (fixtures)
    database_url,
    head_templates,
    migrated_database_url,
    pg_url,
    sqlite_url,
)
from tests.relay.bridge.conftest import engine  # noqa: F401  (fixture)
