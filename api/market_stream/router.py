"""`/v1/markets/{id}/stream`: a WebSocket of one market's book changes and trades (issue 13, point 8), for
the spot markets and the perpetual TPW-PERP alike (`matching.spot.feed.MarketData`).

Authorized as the REST market data is: a merchant's key with `orders:read` in `Authorization: Bearer`, and
the market of the key's mode (a sandbox key streams the sandbox book: paper trading). A refusal comes
before the upgrade, as the HTTP problem document the REST route would answer (401, 403, 404 for an unknown
market); a market id that is not one at all closes with 1008 naming the parameter.

Messages (JSON text, `api.markets.schemas`): first a `snapshot` of the whole book with its `seq`, then one
`update` per command that changed the book or traded (`matching.spot.feed`), each with `seq` one above the
previous message's. A client applies updates to its copy of the snapshot; when `seq` jumps it has missed
one, and it sends `{"op": "resync"}` to get a fresh `snapshot` (or reconnects). Updates queued before the
fresh snapshot are dropped, so the next update is again its `seq + 1`. The sequence goes on across the
server's restarts (`matching.spot.feed.Feed`): a seq never repeats, so a client that kept one sees a jump.

A client is never waited for: the market offers each update to a bounded queue
(`ApiSettings.market_stream_queue`), and a client whose queue is full is closed with code 4001
(`SLOW_CONSUMER`); it reconnects and starts from a snapshot. Closing the market (the app stopping) closes
its streams with 1001.
"""

import asyncio
import json
from typing import Final

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from api.deps import OrdersReader
from api.market_stream.service import snapshot_text, update_text
from api.markets.router import MarketPath
from api.markets.service import Units, open_market_data
from matching.spot.feed import MarketData, Snapshot, Subscription

router = APIRouter(prefix="/v1/markets", tags=["markets"])

SLOW_CONSUMER: Final = 4001
"""Close code: the client fell `market_stream_queue` updates behind."""
GOING_AWAY: Final = 1001
RESYNC: Final = "resync"
UNKNOWN_REQUEST: Final = json.dumps(
    {"type": "error", "field": "op", "detail": 'the only request is {"op": "resync"}'}
)


class _Session:
    """One client's stream: the send loop and, beside it, a listener for its requests."""

    def __init__(self, websocket: WebSocket, market: MarketData, spec: Units, livemode: bool) -> None:
        self.websocket = websocket
        self.market = market
        self.spec = spec
        self.livemode = livemode
        self.woken = asyncio.Event()
        self.resync_asked = False

    async def run(self, capacity: int) -> None:
        loop = asyncio.get_running_loop()

        def wake() -> None:  # called from the market's thread: never blocks it
            loop.call_soon_threadsafe(self.woken.set)

        subscription, snapshot = await run_in_threadpool(self.market.subscribe, capacity, wake)
        try:
            await self._send_snapshot(snapshot)
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(self._listen, tasks.cancel_scope)
                await self._forward(subscription)
                tasks.cancel_scope.cancel()
        finally:
            await run_in_threadpool(self.market.unsubscribe, subscription)

    async def _send_snapshot(self, snapshot: Snapshot) -> None:
        await self.websocket.send_text(snapshot_text(self.spec, self.livemode, snapshot))

    async def _forward(self, subscription: Subscription) -> None:
        """Send what the market queued until the client is dropped or the market closes."""
        while True:
            await self.woken.wait()
            self.woken.clear()
            if self.resync_asked:
                self.resync_asked = False
                await self._send_snapshot(await run_in_threadpool(self.market.resync, subscription))
            for update in subscription.take():
                await self.websocket.send_text(update_text(self.spec, update))
            if subscription.overflowed:
                reason = f"slow consumer: more than {subscription.capacity} updates queued; resync"
                await self.websocket.close(SLOW_CONSUMER, reason)
                return
            if subscription.closed:
                await self.websocket.close(GOING_AWAY, "the market closed")
                return

    async def _listen(self, scope: anyio.CancelScope) -> None:
        """Take the client's requests (`{"op": "resync"}`); its leaving ends the stream."""
        try:
            while True:
                text = await self.websocket.receive_text()
                try:
                    op = json.loads(text).get("op")
                except (ValueError, AttributeError):
                    op = None
                if op == RESYNC:
                    self.resync_asked = True
                    self.woken.set()
                else:
                    await self.websocket.send_text(UNKNOWN_REQUEST)
        except WebSocketDisconnect:
            scope.cancel()


@router.websocket("/{market_id}/stream", name="market_stream")
async def stream(websocket: WebSocket, market_id: MarketPath, tenant: OrdersReader) -> None:
    """Scope `orders:read`. The book's snapshot, then its changes and trades with contiguous `seq`."""
    market, spec = await run_in_threadpool(open_market_data, websocket.app.state, tenant, market_id)
    await websocket.accept()
    capacity: int = websocket.app.state.settings.market_stream_queue
    await _Session(websocket, market, spec, tenant.livemode).run(capacity)
