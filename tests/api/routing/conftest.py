"""Fixtures of the routing routes' tests: the orders tests' merchants and funding, the app's routing clock
set at the recorded outside venue's first snapshot (so its depth is known), and the runner driven by hand."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings
from tests.api.merchants.conftest import (  # noqa: F401  (fixtures)
    admin,
    merchant_a,
    merchant_b,
    operator,
    session,
)
from tests.api.orders.conftest import fund  # noqa: F401  (fixtures)
from tests.helpers.policy import Clock as ManualClock

RECORDING_START = 1_796_601_600_000_000
"""µs of config/venues/outside.jsonl's first snapshot."""


@pytest.fixture
def app(api_settings: ApiSettings) -> FastAPI:
    """No background round: the tests run `app.state.parent_orders.run_due` themselves."""
    return create_app(api_settings.model_copy(update={"routing_interval_seconds": 0}))


@pytest.fixture
def clock(app: FastAPI, client: TestClient) -> ManualClock:
    manual = ManualClock(RECORDING_START)
    app.state.routing_clock = manual
    return manual
