"""A bridge watcher: records the messages one bridge sent (`Deposited` on L1, `Withdrawn` on L2) from blocks
at least `confirmations` deep.

One window of blocks is one database transaction: the reorg check (the stored block hashes against the
chain's), the rewind if a reorg replaced blocks already read (their unbatched messages dropped, to be read
again), every message of the window recorded under its (source chain id, tx hash, log index), and the cursor
moved, all committed together. A crash anywhere leaves the window unread; reading it again records nothing
twice. A reorg shallower than the depth never reaches what was read. A deeper one may have taken away
messages a batch holds already: each is looked up by its transaction (a reorg may only have moved it to
another block); one no longer there at the depth is `orphaned` (never claimed, never cut again) and the log
names, at CRITICAL, the batches the guardian has to veto (`payments.bridge.vetoes`): the relay cannot undo
an attested batch itself. Should the event come back, reading it again revives the message.
"""

import logging
import time
from dataclasses import dataclass

from sqlalchemy import Connection, RowMapping
from web3.exceptions import TransactionNotFound

from chain.bridge.message import Message
from chain.bridge.sent_logs import read_sent
from payments.bridge.store import MessageKey, forget_unbatched_after, record_messages, to_hex
from payments.bridge.vetoes import batch_seqs, batched_after, move_message, orphan_messages
from relay.bridge.windows import WindowReader

log = logging.getLogger("relay.bridge")


@dataclass
class BridgeWatcher(WindowReader):
    """Reads `bridge`'s sent messages into `engine`'s `bridge_messages`."""

    def __post_init__(self) -> None:
        self.route = self.bridge.outbound()
        super().__post_init__()

    def cursor_name(self) -> str:
        return f"bridge:{self.route.src_chain_id}:{self.bridge.address}"

    def before_window(self, connection: Connection) -> None:
        self._rewind(connection)

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
        self._orphan_vanished(connection, kept)

    def _orphan_vanished(self, connection: Connection, kept: int) -> None:
        """Batched messages read after block `kept`: moved where the chain has them now, orphaned where it
        has them no more (at the depth), and the guardian told which batches to veto."""
        now_us = time.time_ns() // 1_000
        vanished: list[RowMapping] = []
        for row in batched_after(connection, self.route, kept):
            key: MessageKey = (int(row["src_chain_id"]), str(row["tx_hash"]), int(row["log_index"]))
            block = self._still_sent(row)
            if block is None:
                vanished.append(row)
            else:
                move_message(connection, key, block, now_us)
        undelivered = [row for row in vanished if row["status"] in ("batched", "attested", "claimable")]
        for row in vanished:
            if row not in undelivered:
                log.critical(
                    "message %s (nonce %s) was paid out on chain %s but a reorg took its source event away",
                    row["id"],
                    row["nonce"],
                    self.route.dst_chain_id,
                )
        if not undelivered:
            return
        orphan_messages(
            connection,
            [(int(r["src_chain_id"]), str(r["tx_hash"]), int(r["log_index"])) for r in undelivered],
            now_us,
        )
        seqs = batch_seqs(connection, sorted({int(row["batch_id"]) for row in undelivered}))
        log.critical(
            "reorg on chain %s deeper than %s confirmations took away messages %s; guardian: veto batch "
            "seqs %s on bridge %s (chain %s) before their challenge windows end (the relay drops those not "
            "attested)",
            self.route.src_chain_id,
            self.confirmations,
            [int(row["nonce"]) for row in undelivered],
            [f"{seq} ({status})" for seq, status in seqs],
            self.route.dst_bridge,
            self.route.dst_chain_id,
        )

    def _still_sent(self, row: RowMapping) -> tuple[int, str] | None:
        """The block (number, hash) the message's event is in now, at the depth; None if it is not."""
        w3 = self.bridge.w3
        try:
            receipt = w3.eth.get_transaction_receipt(row["tx_hash"])
        except TransactionNotFound:
            return None
        if int(receipt["blockNumber"]) > int(w3.eth.block_number) - self.confirmations:
            return None
        event = getattr(self.bridge.contract.events, self.bridge.SENT_EVENT)()
        for entry in receipt["logs"]:
            if (
                int(entry["logIndex"]) != int(row["log_index"])
                or entry["address"].lower() != self.bridge.address.lower()
            ):
                continue
            message = Message.from_event(self.route, event.process_log(entry)["args"])
            if to_hex(message.leaf()) == row["leaf"]:
                return int(receipt["blockNumber"]), to_hex(bytes(receipt["blockHash"]))
        return None

    def apply(self, connection: Connection, first: int, last: int) -> int:
        """The window's messages recorded; how many were new."""
        now_us = time.time_ns() // 1_000
        topic0 = [self.bridge.sent_topic()]
        found = [
            (
                sent.message,
                (self.route.src_chain_id, sent.tx_hash, sent.log_index),
                (sent.block_number, sent.block_hash),
            )
            for sent in read_sent(self.bridge.w3, self.route, first, last, topic0=topic0)
        ]
        recorded = record_messages(connection, found, now_us)
        if found:
            log.info(
                "messages %s to %s from chain %s read, %s new",
                found[0][0].nonce,
                found[-1][0].nonce,
                self.route.src_chain_id,
                recorded,
            )
        return recorded
