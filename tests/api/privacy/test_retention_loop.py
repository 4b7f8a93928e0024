"""The retention job while the API serves: every `TPW_PRIVACY_RETENTION_INTERVAL_SECONDS`, and not at all
when it is 0 (cron then runs `python -m api.privacy retention`)."""

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select

from api.app import create_app
from api.settings import ApiSettings
from risk.identity.schema import siwe_nonces
from tests.api.test_periodic import _until
from tests.helpers.db import engine_on


@pytest.fixture(params=[0.05, 0.0], ids=["every-50ms", "off"])
def interval(request: pytest.FixtureRequest) -> float:
    return float(request.param)


@pytest.fixture
def serving(api_settings: ApiSettings, interval: float) -> Iterator[ApiSettings]:
    settings = api_settings.model_copy(update={"privacy_retention_interval_seconds": interval})
    with TestClient(create_app(settings)):
        yield settings


def test_expired_rows_are_removed_while_the_api_serves(serving: ApiSettings, interval: float) -> None:
    now = int(time.time())
    with engine_on(serving.database_url) as engine:
        with engine.begin() as connection:
            connection.execute(
                insert(siwe_nonces),
                [{"nonce": "stale", "expires_at": now - 60}, {"nonce": "live", "expires_at": now + 3600}],
            )

        def left() -> set[str]:
            with engine.connect() as connection:
                return set(connection.scalars(select(siwe_nonces.c.nonce)))

        assert _until(lambda: left() == {"live"}) is (interval > 0)
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(siwe_nonces)) == (1 if interval else 2)
