"""What both bridge readers share: the chain read in windows of confirmed blocks, each window applied to the
database in the transaction that moves the reader's cursor past it (`relay.cursor.ChainCursor`), so a crash
anywhere leaves the window to be read again and nothing applied twice. A reader says what its cursor is
called, what it does before a window (the message watcher checks for a reorg there) and what a window's
logs do (`BridgeWatcher` records messages, `VetoWatcher` applies vetoes)."""

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine

from chain.bridge.contracts import Bridge
from payments.bridge.schema import bridge_cursor_blocks
from relay.cursor import ChainCursor


@dataclass
class WindowReader(ABC):
    """Reads `bridge` from blocks at least `confirmations` deep, `max_blocks` at a time, into `engine`.
    Abstract: a reader that leaves out `cursor_name` or `apply` fails when it is constructed, not on its
    first window."""

    bridge: Bridge
    engine: Engine
    confirmations: int
    max_blocks: int = 2_000
    cursor: ChainCursor = field(init=False)

    def __post_init__(self) -> None:
        self.cursor = ChainCursor(self.cursor_name(), bridge_cursor_blocks)

    @abstractmethod
    def cursor_name(self) -> str:
        """The cursor's name: one per reader kind and bridge."""

    def before_window(self, connection: Connection) -> None:  # noqa: B027  (optional: most readers need nothing)
        """Runs in each window's transaction before the window is chosen."""

    @abstractmethod
    def apply(self, connection: Connection, first: int, last: int) -> int:
        """Apply blocks `first`..`last`; a count for the caller."""

    def run_once(self) -> int:
        """Read every confirmed window; the sum of what `apply` counted."""
        total = 0
        while (count := self._read_window()) is not None:
            total += count
        return total

    def _read_window(self) -> int | None:
        with self.engine.begin() as connection:
            self.before_window(connection)
            window = self.cursor.next_window(
                connection,
                self.bridge.w3,
                start_block=self.bridge.from_block,
                confirmations=self.confirmations,
                max_blocks=self.max_blocks,
            )
            if window is None:
                return None
            count = self.apply(connection, window.first, window.last.number)
            self.cursor.advance(connection, window.last)
        return count
