"""Fixtures of the webhooks' domain tests: the tables on each backend, a sealing key, a tenant's endpoint.

The tables come from the webhooks' metadata (fast, per test); tests/api/test_migrations.py proves the
Alembic chain builds the same schema.
"""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session, sessionmaker

from payments.merchants.model import MerchantStatus
from payments.merchants.schema import merchants
from payments.merchants.schema import metadata as merchants_metadata
from payments.webhooks import endpoints
from payments.webhooks.endpoints import Endpoint
from payments.webhooks.ids import now_ms
from payments.webhooks.schema import metadata
from payments.webhooks.sealing import SecretBox, create_key_file
from tests.helpers.db import database_url, engine_on, pg_url, sqlite_url  # noqa: F401  (fixtures)

MERCHANT = "acct_merchant_a"
MERCHANTS = (MERCHANT, "acct_other")
"""The merchants the tests' endpoints and events belong to (the tenant columns are foreign keys)."""
OpenEndpoint = Callable[..., tuple[Endpoint, str]]


def merchant_row(merchant_id: str) -> dict[str, object]:
    """A merchants row with every fee at zero (only its id matters to webhooks)."""
    now = datetime.now(UTC)
    fees = {column.name: 0 for column in merchants.c if column.name.endswith(("_fee_bps", "_fee_fixed"))}
    return {
        "id": merchant_id,
        "legal_name": merchant_id,
        "country": "DE",
        "settlement_currency": "EUR",
        "status": MerchantStatus.ACTIVE.value,
        "created_at": now,
        "updated_at": now,
        **fees,
    }


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:  # noqa: F811
    """Empty webhooks tables on this test's database (the API's engine; the worker's runs in subprocesses)."""
    with engine_on(database_url) as engine:
        merchants_metadata.create_all(engine)
        metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(insert(merchants), [merchant_row(merchant_id) for merchant_id in MERCHANTS])
        yield engine


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine)


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "webhooks" / "secrets.key"
    assert create_key_file(path)
    return path


@pytest.fixture
def box(key_file: Path) -> SecretBox:
    return SecretBox.from_file(key_file)


@pytest.fixture
def open_endpoint(sessions: sessionmaker[Session], box: SecretBox) -> OpenEndpoint:
    """Create and commit a sandbox endpoint: `open_endpoint(url, events=("*",), merchant_id=..., ...)`."""

    def open_(
        url: str, events: tuple[str, ...] = ("*",), merchant_id: str = MERCHANT, livemode: bool = False
    ) -> tuple[Endpoint, str]:
        with sessions() as session:
            made = endpoints.create(
                session,
                box,
                merchant_id=merchant_id,
                livemode=livemode,
                url=url,
                enabled_events=events,
                allow_loopback=True,
                now=now_ms(),
            )
            session.commit()
        return made

    return open_
