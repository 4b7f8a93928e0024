"""A bridge watcher: records the messages one bridge sent (`Deposited` on L1, `Withdrawn` on L2) from blocks
at least `confirmations` deep.

One window of blocks is one database transaction: the reorg check (the stored block hashes against the
chain's), the rewind if a reorg replaced blocks already read (their unbatched messages dropped, to be read
again), every message of the window recorded under its (source chain id, tx hash, log index), and the cursor
moved, all committed together. A crash anywhere leaves the window unread; reading it again records nothing
twice. A reorg shallower than the depth never reaches what was read; a deeper one that replaced blocks whose
messages are batched already is the guardian's to veto (those messages are not touched here).
"""

import logging
import time
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from chain.bridge.contracts import Bridge
from chain.bridge.message import Message
from payments.bridge.schema import bridge_cursor_blocks
from payments.bridge.store import forget_unbatched_after, record_message
from relay.cursor import ChainCursor

log = logging.getLogger("relay.bridge")


@dataclass
class BridgeWatcher:
    """Reads `bridge`'s sent messages into `engine`'s `bridge_messages`."""

    bridge: Bridge
    engine: Engine
    confirmations: int
    max_blocks: int = 2_000

    def __post_init__(self) -> None:
        self.route = self.bridge.outbound()
        self.cursor = ChainCursor(
            f"bridge:{self.route.src_chain_id}:{self.bridge.address}", bridge_cursor_blocks
        )

    def run_once(self) -> int:
        """Read every confirmed window; the number of messages newly recorded."""
        recorded = 0
        while (count := self._read_window()) is not None:
            recorded += count
        return recorded

    def _read_window(self) -> int | None:
        with self.engine.begin() as connection:
            self._rewind(connection)
            window = self.cursor.next_window(
                connection,
                self.bridge.w3,
                start_block=self.bridge.from_block,
                confirmations=self.confirmations,
                max_blocks=self.max_blocks,
            )
            if window is None:
                return None
            recorded = self._record(connection, window.first, window.last.number)
            self.cursor.advance(connection, window.last)
        return recorded

    def _rewind(self, connection: Connection) -> None:
        before = self.cursor.position(connection)
        if before is None:
            return
        after = self.cursor.rewind_if_reorged(connection, self.bridge.w3)
        if after == before:
            return
        kept = self.bridge.from_block - 1 if after is None else after.number
        dropped = forget_unbatched_after(connection, self.route, kept)
        log.warning(
            "reorg on chain %s: rewound from block %s to %s, %s unbatched messages to read again",
            self.route.src_chain_id,
            before.number,
            kept,
            dropped,
        )

    def _record(self, connection: Connection, first: int, last: int) -> int:
        event = getattr(self.bridge.contract.events, self.bridge.SENT_EVENT)
        now_us = time.time_ns() // 1_000
        recorded = 0
        for entry in event.get_logs(from_block=first, to_block=last):
            message = Message.from_event(self.route, entry["args"])
            key = (
                self.route.src_chain_id,
                "0x" + bytes(entry["transactionHash"]).hex(),
                int(entry["logIndex"]),
            )
            block = (int(entry["blockNumber"]), "0x" + bytes(entry["blockHash"]).hex())
            if record_message(connection, message, key, block, now_us):
                recorded += 1
                log.info("message %s from chain %s seen", message.nonce, self.route.src_chain_id)
        return recorded
