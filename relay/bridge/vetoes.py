"""A veto watcher: reads the guardian's `BatchVetoed(first_seq, last_seq)` on a destination bridge at the
confirmation depth and applies each to the relay's records (`payments.bridge.vetoes.apply_veto`): the
batches vetoed, their messages back to `seen` so the deliverer cuts them again into new batches (new seqs,
chained to the last batch not vetoed). One window of blocks is one database transaction, the cursor moved
with the vetoes applied, so a crash neither loses a veto nor applies one twice (and applying one twice
would change nothing)."""

import logging
import time
from dataclasses import dataclass

from sqlalchemy import Connection

from payments.bridge.vetoes import apply_veto
from relay.bridge.windows import WindowReader

log = logging.getLogger("relay.bridge")


@dataclass
class VetoWatcher(WindowReader):
    """Applies the vetoes of `bridge` (a destination: it vetoes its inbound route's batches) to `engine`."""

    def __post_init__(self) -> None:
        self.route = self.bridge.inbound()
        super().__post_init__()

    def cursor_name(self) -> str:
        return f"bridge-vetoes:{self.route.dst_chain_id}:{self.bridge.address}"

    def apply(self, connection: Connection, first: int, last: int) -> int:
        """The window's vetoes applied; the number of messages returned to be cut again."""
        returned = 0
        for entry in self.bridge.contract.events.BatchVetoed.get_logs(from_block=first, to_block=last):
            first_seq, last_seq = int(entry["args"]["first_seq"]), int(entry["args"]["last_seq"])
            count = apply_veto(connection, self.route, first_seq, last_seq, time.time_ns() // 1_000)
            returned += count
            log.warning(
                "the guardian vetoed batches %s-%s on chain %s: %s messages to cut again",
                first_seq,
                last_seq,
                self.route.dst_chain_id,
                count,
            )
        return returned
