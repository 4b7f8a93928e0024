"""The monitoring API tests' fixtures: the app with its monitoring round off (a test runs it, at the moment
it chooses, through `app.state.monitor`) and a clock the test sets."""

import pytest
from fastapi import FastAPI

from api.app import create_app
from api.settings import ApiSettings
from tests.api.ledger.conftest import api, open_account  # noqa: F401  (fixtures)
from tests.risk.monitoring.conftest import Clock


@pytest.fixture
def app(api_settings: ApiSettings) -> FastAPI:
    return create_app(api_settings.model_copy(update={"monitoring_interval_seconds": 0}))


@pytest.fixture
def clock(app: FastAPI) -> Clock:
    app.state.monitoring_clock = clock = Clock()
    return clock
