"""Waiting on another process's progress: poll a condition until it holds or a deadline passes."""

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll `condition` every `interval` seconds until it holds (True) or `timeout` seconds pass (False):
    for a separate process whose progress a test watches (a relay, a watcher), where no event says when."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True
