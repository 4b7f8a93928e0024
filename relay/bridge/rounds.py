"""One relay round: both bridges' sent messages read, both bridges' vetoes applied, then each direction's
batches delivered. A step that fails (a node or the API down, a send that reverted, the bridge paused) is
logged and skipped: the others still run, and the next round starts again from what the chains and the
database say, so an outage costs time, never a message or a second payment."""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chain.errors import ChainError
from payments.rails.custody_requests import SigningRefused
from relay.bridge.delivery import Deliverer
from relay.bridge.vetoes import VetoWatcher
from relay.bridge.watcher import BridgeWatcher

log = logging.getLogger("relay.bridge")


@dataclass
class RelayRound:
    """The steps of a round, in order: watchers, veto watchers, deliverers."""

    watchers: Sequence[BridgeWatcher]
    veto_watchers: Sequence[VetoWatcher]
    deliverers: Sequence[Deliverer]

    def steps(self) -> list[Callable[[], int]]:
        return [
            *(watcher.run_once for watcher in self.watchers),
            *(watcher.run_once for watcher in self.veto_watchers),
            *(deliverer.run_once for deliverer in self.deliverers),
        ]

    def run_once(self) -> int:
        """Run every step; the number that failed (each logged at WARNING)."""
        failed = 0
        for step in self.steps():
            try:
                step()
            except Exception as error:  # a node, the API or the database down, a refusal: next round
                failed += 1
                log.warning("round failed, retrying: %s", describe(error))
        return failed


def describe(error: Exception) -> str:
    """A failure for the log: chain and custody errors in full, anything else by type (transport errors
    quote URLs, which may carry credentials)."""
    if isinstance(error, ChainError | SigningRefused):
        return str(error)
    return type(error).__name__
