"""The local stack API's database: a fresh SQLite file in the run's directory by default, or, when
`TPW_DATABASE_URL` names a PostgreSQL database, a schema of its own there (`TPW_DEVNET_SCHEMA`, default
`tpw_devnet`) that each start drops and creates afresh, so nothing else in that database is touched.
"""

from pathlib import Path

from sqlalchemy import create_engine, make_url, text

from scripts._support.stack.config import DevnetSettings, StackError


def api_database_url(settings: DevnetSettings, run_dir: Path) -> str:
    """The API's database: `settings.database_url` when it names PostgreSQL (in a fresh schema of
    `settings.devnet_schema`), else a fresh SQLite file in the run's directory."""
    configured = settings.database_url
    if not configured or make_url(configured).get_backend_name() != "postgresql":
        return f"sqlite:///{run_dir / 'tpwallet.db'}"
    return fresh_postgres_schema(configured, settings.devnet_schema)


def fresh_postgres_schema(database_url: str, schema: str) -> str:
    """Drop and create `schema` in the PostgreSQL database at `database_url` (only that schema); the URL
    with its search path set to it."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:
        raise StackError(
            f"cannot prepare schema {schema!r} in the PostgreSQL database of TPW_DATABASE_URL "
            f"({type(error).__name__}): is the server up and the database there?"
        ) from None
    finally:
        engine.dispose()
    url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def drop_postgres_schema(database_url: str, schema: str) -> None:
    """Drop `schema` (and everything in it) from the PostgreSQL database at `database_url`."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        engine.dispose()
