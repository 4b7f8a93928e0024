"""The subscription keeper: charges due subscriptions of a SubscriptionManager from a relayer account.

Each round (`Keeper.run_once`):
1. read the manager's events from confirmed blocks only (a persisted `relay.cursor.ChainCursor`, rewound if a
   reorg replaced blocks already read) and fold them into the keeper's table of subscriptions, in the same
   database transaction that moves the cursor. Folding is idempotent (paid-through times only grow, ended
   stays ended), so reading a block again is harmless;
2. pick the subscriptions that look due by the chain's clock (latest block) and whose retry time has come,
   ask the contract (`is_due`) to confirm each, and charge them `batch_size` at a time with `charge_many`;
3. record each outcome: a charged subscription waits for its next period (its new paid-through time comes
   with the confirmed `Charged` event); one whose payment failed or whose charge was skipped waits
   retry_base·2^(n-1) seconds (at most retry_max) before its n-th retry; a lapsed or completed one is dropped.

If a reorg deeper than the confirmation depth replaces blocks already read, the cursor rewinds and every live
subscription is read again from the contract, since folded events may have vanished with the old blocks.

The keeper holds no authority: the contract refuses to charge anything not due and never charges a period
twice, so a restart, a replayed event or a second keeper can cost gas but never money. All state lives in the
keeper's database; stop it at any moment (SIGINT/SIGTERM end the loop after the current round) and start it
again. Times are the chain's (block timestamps), so a devnet that moves its clock moves the keeper's too.

Run it with `python -m relay.keeper` (settings: `relay.settings.KeeperSettings`, env prefix `TPW_KEEPER_`).
"""

import logging
import signal
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import FrameType

from eth_account.signers.local import LocalAccount
from sqlalchemy import BigInteger, Boolean, Engine, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker
from web3 import Web3

from chain.artifacts import DecodedEvent
from chain.client import make_web3
from chain.deployments import Deployments
from chain.errors import ChainError
from chain.subscriptions import ChargeReport, SubscriptionManager, UnknownSubscription
from chain.transactions import TransactionFailed
from relay.cursor import HASH_LENGTH, ChainCursor, RelayBase, make_engine
from relay.settings import KeeperSettings, get_settings

log = logging.getLogger("relay.keeper")

ADDRESS_LENGTH = 42
ERROR_LENGTH = 256
ENDING_EVENTS = frozenset({"Cancelled", "Lapsed", "Completed"})


class KeptSubscription(RelayBase):
    """What the keeper knows of one subscription, from the manager's events and its own attempts."""

    __tablename__ = "keeper_subscriptions"

    manager: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), primary_key=True)
    subscription_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    plan_id: Mapped[int] = mapped_column(BigInteger)
    paid_through: Mapped[int] = mapped_column(BigInteger)
    ended: Mapped[bool] = mapped_column(Boolean, default=False)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[int] = mapped_column(BigInteger, default=0)
    last_error: Mapped[str | None] = mapped_column(String(ERROR_LENGTH), default=None)
    last_event_tx: Mapped[str | None] = mapped_column(String(HASH_LENGTH), default=None)


class PausedPlan(RelayBase):
    """A plan its merchant has paused: its subscriptions are not due until it is resumed."""

    __tablename__ = "keeper_paused_plans"

    manager: Mapped[str] = mapped_column(String(ADDRESS_LENGTH), primary_key=True)
    plan_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)


