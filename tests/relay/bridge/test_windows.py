"""The window reader's contract: a reader that leaves out `cursor_name` or `apply` cannot be constructed,
so the mistake shows where the reader is made, not on its first window; both bridge readers construct."""

from dataclasses import dataclass

import pytest
from sqlalchemy import Connection, Engine

from relay.bridge.vetoes import VetoWatcher
from relay.bridge.watcher import BridgeWatcher
from relay.bridge.windows import WindowReader
from tests.helpers.bridge_pair import Bridges

pytestmark = pytest.mark.devnet


@dataclass
class NamedOnly(WindowReader):
    """Names its cursor but applies nothing."""

    def cursor_name(self) -> str:
        return "named-only"


@dataclass
class AppliesOnly(WindowReader):
    """Applies windows but names no cursor."""

    def apply(self, connection: Connection, first: int, last: int) -> int:
        return last - first + 1


@pytest.mark.parametrize("reader", [NamedOnly, AppliesOnly])
def test_a_reader_missing_a_method_fails_at_construction(
    reader: type[WindowReader], bridges: Bridges, engine: Engine
) -> None:
    with pytest.raises(TypeError, match="abstract"):
        reader(bridges.l1, engine, confirmations=1)


def test_the_bridge_readers_construct(bridges: Bridges, engine: Engine) -> None:
    assert BridgeWatcher(bridges.l1, engine, 1).cursor_name().startswith("bridge:31337:")
    assert VetoWatcher(bridges.l2, engine, 1).cursor_name().startswith("bridge-vetoes:")
