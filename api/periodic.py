"""Background rounds while the API serves: the ledger's expiries, lapsed authorizations, stale FX quotes.

Each is one blocking function run in a worker thread every `interval` seconds for the app's life (a
router's lifespan), so no separate worker process is needed; 0 turns it off (cron then runs the package's
command line instead). A round must be safe with several API processes doing the same at once (each says
why it is). A failed round is logged and retried at the next interval; it never stops the API.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

import anyio.to_thread


async def _every(name: str, interval: float, round_: Callable[[], int], log: logging.Logger) -> None:
    while True:
        try:
            done = await anyio.to_thread.run_sync(round_)
            if done:
                log.info(name, extra={"count": done})
        except Exception:
            log.exception(f"{name}: the round failed")
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def every(
    name: str, interval: float, round_: Callable[[], int], log: logging.Logger
) -> AsyncIterator[None]:
    """Run `round_` (which answers how many things it did, logged as `name` when not 0) every `interval`
    seconds for the context's life; nothing when `interval` is 0."""
    if interval <= 0:
        yield
        return
    task = asyncio.create_task(_every(name, interval, round_, log), name=name)
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
