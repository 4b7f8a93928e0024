"""`/v1/markets/{id}/stream`: a client that falls behind is closed with 4001 and the market never waits."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from starlette.websockets import WebSocketDisconnect

from api.market_stream.router import SLOW_CONSUMER
from api.orders.runtime import SpotMarkets, spec_for
from api.settings import ApiSettings
from matching.engine import Kind, Place, Side
from matching.markets import TPW_TUSD
from tests.api.merchants.conftest import Onboarded
from tests.api.orders.stream_client import LocalBook, connect
from tests.matching.spot.ledger_view import fund as fund_trader


def drain(book: LocalBook) -> WebSocketDisconnect:
    """Receive until the server closes the stream; how it closed."""
    try:
        while True:
            book.receive()
    except WebSocketDisconnect as closed:
        return closed


@pytest.fixture
def api_settings(api_settings: ApiSettings, database_url: str) -> ApiSettings:
    """Two queued updates a client (`database_url` named so the backends reach here)."""
    return api_settings.model_copy(update={"market_stream_queue": 2})


def test_a_slow_consumer_is_dropped_and_the_market_goes_on(client: TestClient, merchant_a: Onboarded) -> None:
    sandbox = spec_for(TPW_TUSD, False)
    markets: SpotMarkets = client.app.state.spot_markets  # type: ignore[attr-defined]
    with connect(merchant_a.sandbox) as book:
        market = markets.get("TPW-tUSD", False)
        assert market is not None
        assert isinstance(market.database, Engine)
        fund_trader(market.database, sandbox, 7, tpw=1, tusd=1_000)

        def burst() -> None:
            """Five updates while the app's event loop (hence the client's send loop) is stuck here."""
            for n in range(5):
                market.place(Place(0, 9_000 + n, 7, Side.BUY, Kind.LIMIT, 1, 200 + n))

        book.websocket.portal.call(burst)
        closed = drain(book)
        assert closed.code == SLOW_CONSUMER
        assert "slow consumer" in closed.reason
        assert book.updates == []  # the queue was let go at once: nothing stale was sent
        assert market.feed.subscribers == []
        assert len(market.book.engine.book.orders) == 5  # the market did not wait
