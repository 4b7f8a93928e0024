"""Races for tests of what must hold under concurrency: the same action from several threads at once."""

import threading
from collections.abc import Callable


def run_concurrently(action: Callable[[], None], count: int) -> None:
    """Run `action` in `count` threads started together, and wait until every one has finished."""
    threads = [threading.Thread(target=action) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
