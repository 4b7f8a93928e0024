"""A client of `/v1/markets/{id}/stream` as a trading program would write one: a local copy of the book kept
from the snapshot and the updates, a gap in `seq` detected and repaired by asking for a fresh snapshot."""

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from starlette.testclient import TestClient, WebSocketTestSession

from tests.api.merchants.conftest import Caller

Level = dict[str, str]


class LocalBook:
    """The book as the stream told it: price -> shown quantity per side (decimal strings, as sent)."""

    def __init__(self, websocket: WebSocketTestSession, drop: frozenset[int] = frozenset()) -> None:
        self.websocket = websocket
        self.sides: dict[str, dict[str, str]] = {"buy": {}, "sell": {}}
        self.seq: int | None = None  # None: waiting for a snapshot
        self.drop = drop
        """Update seqs to lose on purpose, as a lossy link would."""
        self.gaps = 0
        self.updates: list[int] = []
        self.trades: list[dict[str, Any]] = []

    def receive(self) -> dict[str, Any]:
        """Take one message and apply it; a gap asks for a resync and waits for its snapshot."""
        message: dict[str, Any] = self.websocket.receive_json()
        if message["type"] == "snapshot":
            self.sides = {
                "buy": {level["price"]: level["qty"] for level in message["bids"]},
                "sell": {level["price"]: level["qty"] for level in message["asks"]},
            }
            self.seq = message["seq"]
        elif message["type"] == "update" and message["seq"] not in self.drop:
            if self.seq is None:
                pass  # a resync is on its way: the snapshot covers this update
            elif message["seq"] != self.seq + 1:
                self.gaps += 1
                self.seq = None
                self.websocket.send_json({"op": "resync"})
            else:
                for change in message["changes"]:
                    levels = self.sides[change["side"]]
                    if change["qty"] == "0":
                        del levels[change["price"]]
                    else:
                        levels[change["price"]] = change["qty"]
                self.seq = message["seq"]
                self.updates.append(message["seq"])
                self.trades.extend(message["trades"])
        return message

    def follow(self, seq: int) -> None:
        """Receive until the local book is at update `seq`."""
        while self.seq is None or self.seq < seq:
            self.receive()

    def view(self) -> dict[str, list[Level]]:
        """The book as `/v1/markets/{id}/book` shows it: bids highest first, asks lowest first."""

        def side(name: str, best_first: bool) -> list[Level]:
            prices = sorted(self.sides[name], key=Decimal, reverse=best_first)
            return [{"price": price, "qty": self.sides[name][price]} for price in prices]

        return {"bids": side("buy", True), "asks": side("sell", False)}


def stream_path(market: str = "TPW-tUSD") -> str:
    return f"/v1/markets/{market}/stream"


@contextmanager
def connect(caller: Caller, market: str = "TPW-tUSD", **options: Any) -> Iterator[LocalBook]:
    """A stream of `market` with `caller`'s key, its first snapshot applied."""
    assert isinstance(caller.client, TestClient)
    headers = {"Authorization": f"Bearer {caller.token}"}
    with caller.client.websocket_connect(stream_path(market), headers=headers) as websocket:
        book = LocalBook(websocket, **options)
        assert book.receive()["type"] == "snapshot"
        yield book


def current_seq(caller: Caller, market: str = "TPW-tUSD") -> int:
    """The stream's sequence now, as a new subscriber's snapshot says it."""
    with connect(caller, market) as fresh:
        assert fresh.seq is not None
        return fresh.seq


def rest_book(caller: Caller, market: str = "TPW-tUSD") -> dict[str, list[Level]]:
    book = caller.get(f"/v1/markets/{market}/book?depth=100").json()
    return {"bids": book["bids"], "asks": book["asks"]}
