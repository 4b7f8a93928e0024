"""One perpetual market's single writer: check, journal, apply to the domain, post to the ledger.

Every command and input goes through one lock, in this order: the domain's checks (margin admission,
reduce-only against the domain's position), the journal (the book's for orders, the inputs log for the
rest: nothing is acknowledged before it is on disk), the `Runner` (the domain's change, as transfers and
records), then one database transaction with the step's linked transfers and its records, then the
cursor. A deposit moves its money first (wallet -> the market's deposits account, refused by the ledger
if unfunded) and is journaled after; a crash in between leaves a deposit no journal names, given back at
open (`release_unjournaled`), as the spot market gives back an orphan hold.

Crash windows (as the spot market's, `matching.spot.poster`): after the journal and before the ledger,
the reopen's replay posts what is missing; after the ledger and before the cursor, the replay's postings
are answered `exists` and its records are already stored; a price round whose liquidation orders a crash
cut short is completed at open (`matching.perp_market.replay`). A failure after the journal halts the
market (`MarketHalted`): only the replay knows how to catch up.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Engine

from chain.files import write_atomic
from ledger.model import TransferSpec
from ledger.results import CreateTransferResult
from ledger.transfers import create_transfer
from matching.engine import Cancel, Command, Event, Kind, Place, Side
from matching.journal import JournaledBook
from matching.journal.log import RecordLog
from matching.perp_market.accounts import (
    CURRENCY,
    deposits_account,
    market_specs,
    trader_specs,
    wallet_account,
)
from matching.perp_market.errors import InsufficientFunds, MarginRefused, MarketHalted, UnsupportedOrder
from matching.perp_market.inputs import (
    Configure,
    Deposit,
    Entry,
    Input,
    Prices,
    Withdraw,
    decode_entry,
    encode_entry,
)
from matching.perp_market.order_margin import check_orders_carried, open_orders
from matching.perp_market.reads import PerpReads
from matching.perp_market.records import write_records
from matching.perp_market.replay import recover
from matching.perp_market.runner import Outcome, Runner
from matching.perp_market.text import MAX_LOTS, MAX_TICKS, PerpUnits
from matching.perpetuals.index.source import IndexSource, to_ticks
from matching.perpetuals.records import LiquidationStarted
from matching.perpetuals.spec import PerpSpec
from matching.settlement.trades import record_trades
from matching.spot.accounts import ensure_accounts
from matching.spot.feed import Feed, MarketData, Resting, Update
from matching.spot.market import micros, open_as_writer
from matching.spot.poster import post
from matching.spot.tape import Tape
from risk.pretrade.cooldown import record_liquidation_on

Clock = Callable[[], int]
INPUTS_NAME = "inputs.log"
CURSOR_NAME = "perp.cursor"
MICROS_PER_SECOND = 1_000_000
"""The market's clock is microseconds (`matching.spot.market.micros`); the cool-down's is seconds."""
SANDBOX_SUFFIX = ".sandbox"
"""A mode's copy of a market is `<listed id>.sandbox` (`api.perps.runtime.perp_spec`); the pre-trade checks
key an account's cool-down by the listed id (the trader number already differs per mode)."""


class Cursor(NamedTuple):
    """The last book seq and input seq whose transfers and records are known to be stored."""

    book: int
    input: int


def deposit_reference(market: str, deposit_id: int) -> str:
    return f"perp:{market}:deposit:{deposit_id}"


