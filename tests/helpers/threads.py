"""Races for tests of what must hold under concurrency: the same action from several threads at once."""

import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from tests.helpers.waiting import wait_until


def run_concurrently(action: Callable[[], None], count: int) -> None:
    """Run `action` in `count` threads started together, and wait until every one has finished."""
    threads = [threading.Thread(target=action) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def meet_at(
    monkeypatch: pytest.MonkeyPatch,
    module: ModuleType,
    name: str,
    first: Callable[[], object],
    second: Callable[[], object],
) -> list[Any]:
    """Run `first`, then `second`, in two threads that meet at `module.name`: the first waits there until
    the second arrives (the second starts only once the first is waiting), then both call the real function
    at the same moment. Returns what each call returned, in the order they finished; a failure of either
    thread is raised here, after both are joined."""
    together = threading.Barrier(2, timeout=60)
    real = getattr(module, name)
    results: list[Any] = []
    failures: list[BaseException] = []

    def at_once(*args: Any, **kwargs: Any) -> Any:
        together.wait()
        result = real(*args, **kwargs)
        results.append(result)
        return result

    def reporting(action: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            try:
                action()
            except BaseException as error:  # raised below, with the other thread's outcome known
                failures.append(error)

        return run

    monkeypatch.setattr(module, name, at_once)
    threads = [threading.Thread(target=reporting(action)) for action in (first, second)]
    threads[0].start()
    assert wait_until(lambda: together.n_waiting == 1, 60), f"the first thread never reached {name}"
    threads[1].start()
    for thread in threads:
        thread.join(120)
    if failures:
        raise failures[0]
    return results
