"""`/v1/markets/{id}/stream`: a local book kept from the stream equals the REST book after a random order
flow; a lost update is detected and resynced; many subscribers at once; the sandbox and live books stream
apart; refusals before the upgrade (the slow consumer: test_stream_slow.py)."""

import random
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from api.auth import issue_api_key
from tests.api.merchants.conftest import Caller, Onboarded
from tests.api.orders.conftest import Fund
from tests.api.orders.stream_client import connect, current_seq, rest_book, stream_path

ORDERS = "/v1/orders"


def random_flow(callers: list[Caller], steps: int, seed: int) -> int:
    """`steps` random orders, cancels and amends around 2.50 from `callers`; how many trades printed."""
    rng = random.Random(seed)
    resting: list[tuple[Caller, str]] = []
    traded = 0
    for _ in range(steps):
        caller = rng.choice(callers)
        roll = rng.random()
        if roll < 0.15 and resting:
            owner, order_id = resting.pop(rng.randrange(len(resting)))
            assert owner.delete(f"{ORDERS}/{order_id}").status_code == 200
        elif roll < 0.25 and resting:
            owner, order_id = rng.choice(resting)
            owner.request("PATCH", f"{ORDERS}/{order_id}", {"qty": "1"})  # 422 once it filled: fine
        else:
            body: dict[str, Any] = {
                "market": "TPW-tUSD",
                "side": rng.choice(["buy", "sell"]),
                "price": f"2.{rng.randrange(40, 61)}",
                "qty": str(rng.randrange(1, 6)),
                "time_in_force": rng.choice(["gtc", "gtc", "gtc", "ioc"]),
            }
            placed = caller.post(ORDERS, body)
            assert placed.status_code == 201, placed.text
            order = placed.json()
            traded += order["filled_qty"] != "0"
            if order["status"] in ("open", "partially_filled"):
                resting.append((caller, order["id"]))
    return traded


@pytest.fixture
def traders(merchant_a: Onboarded, merchant_b: Onboarded, fund: Fund) -> list[Caller]:
    """Both merchants' sandbox keys, funded: the paper-trading books."""
    for merchant in (merchant_a, merchant_b):
        fund(merchant, False, 1_000, 100_000)
    return [merchant_a.sandbox, merchant_b.sandbox]


def test_local_book_from_the_stream_equals_the_rest_book(traders: list[Caller]) -> None:
    a, b = traders
    with connect(a) as book:
        assert book.view() == {"bids": [], "asks": []}
        assert book.seq == 0
        traded = random_flow(traders, 80, seed=13)
        book.follow(current_seq(b))
        assert book.view() == rest_book(b)
        assert book.updates == list(range(1, book.seq + 1))  # contiguous, strictly increasing
        assert book.gaps == 0
    assert traded > 0
    rest_trades = a.get("/v1/markets/TPW-tUSD/trades?limit=1000").json()["data"]
    assert book.trades == rest_trades[::-1]  # the same trades, ids and times as the tape's


def test_a_lost_update_is_detected_and_resynced(traders: list[Caller]) -> None:
    a, b = traders
    with connect(a, drop=frozenset({3})) as book:
        random_flow(traders, 30, seed=7)
        book.follow(current_seq(b))
        assert book.gaps == 1
        assert 3 not in book.updates
        assert book.updates[:2] == [1, 2]
        assert book.view() == rest_book(a)
        random_flow(traders, 10, seed=8)  # after the resync, updates follow on contiguously
        book.follow(current_seq(b))
        assert book.gaps == 1
        assert book.view() == rest_book(a)


def test_many_subscribers_see_the_same_stream(traders: list[Caller]) -> None:
    with ExitStack() as stack:
        books = [stack.enter_context(connect(traders[i % 2])) for i in range(24)]
        random_flow(traders, 30, seed=21)
        last = current_seq(traders[0])
        for book in books:
            book.follow(last)
        expected = rest_book(traders[1])
        assert all(book.view() == expected for book in books)
        assert len({tuple(book.updates) for book in books}) == 1
        assert len({repr(book.trades) for book in books}) == 1


def test_sandbox_and_live_books_stream_apart(merchant_a: Onboarded, traders: list[Caller]) -> None:
    with connect(merchant_a.live) as live, connect(merchant_a.sandbox) as sandbox:
        random_flow(traders, 10, seed=3)
        sandbox.follow(current_seq(merchant_a.sandbox))
        assert sandbox.view() == rest_book(merchant_a.sandbox) != {"bids": [], "asks": []}
        assert current_seq(merchant_a.live) == 0
        assert live.view() == {"bids": [], "asks": []}


def test_unknown_requests_are_answered_and_the_stream_goes_on(traders: list[Caller]) -> None:
    with connect(traders[0]) as book:
        book.websocket.send_text("hello")
        error = book.websocket.receive_json()
        assert (error["type"], error["field"]) == ("error", "op")
        book.websocket.send_json({"op": "resync"})
        assert book.receive()["type"] == "snapshot"


def test_refusals_come_before_the_upgrade(client: TestClient, session: Any, merchant_a: Onboarded) -> None:
    def refused(path: str, token: str | None) -> WebSocketDenialResponse:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with pytest.raises(WebSocketDenialResponse) as denied:
            client.websocket_connect(path, headers=headers).__enter__()
        return denied.value

    unknown = refused(stream_path("BTC-USD"), merchant_a.sandbox.token)
    assert unknown.status_code == 404
    assert unknown.json()["type"].endswith("market-not-found")
    assert refused(stream_path(), None).status_code == 401
    assert refused(stream_path(), "tpw_test_0123456789abcdef_" + "x" * 43).status_code == 401
    operator = issue_api_key(session, "desk", ["ledger:read"]).token
    assert refused(stream_path(), operator).status_code == 403
    headers = {"Authorization": f"Bearer {merchant_a.sandbox.token}"}
    with pytest.raises(WebSocketDisconnect) as closed:
        client.websocket_connect(stream_path("bad$id"), headers=headers).__enter__()
    assert closed.value.code == 1008