class PerpMarket(PerpReads, MarketData):
    """The book, the inputs log, the domain and the ledger postings of one perpetual market; its reads are
    `PerpReads`."""

    def __init__(
        self,
        spec: PerpSpec,
        directory: Path,
        book: JournaledBook,
        inputs: RecordLog[Entry],
        database: Engine,
        runner: Runner,
        clock: Clock,
    ) -> None:
        self.spec = spec
        self.id = spec.symbol
        self.market = PerpUnits(spec)
        self.directory = directory
        self.book = book
        self.inputs = inputs
        self.database = database
        self.runner = runner
        self.clock = clock
        self.deposits_released: list[int] = []
        self.transfers_done: dict[int, bool] = {}
        """Every deposit and withdrawal id journaled, and whether it was accepted: the same id again is
        answered as the first time, never applied twice."""
        self.tape = Tape()
        self.feed = Feed()
        self._updates: list[Update] = []
        """The feed's updates of the step being stored: published once it is (as a spot command's)."""
        self._lock = threading.Lock()
        self._halted: BaseException | None = None
        self._writer_lock = -1

    @classmethod
    def open(
        cls,
        spec: PerpSpec,
        directory: Path,
        database: Engine,
        *,
        clock: Clock = micros,
        snapshot_every: int = 100_000,
    ) -> PerpMarket:
        """Open the book and the inputs log, replay both into the domain (posting what the ledger lacks),
        give back unjournaled deposits; then it may serve."""

        def build() -> PerpMarket:
            ensure_accounts(database, market_specs(spec.symbol))
            book = JournaledBook.open(directory, snapshot_every=snapshot_every)
            inputs = RecordLog(directory / INPUTS_NAME, encode_entry, decode_entry)
            market = cls(spec, directory, book, inputs, database, Runner(spec), clock)
            recover(market)
            return market

        market, lock = open_as_writer(directory, build)
        market._writer_lock = lock
        return market

    # -- the steps ----------------------------------------------------------------------------------

    def store(self, key: str, outcome: Outcome) -> None:
        """One step's transfers, records and settled trades (`matching.settlement.trades`) in one database
        transaction (again: nothing new), with each liquidation's start told to the pre-trade cool-down
        (`risk.pretrade.cooldown`) in it."""
        with self.database.begin() as connection:
            post(connection, outcome.specs)
            record_trades(connection, outcome.trades)
            write_records(connection, self.id, key, outcome.records)
            for record in outcome.records:
                if isinstance(record, LiquidationStarted):
                    at = record.ts // MICROS_PER_SECOND
                    listed = self.id.removesuffix(SANDBOX_SUFFIX)
                    record_liquidation_on(connection, record.account, listed, at)

    def write_cursor(self) -> None:
        cursor = f'{{"book": {self.book.last_seq}, "input": {self.inputs.last_seq}}}'
        write_atomic(self.directory / CURSOR_NAME, cursor.encode(), durable=False)  # behind is safe

    def read_cursor(self) -> Cursor:
        path = self.directory / CURSOR_NAME
        if not path.exists():
            return Cursor(0, 0)
        stored = json.loads(path.read_text())
        return Cursor(int(stored["book"]), int(stored["input"]))

    def submit_live(self, place: Place) -> tuple[int, list[Event]]:
        """A liquidation order through the journaled book (inside a price round's step): its seq, events."""
        before = self._resting()
        (events,) = self.book.submit([place])
        self._printed(self.book.last_seq, place.ts, events, before)
        return self.book.last_seq, events

    # -- market data (`matching.spot.feed.MarketData`) ------------------------------------------------

    def _resting(self) -> Mapping[int, Resting]:
        """The resting orders before a book command, for its feed update (a copy only while someone
        listens: nothing is computed for the feed otherwise)."""
        return dict(self.book.engine.book.orders) if self.feed.subscribers else {}

    def _printed(self, seq: int, ts: int, events: list[Event], before: Mapping[int, Resting]) -> None:
        """Book command `seq`'s trades onto the tape, its update (if any) held until its step is stored."""
        trades = self.tape.record(seq, ts, events)
        update = self.feed.prepare(seq, ts, events, trades, before, self.book.engine.book)
        if update is not None:
            self._updates.append(update)

    def _publish(self) -> None:
        for update in self._updates:
            self.feed.publish(update)
        self._updates.clear()

    def _check_running(self) -> None:
        if self._halted is not None:
            raise MarketHalted(f"{self.id} stopped after a failed posting; reopen it") from self._halted

    def _stamp(self) -> int:
        return max(self.clock(), self.book.engine.clock)

    def _command(self, cmd: Command) -> list[Event]:
        """Journal a book command, apply its fills, store its step (under the lock)."""
        before = self._resting()
        (events,) = self.book.submit([cmd])
        try:
            seq = self.book.last_seq
            self._printed(seq, cmd.ts, events, before)
            self.store(f"b{seq}", self.runner.book(seq, cmd, events))
            self.write_cursor()
        except BaseException as error:
            self._halted = error
            raise MarketHalted(f"{self.id}: storing book seq {self.book.last_seq} failed") from error
        self._publish()
        return events

    def _input(self, make: Callable[[int], Input]) -> Outcome:
        """Journal an input, apply it, store its step (under the lock)."""
        entry = Entry(self.book.last_seq, make(self._stamp()))
        seq = self.inputs.append([entry])
        try:
            outcome = self.runner.input(seq, entry, self.submit_live)
            self.store(f"i{seq}", outcome)
            self.write_cursor()
        except BaseException as error:
            self._halted = error
            raise MarketHalted(f"{self.id}: storing input {seq} failed") from error
        self._publish()
        return outcome

    # -- orders ---------------------------------------------------------------------------------------

    def place(self, place: Place) -> list[Event]:
        """Check the order against the domain, then journal and match it; its events. Limit orders only
        (IOC/FOK to take): an order's margin is admitted at its limit price."""
        if place.kind is not Kind.LIMIT:
            raise UnsupportedOrder(
                "a perpetual order is a limit order (use time_in_force ioc or fok to take)"
            )
        if not 0 < place.qty <= MAX_LOTS or not 0 < place.price <= MAX_TICKS:
            raise UnsupportedOrder("qty and price must be within the market's limits")
        with self._lock:
            self._check_running()
            perp = self.runner.perp
            account = perp.accounts.get(place.account)
            if account is None:
                raise InsufficientFunds("deposit margin into the perpetual before trading it")
            if not self.runner.priced:
                raise MarginRefused(
                    "the market has no mark price yet: orders open after the first price round", "market"
                )
            lots = place.qty if place.side == Side.BUY else -place.qty
            size = account.position.size
            if place.reduce_only:
                if size == 0 or (size > 0) == (lots > 0) or abs(lots) > abs(size):
                    raise MarginRefused(
                        "reduce_only: the order must shrink the position, by at most its size", "reduce_only"
                    )
            else:
                resting = open_orders(self.book.engine.book, place.account)[0 if lots > 0 else 1]
                if not perp.admit(place.account, [*resting, (lots, place.price)]):
                    raise MarginRefused(
                        "the margin cannot carry this order and the account's resting ones at its leverage",
                        "qty",
                    )
            return self._command(place._replace(ts=self._stamp()))

    def amend(self, trader: int, order_id: int, price: int, qty: int) -> list[Event]:
        """Not for a perpetual: a new price or size needs the margin admitted afresh (cancel and place)."""
        raise UnsupportedOrder("a perpetual order is not amended: cancel it and place a new one")

    def cancel(self, trader: int, order_id: int) -> list[Event]:
        with self._lock:
            self._check_running()
            return self._command(Cancel(self._stamp(), order_id, trader))

    # -- money and settings ---------------------------------------------------------------------------

    def open_accounts(self, trader: int) -> None:
        ensure_accounts(self.database, trader_specs(self.id, trader))

    def deposit(self, trader: int, deposit_id: int, amount: int) -> Outcome:
        """Move `amount` from the trader's wallet to the market (the ledger refuses it unfunded), then
        journal the deposit into the trader's margin."""
        if amount <= 0:
            raise MarginRefused("a deposit must be positive", "amount")
        self._check_running()
        if deposit_id in self.transfers_done:
            return Outcome([], [])
        self.open_accounts(trader)
        moved = create_transfer(
            self.database,
            TransferSpec(
                reference=deposit_reference(self.id, deposit_id),
                debit_account_id=wallet_account(trader),
                credit_account_id=deposits_account(self.id),
                amount=amount,
                currency=CURRENCY,
            ),
        )
        if moved.result in (
            CreateTransferResult.EXCEEDS_CREDITS,
            CreateTransferResult.DEBIT_ACCOUNT_NOT_FOUND,
        ):
            raise InsufficientFunds(f"the wallet does not hold {amount}")
        if moved.result == CreateTransferResult.EXISTS:  # a crash cut it short and the reopen gave it back
            raise MarginRefused(
                f"deposit {deposit_id} was interrupted and returned: send a new one", "amount"
            )
        if not moved.ok:
            raise RuntimeError(f"deposit {deposit_id}: {moved.result}")
        with self._lock:  # a market halted meanwhile: the deposit is given back at the reopen
            self._check_running()
            self.transfers_done[deposit_id] = True
            return self._input(lambda ts: Deposit(ts, deposit_id, trader, amount))

    def withdraw(self, trader: int, withdrawal_id: int, amount: int) -> Outcome:
        """Back to the wallet, refused if what stays would not cover the initial margin."""
        if amount <= 0:
            raise MarginRefused("a withdrawal must be positive", "amount")
        with self._lock:
            self._check_running()
            if withdrawal_id in self.transfers_done:
                outcome = Outcome([], [], self.transfers_done[withdrawal_id])
            else:
                check_orders_carried(
                    self.runner.perp, self.book.engine.book, trader, "amount", withheld=amount
                )
                outcome = self._input(lambda ts: Withdraw(ts, withdrawal_id, trader, amount))
                self.transfers_done[withdrawal_id] = outcome.accepted
        if not outcome.accepted:
            raise MarginRefused("the withdrawal would leave the margin below the initial margin", "amount")
        return outcome

    def configure(self, trader: int, mode: int, leverage: int) -> Outcome:
        """A new margin mode (only while flat) and leverage (within the cap and the margin held)."""
        cap = self.spec.tiers[0].max_leverage
        if not 1 <= leverage <= cap:
            raise MarginRefused(f"leverage must be within 1..{cap}", "leverage")
        with self._lock:
            self._check_running()
            account = self.runner.perp.accounts.get(trader)
            if account is not None and int(account.mode) != mode and account.position.size != 0:
                raise MarginRefused("the margin mode changes only while the position is flat", "margin_mode")
            check_orders_carried(
                self.runner.perp, self.book.engine.book, trader, "leverage", leverage=leverage
            )
            outcome = self._input(lambda ts: Configure(ts, trader, mode, leverage))
        if not outcome.accepted:
            raise MarginRefused("the margin held cannot carry the position at this leverage", "leverage")
        return outcome

    # -- prices ---------------------------------------------------------------------------------------

    def price_round(self, outside: int) -> Outcome:
        """New index and mark from the outside price (ticks) and the book; margin checks, liquidation
        rounds, and funding when due: one journaled input, one ledger batch."""
        if outside <= 0:
            raise MarginRefused("an outside price must be positive", "outside")
        with self._lock:
            self._check_running()
            quote = self.quote()
            return self._input(lambda ts: Prices(ts, outside, *quote))

    def price_from(self, source: IndexSource) -> Outcome:
        """A price round with the outside price read from `source` (the devnet's pool through
        `AmmIndexSource`), read before the lock: a slow chain never holds the market up."""
        return self.price_round(to_ticks(source.price(), self.spec))

    def close(self) -> None:
        if self._writer_lock >= 0:
            with self._lock:
                self.feed.end()
            self.book.close()
            self.inputs.close()
            os.close(self._writer_lock)
            self._writer_lock = -1
