"""A veto watcher: reads the guardian's `BatchVetoed(first_seq, last_seq)` on a destination bridge at the
confirmation depth and applies each to the relay's records (`payments.bridge.vetoes.apply_veto`): the
batches vetoed, their messages back to `seen` so the deliverer cuts them again into new batches (new seqs,
chained to the last batch not vetoed). One window of blocks is one database transaction, the cursor moved
with the vetoes applied, so a crash neither loses a veto nor applies one twice (and applying one twice
would change nothing)."""

import logging
import time
from dataclasses import dataclass

from sqlalchemy import Engine

from chain.bridge.contracts import Bridge
from payments.bridge.schema import bridge_cursor_blocks
from payments.bridge.vetoes import apply_veto
from relay.cursor import ChainCursor

log = logging.getLogger("relay.bridge")


@dataclass
class VetoWatcher:
    """Applies the vetoes of `bridge` (a destination: it vetoes its inbound route's batches) to `engine`."""

    bridge: Bridge
    engine: Engine
    confirmations: int
    max_blocks: int = 2_000

    def __post_init__(self) -> None:
        self.route = self.bridge.inbound()
        self.cursor = ChainCursor(
            f"bridge-vetoes:{self.route.dst_chain_id}:{self.bridge.address}", bridge_cursor_blocks
        )

    def run_once(self) -> int:
        """Read every confirmed window; the number of messages returned to be cut again."""
        returned = 0
        while (count := self._read_window()) is not None:
            returned += count
        return returned

    def _read_window(self) -> int | None:
        with self.engine.begin() as connection:
            window = self.cursor.next_window(
                connection,
                self.bridge.w3,
                start_block=self.bridge.from_block,
                confirmations=self.confirmations,
                max_blocks=self.max_blocks,
            )
            if window is None:
                return None
            returned = 0
            vetoes = self.bridge.contract.events.BatchVetoed.get_logs(
                from_block=window.first, to_block=window.last.number
            )
            for entry in vetoes:
                first, last = int(entry["args"]["first_seq"]), int(entry["args"]["last_seq"])
                count = apply_veto(connection, self.route, first, last, time.time_ns() // 1_000)
                returned += count
                log.warning(
                    "the guardian vetoed batches %s-%s on chain %s: %s messages to cut again",
                    first,
                    last,
                    self.route.dst_chain_id,
                    count,
                )
            self.cursor.advance(connection, window.last)
        return returned
