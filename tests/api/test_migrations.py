"""Migrations: the app's start creates the schema, the schema equals the models, constraints hold."""

import subprocess
import sys
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.app import create_app
from api.migrate import alembic_config, target_metadata, upgrade_database
from api.models import ChainEvent, ChainReceipt
from api.settings import ApiSettings
from chain.paths import PROJECT_ROOT
from tests.helpers.db import engine_on, session_on

TX = "0x" + "ab" * 32
BLOCK = "0x" + "cd" * 32


@pytest.fixture
def api_database_url(database_url: str) -> str:
    """An empty database: here the app's start itself must build the schema (elsewhere it comes migrated)."""
    return database_url


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def test_app_start_creates_the_schema_at_head(api_settings: ApiSettings):
    with TestClient(create_app(api_settings)):
        pass
    with engine_on(api_settings.database_url) as engine:
        assert {"alembic_version", "chain_receipts", "chain_events"} <= set(inspect(engine).get_table_names())
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_revision() == _head()


def test_migrations_match_the_models(client: TestClient, api_settings: ApiSettings):
    with engine_on(api_settings.database_url) as engine, engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        # Alembic compares a sequence of MetaData too: the API's and every package's below it.
        assert compare_metadata(context, target_metadata()) == []  # type: ignore[arg-type]


def test_upgrade_is_idempotent_and_downgrade_removes_the_tables(
    client: TestClient, api_settings: ApiSettings
):
    with engine_on(api_settings.database_url) as engine:
        upgrade_database(engine)  # already at head: nothing to do, nothing fails
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        tables = set(inspect(engine).get_table_names())
        assert not {"chain_receipts", "chain_events"} & tables
        upgrade_database(engine)
        assert {"chain_receipts", "chain_events"} <= set(inspect(engine).get_table_names())


def _treasury_event(**fields: Any) -> ChainEvent:
    """An `Executed` event of the Treasury, with `fields` set or changed."""
    defaults: dict[str, Any] = {
        "log_index": 0,
        "contract_name": "Treasury",
        "contract_type": "Treasury",
        "contract_address": "0x" + "11" * 20,
        "event_name": "Executed",
        "args": {},
    }
    return ChainEvent(**{**defaults, **fields})


def test_an_event_needs_its_receipt(client: TestClient, api_settings: ApiSettings):
    """The foreign key is enforced on both backends (on SQLite only with the pragma)."""
    with session_on(api_settings.database_url) as session:
        session.add(_treasury_event(chain_id=1, tx_hash=TX))
        with pytest.raises(IntegrityError):
            session.commit()


def test_deleting_a_receipt_deletes_its_events_and_big_integers_survive(
    client: TestClient, api_settings: ApiSettings
):
    amount = 2**256 - 1
    with engine_on(api_settings.database_url) as engine:
        with Session(engine) as session:
            session.add(
                ChainReceipt(
                    chain_id=1,
                    tx_hash=TX,
                    block_number=7,
                    block_hash=BLOCK,
                    status=1,
                    events=[_treasury_event(log_index=3, args={"amount": amount})],
                )
            )
            session.commit()
        with Session(engine) as session:
            stored = session.get(ChainReceipt, (1, TX))
            assert stored is not None
            assert stored.events[0].args == {"amount": amount}
        with engine.begin() as connection:  # plain SQL: the database's own ON DELETE CASCADE does the work
            connection.execute(text("DELETE FROM chain_receipts"))
            assert connection.execute(text("SELECT count(*) FROM chain_events")).scalar_one() == 0


# A process that imports everything, says it is ready, and migrates when told to go: Alembic's context is
# process-global, so concurrent migrations are a matter of processes (several API workers), not threads.
MIGRATE_ON_GO = """
import sys
from api.db import make_engine
from api.migrate import upgrade_database
engine = make_engine(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
upgrade_database(engine)
engine.dispose()
"""
PROCESSES = 3


@pytest.mark.pg
@pytest.mark.slow
def test_processes_starting_together_migrate_once(pg_url: str):
    """The advisory lock serialises concurrent upgrades of one PostgreSQL database."""
    children = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE_ON_GO, pg_url],
            cwd=PROJECT_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    try:
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline() == "ready\n"
        for child in children:  # all told before any is waited for
            assert child.stdin is not None
            child.stdin.write("go\n")
            child.stdin.flush()
        outputs = [child.communicate(timeout=60)[0] for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    assert [child.returncode for child in children] == [0] * PROCESSES, outputs
    with engine_on(pg_url) as engine:
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        assert versions == [_head()]
