"""The payments watcher: settles payment intents from the PaymentRouter's confirmed `Paid` events.

Each round reads window after window of blocks at least `confirmations` deep (a `relay.cursor.ChainCursor`
kept in the API database's `stablecoin_cursor_blocks`). One window is one database transaction: the
writers' lock first (`ledger.store.begin_writing`), then the cursor's reorg check, then every `Paid` event
of the window settled (`payments.rails.stablecoin.settlement.settle`: the payment recorded, the intent moved,
its ledger transfers posted) and the cursor advanced, all committed together. A crash anywhere leaves the
window unread and its effects undone; the next round reads it again.

A reorg deeper than the confirmation depth that replaces blocks already read makes the cursor rewind (the
stored block hashes no longer match the chain) and the window is read again. Payments are recorded under
(chain id, tx hash, log index), so a payment read again, whether from the same block or re-mined in
another, moves nothing twice. A payment that vanished for good with a deep reorg stays recorded (its intent
succeeded on a payment the chain no longer has): the depth is there to make that as unlikely as the
operator wants, and reconciliation against the chain (`PaidStatement`) is what would show it.

With a custody API key configured the same process pays stablecoin refunds back after each round
(`relay.payments.payouts.PayoutWorker`).

Run it with `python -m relay.payments` (settings: `relay.payments.settings.WatcherSettings`, env prefix
`TPW_PAYMENTS_`).
"""

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine
from web3 import Web3

from chain.client import make_web3
from chain.deployments import Deployments
from chain.payment_router import PaymentRouter
from chain.transactions import TransactionFailed
from chain.treasury import Treasury
from ledger.store import begin_writing
from payments.intents.context import Payments
from payments.rails.stablecoin.config import StablecoinConfig, router_and_config
from payments.rails.stablecoin.custody_signer import CustodySigner, SigningRefused
from payments.rails.stablecoin.schema import stablecoin_cursor_blocks
from payments.rails.stablecoin.settlement import settle
from relay.cursor import ChainCursor, make_engine
from relay.payments.payouts import PayoutWorker
from relay.payments.settings import WatcherSettings, relayer_from_file
from relay.secrets import read_secret
from risk.screening.source import ListSource

log = logging.getLogger("relay.payments")


@dataclass
class WatchReport:
    """What one round did: the last block read, and how many payments ended how (`PaymentOutcome`)."""

    scanned_to: int | None = None
    outcomes: Counter[str] = field(default_factory=Counter)
    already_recorded: int = 0


class PaymentsWatcher:
    """Settles the intents paid through `router` into the database of `engine` (the API's)."""

    def __init__(
        self,
        router: PaymentRouter,
        config: StablecoinConfig,
        engine: Engine,
        *,
        start_block: int | None = None,
        confirmations: int = 2,
        max_blocks_per_scan: int = 2_000,
        payouts: PayoutWorker | None = None,
    ) -> None:
        self.router = router
        self.w3: Web3 = router.w3
        self.config = config
        self.engine = engine
        self.payments = Payments(engine, {})  # settling asks no rail: the chain has answered
        self.cursor = ChainCursor(f"payments:{config.chain_id}:{router.address}", stablecoin_cursor_blocks)
        self.start_block = router.from_block if start_block is None else start_block
        self.confirmations = confirmations
        self.max_blocks_per_scan = max_blocks_per_scan
        self.payouts = payouts

    @classmethod
    def from_settings(cls, settings: WatcherSettings) -> "PaymentsWatcher":
        """A watcher for the registry's router, on the settings' node and database."""
        w3 = make_web3(settings.rpc_url, timeout=settings.rpc_timeout_seconds)
        registry = Deployments.load(settings.deployments_network, settings.deployments_dir)
        router, config = router_and_config(
            w3, registry, settings.router_name, settings.token_name, settings.currency, settings.livemode
        )
        engine = make_engine(settings.database_url)
        payouts = None
        if settings.api_key_file is not None:
            payouts = PayoutWorker(
                Payments(engine, {}),
                config,
                Treasury(w3, registry.get(settings.treasury_name).address),
                CustodySigner(
                    settings.api_url,
                    read_secret(settings.api_key_file),
                    settings.custody_key_id,
                    config.chain_id,
                    registry.get(settings.treasury_name).address,
                ),
                relayer_from_file(settings.relayer_key_file),
                confirmations=settings.confirmations,
                screening=None
                if settings.screening_list_dir is None
                else ListSource(settings.screening_list_dir),
            )
        return cls(
            router,
            config,
            engine,
            confirmations=settings.confirmations,
            max_blocks_per_scan=settings.max_blocks_per_scan,
            payouts=payouts,
        )

    def run_once(self) -> WatchReport:
        """Read every confirmed window; see the module docstring."""
        report = WatchReport()
        while self._read_window(report):
            pass
        return report

    def _read_window(self, report: WatchReport) -> bool:
        """Settle the next confirmed window in one transaction; False when there is none."""
        with self.engine.begin() as connection:
            begin_writing(connection)
            window = self.cursor.next_window(
                connection,
                self.w3,
                start_block=self.start_block,
                confirmations=self.confirmations,
                max_blocks=self.max_blocks_per_scan,
            )
            if window is None:
                return False
            self._settle(connection, window.first, window.last.number, report)
            self.cursor.advance(connection, window.last)
        report.scanned_to = window.last.number
        return True

    def _settle(self, connection: Connection, first: int, last: int, report: WatchReport) -> None:
        timestamps: dict[int, int] = {}
        for payment in self.router.payments(first, last):
            if payment.block_number not in timestamps:
                timestamps[payment.block_number] = int(
                    self.w3.eth.get_block(payment.block_number)["timestamp"]
                )
            outcome = settle(
                self.payments, connection, self.config, payment, timestamps[payment.block_number]
            )
            if outcome is None:
                report.already_recorded += 1
                continue
            report.outcomes[outcome] += 1
            log.info(
                "payment %s:%d for %s: %s",
                payment.tx_hash,
                payment.log_index,
                "0x" + payment.intent_key.hex(),
                outcome,
            )

    def run(self, stop: threading.Event, poll_interval_seconds: float) -> None:
        """Rounds until `stop` is set; a round that fails (node down, say) is logged and retried later."""
        log.info(
            "payments watcher for %s started (%d confirmations)", self.router.address, self.confirmations
        )
        while not stop.is_set():
            try:
                report = self.run_once()
            except Exception as error:  # a node or database that is down: log it and try again next round
                log.error("round failed: %s", type(error).__name__)
            else:
                if report.outcomes:
                    log.info("round: read to block %s, %s", report.scanned_to, dict(report.outcomes))
            if self.payouts is not None:
                try:
                    self.payouts.run_once()
                except (
                    Exception
                ) as error:  # the API or a node down, a refusal: logged, tried again next round
                    log.error("payouts failed: %s", describe_payout_error(error))
            stop.wait(poll_interval_seconds)
        log.info("payments watcher stopped")


def describe_payout_error(error: Exception) -> str:
    """A payout failure for the log: the custody group's or the treasury's reason in full, anything else by
    type only (transport errors quote URLs)."""
    if isinstance(error, SigningRefused | TransactionFailed):
        return str(error)
    return type(error).__name__
