"""`make devnet` / `make demo` put the API on PostgreSQL when `TPW_DATABASE_URL` names it (issue 9, point 11):
in a schema of the devnet's own, fresh each start, nothing else in the database touched; SQLite otherwise."""

import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, make_url, text

from scripts._support.stack.config import DevnetSettings
from scripts._support.stack.database import drop_postgres_schema
from scripts._support.stack.devnet import DevnetStack
from tests.helpers.db import pg_server_url, pg_unreachable_reason


def test_without_a_postgresql_url_the_api_gets_a_fresh_sqlite_file(tmp_path: Path) -> None:
    for configured in (None, f"sqlite:///{tmp_path / 'elsewhere.db'}"):
        stack = DevnetStack(DevnetSettings(database_url=configured))
        assert stack.api_database_url(tmp_path) == f"sqlite:///{tmp_path / 'tpwallet.db'}"


@pytest.mark.pg
def test_a_postgresql_url_gets_a_fresh_schema_of_the_devnets_own(tmp_path: Path) -> None:
    reason = pg_unreachable_reason()
    if reason is not None:
        pytest.fail(reason)
    schema = f"tpw_devnet_test_{uuid.uuid4().hex[:12]}"
    neighbour = f"{schema}_other"
    stack = DevnetStack(DevnetSettings(database_url=pg_server_url(), devnet_schema=schema))
    admin = create_engine(pg_server_url())
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{neighbour}"'))
            connection.execute(text(f'CREATE TABLE "{neighbour}".kept (id int)'))
        url = stack.api_database_url(tmp_path)
        assert make_url(url).query["options"] == f"-csearch_path={schema}"
        api = create_engine(url)
        try:
            with api.begin() as connection:
                connection.execute(text("CREATE TABLE leftover (id int)"))
            assert inspect(api).get_table_names() == ["leftover"]
            stack.api_database_url(tmp_path)  # the next start
            assert inspect(api).get_table_names() == []  # fresh again
        finally:
            api.dispose()
        assert inspect(admin).get_table_names(schema=neighbour) == ["kept"]  # nothing else touched
    finally:
        drop_postgres_schema(pg_server_url(), schema)
        drop_postgres_schema(pg_server_url(), neighbour)
        admin.dispose()