@dataclass
class RoundReport:
    """What one round did."""

    scanned_to: int | None = None
    events: int = 0
    due: list[int] = field(default_factory=list)
    charged: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    ended: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Keeper:
    """Charges the due subscriptions of one manager from `relayer`, keeping its state in `engine`'s database.

    `start_block` is where event reading begins on a fresh database (the manager's deployment block).
    """

    def __init__(
        self,
        manager: SubscriptionManager,
        relayer: LocalAccount,
        engine: Engine,
        *,
        start_block: int | None = None,
        confirmations: int = 2,
        batch_size: int = 50,
        max_blocks_per_scan: int = 2_000,
        retry_base_seconds: int = 60,
        retry_max_seconds: int = 3_600,
    ) -> None:
        self.manager = manager
        self.w3: Web3 = manager.w3
        self.relayer = relayer
        self.sessions = sessionmaker(engine, expire_on_commit=False)
        self.cursor = ChainCursor(f"keeper:{manager.chain_id()}:{manager.address}")
        self.start_block = manager.from_block if start_block is None else start_block
        self.confirmations = confirmations
        self.batch_size = batch_size
        self.max_blocks_per_scan = max_blocks_per_scan
        self.retry_base_seconds = retry_base_seconds
        self.retry_max_seconds = retry_max_seconds
        RelayBase.metadata.create_all(engine)

    @classmethod
    def from_settings(cls, settings: KeeperSettings) -> "Keeper":
        """A keeper for the manager the deployments registry names, on the settings' node and database."""
        relayer = settings.relayer()
        w3 = make_web3(settings.rpc_url, timeout=settings.rpc_timeout_seconds)
        registry = Deployments.load(settings.deployments_network, settings.deployments_dir)
        manager = SubscriptionManager.from_registry(w3, registry, settings.manager_name)
        return cls(
            manager,
            relayer,
            make_engine(settings.database_url),
            confirmations=settings.confirmations,
            batch_size=settings.batch_size,
            max_blocks_per_scan=settings.max_blocks_per_scan,
            retry_base_seconds=settings.retry_base_seconds,
            retry_max_seconds=settings.retry_max_seconds,
        )

    # One round

    def run_once(self) -> RoundReport:
        """Read confirmed events, then charge what is due; see the module docstring."""
        report = RoundReport()
        self.sync_events(report)
        now = self.manager.now()
        due = self._confirmed_due(self._candidates(now))
        report.due = due
        for first in range(0, len(due), self.batch_size):
            self._charge_batch(due[first : first + self.batch_size], now, report)
        return report

    def sync_events(self, report: RoundReport | None = None) -> int | None:
        """Fold every confirmed window of events into the table; returns the last block read (None: none)."""
        report = report if report is not None else RoundReport()
        while True:
            with self.sessions.begin() as session:
                position = self.cursor.position(session)
                window = self.cursor.next_window(
                    session,
                    self.w3,
                    start_block=self.start_block,
                    confirmations=self.confirmations,
                    max_blocks=self.max_blocks_per_scan,
                )
                if self.cursor.position(session) != position:
                    self._refresh_after_reorg(session)
                if window is None:
                    return report.scanned_to
                events = self.manager.events(window.first, window.last.number)
                for event in events:
                    self._fold(session, event)
                self.cursor.advance(session, window.last)
            report.scanned_to = window.last.number
            report.events += len(events)

    def subscription(self, subscription_id: int) -> KeptSubscription | None:
        """The keeper's record of a subscription (for operators and tests)."""
        with self.sessions() as session:
            return session.get(KeptSubscription, (self.manager.address, subscription_id))

    # Events

    def _fold(self, session: Session, event: DecodedEvent) -> None:
        args = event.args
        if event.event == "PlanPauseSet":
            key = (self.manager.address, int(args["plan_id"]))
            paused = session.get(PausedPlan, key)
            if args["paused"] and paused is None:
                session.add(PausedPlan(manager=key[0], plan_id=key[1]))
            elif not args["paused"] and paused is not None:
                session.delete(paused)
            session.flush()
            return
        if "subscription_id" not in args:
            return
        subscription_id = int(args["subscription_id"])
        kept = session.get(KeptSubscription, (self.manager.address, subscription_id))
        if event.event == "Subscribed":
            if kept is None:
                kept = KeptSubscription(
                    manager=self.manager.address,
                    subscription_id=subscription_id,
                    plan_id=int(args["plan_id"]),
                    paid_through=int(args["paid_through"]),
                    ended=False,
                    failures=0,
                    next_attempt_at=0,
                )
                session.add(kept)
        elif kept is None:
            log.warning(
                "event %s for unknown subscription %d in %s", event.event, subscription_id, event.tx_hash
            )
            return
        elif event.event == "Charged":
            kept.paid_through = max(kept.paid_through, int(args["paid_through"]))
        elif event.event in ENDING_EVENTS:
            kept.ended = True
        kept.last_event_tx = event.tx_hash
        session.flush()

    def _refresh_after_reorg(self, session: Session) -> None:
        """A reorg replaced blocks already read: events folded from them may be gone, and folding only ever
        moves forward, so take every subscription and its plan's pause from the chain as it is now."""
        log.warning("reorg below the confirmation depth: refreshing subscriptions from the chain")
        kept_rows = session.scalars(
            select(KeptSubscription).where(KeptSubscription.manager == self.manager.address)
        ).all()
        for kept in kept_rows:
            try:
                state = self.manager.subscription(kept.subscription_id)
            except UnknownSubscription:  # its Subscribed event went with the old blocks
                session.delete(kept)
                continue
            kept.paid_through, kept.ended = state.paid_through, not state.live
        for plan_id in {kept.plan_id for kept in kept_rows}:
            recorded = session.get(PausedPlan, (self.manager.address, plan_id))
            paused = self.manager.plan(plan_id).paused
            if paused and recorded is None:
                session.add(PausedPlan(manager=self.manager.address, plan_id=plan_id))
            elif not paused and recorded is not None:
                session.delete(recorded)
        session.flush()

    # Charging

    def _candidates(self, now: int) -> list[int]:
        """Live subscriptions that look due at `now` and whose retry time has come, oldest first."""
        paused = select(PausedPlan.plan_id).where(PausedPlan.manager == self.manager.address)
        query = (
            select(KeptSubscription.subscription_id)
            .where(
                KeptSubscription.manager == self.manager.address,
                KeptSubscription.ended.is_(False),
                KeptSubscription.paid_through <= now,
                KeptSubscription.next_attempt_at <= now,
                KeptSubscription.plan_id.not_in(paused),
            )
            .order_by(KeptSubscription.paid_through, KeptSubscription.subscription_id)
        )
        with self.sessions() as session:
            return list(session.scalars(query))

    def _confirmed_due(self, candidates: Iterable[int]) -> list[int]:
        """The candidates the contract says are due now (the events read lag by the confirmation depth)."""
        return [subscription_id for subscription_id in candidates if self.manager.is_due(subscription_id)]

    def _charge_batch(self, batch: Sequence[int], now: int, report: RoundReport) -> None:
        try:
            outcome = self.manager.charge_many(self.relayer, batch)
        except (
            Exception
        ) as error:  # any failure to send (node, funds, nonce): back off, keep the keeper alive
            reason = f"charge_many failed: {describe(error)}"
            log.error("%s (subscriptions %s)", reason, list(batch))
            report.errors.append(reason)
            self._record(batch, now, None, reason)
            return
        log.info(
            "charge_many %s: charged %s, failed %s, skipped %s, lapsed %s, completed %s (gas %d)",
            outcome.tx_hash,
            sorted(outcome.charged),
            sorted(outcome.failed),
            sorted(outcome.skipped),
            list(outcome.lapsed),
            list(outcome.completed),
            outcome.gas_used,
        )
        report.charged += sorted(outcome.charged)
        report.failed += sorted(outcome.failed)
        report.skipped += sorted(outcome.skipped)
        report.ended += [*outcome.lapsed, *outcome.completed]
        self._record(batch, now, outcome, None)

    def _record(
        self, batch: Sequence[int], now: int, outcome: ChargeReport | None, error: str | None
    ) -> None:
        """Take a batch's outcome into the table: a subscription charged, lapsed or completed is settled,
        any other backs off. Its new paid-through time or its end comes with the confirmed event, not from
        this receipt, which a reorg could still undo; until then `is_due` keeps it from a second charge."""
        settled = {*outcome.charged, *outcome.lapsed, *outcome.completed} if outcome is not None else set()
        with self.sessions.begin() as session:
            for subscription_id in batch:
                kept = session.get(KeptSubscription, (self.manager.address, subscription_id))
                if kept is None:
                    continue
                if subscription_id in settled:
                    kept.failures, kept.next_attempt_at, kept.last_error = 0, 0, None
                else:
                    kept.failures += 1
                    kept.next_attempt_at = now + self.backoff(kept.failures)
                    kept.last_error = self._reason(subscription_id, outcome, error)[:ERROR_LENGTH]

    def backoff(self, failures: int) -> int:
        """Seconds to wait before retrying after `failures` failed attempts in a row (failures >= 1)."""
        return min(self.retry_max_seconds, self.retry_base_seconds * 2 ** min(failures - 1, 62))

    @staticmethod
    def _reason(subscription_id: int, outcome: ChargeReport | None, error: str | None) -> str:
        if outcome is None:
            return error or "charge_many failed"
        if subscription_id in outcome.failed:
            return f"payment failed; grace ends at {outcome.failed[subscription_id]}"
        return outcome.skipped.get(subscription_id, "not charged")

    # The loop

    def run(self, stop: threading.Event, poll_interval_seconds: float) -> None:
        """Rounds until `stop` is set; a round that fails (node down, say) is logged and retried later."""
        log.info("keeper for %s started (relayer %s)", self.manager.address, self.relayer.address)
        while not stop.is_set():
            try:
                report = self.run_once()
            except Exception as error:  # a node that is down, say: log it and try again next round
                log.error("round failed: %s", describe(error))
            else:  # quiet rounds only at DEBUG: a keeper with nothing due says so every poll interval
                level = logging.INFO if report.due or report.errors else logging.DEBUG
                log.log(level, "round: %d due, %d charged", len(report.due), len(report.charged))
            stop.wait(poll_interval_seconds)
        log.info("keeper stopped")


def describe(error: Exception) -> str:
    """An error for the log: a contract's revert reason in full, anything else by type only, since transport
    errors quote the RPC URL (which for hosted nodes carries an API key)."""
    if isinstance(error, TransactionFailed):
        return str(error)
    return type(error).__name__


def install_stop_handlers(stop: threading.Event) -> None:
    """SIGINT and SIGTERM set `stop`: the loop finishes its round and exits cleanly."""

    def handle(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s: stopping after this round", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def main() -> int:
    """`python -m relay.keeper`: run the keeper with the environment's settings until SIGINT/SIGTERM."""
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        keeper = Keeper.from_settings(settings)
    except (ValueError, ChainError) as error:
        log.error("cannot start: %s", error)
        return 2
    stop = threading.Event()
    install_stop_handlers(stop)
    keeper.run(stop, settings.poll_interval_seconds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
