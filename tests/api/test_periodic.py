"""The API's background rounds: lapsed authorizations canceled and stale FX quotes removed while it serves,
every interval the settings give, and not at all when the interval is 0."""

import time
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from api.app import create_app
from api.auth import issue_api_key
from api.settings import ApiSettings
from ledger.ids import NS_PER_SECOND, now_ns
from payments.fx.quotes import QuoteRequest, create_quote
from payments.fx.schema import quotes
from payments.intents.model import RailKind
from payments.intents.schema import payment_intents
from tests.helpers.db import engine_on, session_on
from tests.payments.fx.conftest import ROUND_RATES
from tests.payments.intents.conftest import ScriptedRail

DAY = 24 * 3600 * NS_PER_SECOND
INTERVALS = ("payment_lapse_interval_seconds", "fx_quote_cleanup_interval_seconds")


@pytest.fixture(params=[0.05, 0.0], ids=["every-50ms", "off"])
def interval(request: pytest.FixtureRequest) -> float:
    return float(request.param)


@pytest.fixture
def serving(api_settings: ApiSettings, interval: float) -> Iterator[TestClient]:
    settings = api_settings.model_copy(update=dict.fromkeys(INTERVALS, interval))
    app = create_app(settings)
    app.state.payment_rails = {RailKind.CARD: ScriptedRail()}
    with TestClient(app) as client:
        yield client


def _until(done: Callable[[], bool], seconds: float = 1.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.02)
    return done()


def test_a_lapsed_authorization_is_canceled_while_the_api_serves(
    serving: TestClient, api_settings: ApiSettings, interval: float
) -> None:
    with session_on(api_settings.database_url) as session:
        token = issue_api_key(session, "desk", ("payments:read", "payments:write")).token
    headers = {"Authorization": f"Bearer {token}"}

    def post(path: str, body: dict[str, str]) -> dict[str, str]:
        answer = serving.post(
            path, json=body, headers={**headers, "Idempotency-Key": f"{path}-{time.time_ns()}"}
        )
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    body = {"amount": "500", "currency": "EUR", "capture_method": "manual", "payment_method": "pm_ok"}
    lapsing, fresh = (post("/v1/payment-intents", body)["id"] for _ in range(2))
    for intent_id in (lapsing, fresh):
        assert post(f"/v1/payment-intents/{intent_id}/confirm", {})["status"] == "requires_capture"
    with engine_on(api_settings.database_url) as engine, engine.begin() as connection:
        connection.execute(
            update(payment_intents)
            .where(payment_intents.c.id == lapsing)
            .values(updated_at=now_ns() - 8 * DAY)
        )

    def status(intent_id: str) -> tuple[str, str | None]:
        intent = serving.get(f"/v1/payment-intents/{intent_id}", headers=headers).json()
        return intent["status"], intent["cancellation_reason"]

    assert _until(lambda: status(lapsing) == ("canceled", "automatic")) is (interval > 0)
    assert status(fresh) == ("requires_capture", None)


def test_stale_quotes_are_removed_while_the_api_serves(
    serving: TestClient, api_settings: ApiSettings, interval: float
) -> None:
    with engine_on(api_settings.database_url) as engine:
        with engine.begin() as connection:
            ask = QuoteRequest("EUR", "USD", sell_amount=500)
            made = [
                create_quote(connection, ROUND_RATES, ask, owner="desk", spread_bps=0, ttl_seconds=30, now=at)
                for at in (now_ns() - 2 * DAY, now_ns())
            ]

        def kept() -> set[str]:
            with engine.connect() as connection:
                return set(connection.scalars(select(quotes.c.id)))

        assert _until(lambda: kept() == {made[1].id}) is (interval > 0)
        assert made[1].id in kept()
