"""What every flow shares: the failure it raises, how it waits on the stack's processes, and the summary it
adds to."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from scripts._support.stack.config import Progress
from scripts._support.stack.devnet import DevnetStack

WAIT_SECONDS: Final = 30.0
POLL_SECONDS: Final = 0.25


class DemoFailed(RuntimeError):
    """A step of the flow did not produce what it should have."""


def wait_for(what: str, found: Callable[[], Any], seconds: float = WAIT_SECONDS) -> Any:
    """`found()`'s first answer that is not empty, polled until `seconds` (then the demo fails): how a flow
    waits on what the stack's own processes do."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        answer = found()
        if answer:
            return answer
        time.sleep(POLL_SECONDS)
    raise DemoFailed(f"{what}: not seen within {seconds:.0f}s")


@dataclass
class Summary:
    """What the demo proved, printed at the end."""

    rows: list[tuple[str, str]] = field(default_factory=list)

    def add(self, what: str, result: str) -> None:
        self.rows.append((what, result))

    def print(self, elapsed: float) -> None:
        Progress.heading(f"summary ({elapsed:.1f}s)")
        width = max(len(what) for what, _ in self.rows)
        for what, result in self.rows:
            print(f"  {what:<{width}}  {result}")


def listed(stack: DevnetStack, path: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A list route's first page, and its items over every page: the API's one pagination convention
    (`limit` and `cursor` in; `data`, `has_more` and `next_cursor` out)."""
    first = page = stack.get_json(path)
    items: list[dict[str, Any]] = list(page["data"])
    while page["has_more"]:
        page = stack.get_json(f"{path}?cursor={page['next_cursor']}")
        items += page["data"]
    return first, items
