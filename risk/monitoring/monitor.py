"""Where the checks run: a consumer of the ledger's journal, and the sightings of a subject's IP country.

**The journal is the outbox.** Every movement of money, whatever asked for it (a payment intent's step, a
refund, an FX conversion, a payout's completion, `/v1/ledger/transfers`), is an immutable, timestamped row of
`ledger_transfers`; `Monitor.run_once` reads the rows it has not checked yet and checks each in one
transaction with the alerts, freezes and audit records it leads to, and with its note that the rows were
checked. So no path escapes the monitoring, nothing in a payment's own transaction can fail because of it,
and a crash between rounds checks the same rows again (never half of them). The API runs a round every
`TPW_MONITORING_INTERVAL_SECONDS` (`api.periodic`); several API processes take turns (an advisory lock).
A ledger timestamp is taken before its batch waits for locks, so a transfer can commit after later-stamped
ones: rows are remembered by id for `LOOKBACK_NS`, and each round reads back that far.

Each outgoing transfer of a customer's or merchant's balance account (not a post, void or expiry, nor a
freeze's own hold, nor a move into a trading venue's own accounts: see `VENUE_OWNERS`) is checked at its
own time against the account's journal: frequency, rate, structuring (the subject's KYC per-transaction
limit), drain. Given a `TradeFeed`, each round also checks the settled trades not checked yet for value moved
through the book off the market (`risk.monitoring.surveillance`), in the same transaction with their own
memory (`monitoring_trades`). Each round also tops up the freezes still open
(`alerts.top_up`): money that arrived in a frozen account is held too.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    and_,
    delete,
    func,
    insert,
    not_,
    or_,
    select,
    update,
)

from ledger.accounts import lookup_account
from ledger.ids import NS_PER_SECOND
from ledger.model import Account, TransferFlags
from ledger.schema import accounts as ledger_accounts
from ledger.schema import transfers
from risk.engine.geo import CountryLookup
from risk.kyc.schema import subject_tiers
from risk.kyc.tiers import Tier, TierLimits
from risk.monitoring import audit, checks, surveillance
from risk.monitoring.alerts import AlertQueue, CaseOpener, Subject, raise_alert, top_up
from risk.monitoring.config import MonitoringConfig
from risk.monitoring.freezes import FROZEN_KINDS, hold_account
from risk.monitoring.schema import holds, observed, sightings

LOOKBACK_NS: Final = 300 * NS_PER_SECOND
VENUE_OWNERS: Final = ("spot:", "perp:", "options:", "perp-trader:", "options-margin:", "routing:")
"""Owner-id prefixes of the trading venues' own accounts (a market's escrow, deposits and clearing, a trader's
margin, a routed leg's venue clearing: `matching.spot.accounts.market_specs`, its perpetual and option twins,
`api.routing.postings`; a test holds them together). An order's hold, a margin deposit or a short option's
margin moves a trader's money within the exchange, where it stays the trader's or becomes a trade; counted as
outgoing, every ten orders would look like a frequency spike and freeze the trader. Money leaving the exchange
(a withdrawal) is not such a move, and the margin accounts are themselves watched when money leaves them. What
a trade moves between two traders is judged by the trade surveillance instead (`surveillance`)."""
ROUND_LIMIT: Final = 1_000
# A transfer that resolves a pending one moves no new money: only plain and pending transfers are activity.
_RESOLVING: Final = int(
    TransferFlags.POST_PENDING | TransferFlags.VOID_PENDING | TransferFlags.EXPIRE_PENDING
)
_ACTIVITY_FLAGS: Final = (0, 1, 2, 3)  # NONE, LINKED, PENDING, LINKED | PENDING


@dataclass(frozen=True, slots=True)
class Journal:
    """One transfer as the checks need it (`timestamp` in ns since the epoch, the ledger's)."""

    id: int
    timestamp: int
    currency: str
    debit_account_id: int
    credit_account_id: int
    amount: int
    flags: int


class Monitor:
    """The checks over one database, with the thresholds, the KYC limits and the IP country table."""

    def __init__(
        self,
        engine: Engine,
        config: MonitoringConfig,
        tier_limits: TierLimits,
        countries: CountryLookup,
        *,
        clock: Callable[[], int],
        opener: CaseOpener | None = None,
        trades: surveillance.TradeFeed | None = None,
    ) -> None:
        self.engine = engine
        self.config = config
        self.tier_limits = tier_limits
        self.countries = countries
        self.clock = clock
        self.opener: CaseOpener = opener or AlertQueue()
        self.trades = trades

    def run_once(self) -> int:
        """Check the transfers not checked yet (at most `ROUND_LIMIT`), the settled trades not checked yet
        (with a trade feed) and top up open freezes; how many alerts were raised plus holds topped up (0
        when nothing happened)."""
        with self.engine.begin() as connection:
            audit.lock(connection)
            batch = _unchecked(connection)
            raised = sum(self.check_transfer(connection, transfer) for transfer in batch)
            if batch:
                connection.execute(
                    insert(observed), [{"transfer_id": t.id, "timestamp": t.timestamp} for t in batch]
                )
                newest = max(t.timestamp for t in batch)
                connection.execute(delete(observed).where(observed.c.timestamp < newest - 2 * LOOKBACK_NS))
            if self.trades is not None:
                raised += surveillance.surveil(
                    connection, self.trades, self.config.off_market, self.clock, self.opener
                )
            return raised + top_up(connection, self.clock())

    def check_transfer(self, connection: Connection, transfer: Journal) -> int:
        """Check one transfer's debit account at the transfer's time; how many alerts it raised."""
        if transfer.flags & _RESOLVING or transfer.credit_account_id == hold_account(transfer.currency).id:
            return 0
        if connection.execute(
            select(_venue_accounts().where(ledger_accounts.c.id == transfer.credit_account_id).exists())
        ).scalar():
            return 0
        account = lookup_account(connection, transfer.debit_account_id)
        if account is None or account.owner_kind not in FROZEN_KINDS:
            return 0
        subject = Subject(account.owner_kind.value, account.owner_id, account.id, transfer.id)
        raised = 0
        for finding in self.findings(connection, account, transfer):
            if raise_alert(connection, finding, subject, self.clock(), self.opener) is not None:
                raised += 1
        return raised

    def findings(self, connection: Connection, account: Account, transfer: Journal) -> list[checks.Finding]:
        """What the four journal checks find about `account` at the time of `transfer`."""
        config, baseline = self.config, self.config.baseline
        figures = _Figures(connection, account.id, hold_account(account.currency).id, transfer.timestamp)
        frequency, rate, structuring, drain = config.frequency, config.rate, config.structuring, config.drain
        limit = self.tier_limits.limits_in(_tier(connection, account.owner_id), account.currency)
        found = [
            checks.frequency(
                frequency,
                baseline,
                figures.out_count(frequency.window, 0),
                figures.out_count(baseline, frequency.window),
            ),
            checks.rate(
                rate,
                baseline,
                account.currency,
                figures.out_sum(rate.window, 0),
                figures.out_sum(baseline, rate.window),
            ),
            checks.structuring(
                structuring, account.currency, limit.per_transaction, figures.out_amounts(structuring.window)
            ),
            checks.drain(
                drain,
                account.currency,
                figures.available_then(account.balances.available),
                figures.out_sum(drain.window, 0),
                figures.in_sum(drain.window),
            ),
        ]
        return [finding for finding in found if finding is not None]

    def sighting(self, subject_kind: str, subject_id: str, ip: str, at: int) -> checks.Finding | None:
        """A subject acted from `ip` at `at` (unix seconds): compare with its last sighting, remember this
        one's country (never the IP) and, on a geography finding, alert and freeze. The finding, or None."""
        country = self.countries.country(ip)
        if country is None:
            return None
        current = checks.Sighting(country, at)
        with self.engine.begin() as connection:
            audit.lock(connection)
            key = and_(sightings.c.subject_kind == subject_kind, sightings.c.subject_id == subject_id)
            row = connection.execute(select(sightings.c.country, sightings.c.at).where(key)).first()
            previous = None if row is None else checks.Sighting(row.country, int(row.at))
            if previous is None:
                connection.execute(
                    insert(sightings).values(
                        subject_kind=subject_kind, subject_id=subject_id, country=country, at=at
                    )
                )
            elif at >= previous.at:
                connection.execute(update(sightings).where(key).values(country=country, at=at))
            finding = checks.geography(self.config.geography, previous, current)
            if finding is not None:
                raise_alert(connection, finding, Subject(subject_kind, subject_id), self.clock(), self.opener)
            return finding


def _venue_accounts() -> Select[tuple[int]]:
    """The ids of the trading venues' own accounts (`VENUE_OWNERS`)."""
    return select(ledger_accounts.c.id).where(
        or_(*(ledger_accounts.c.owner_id.startswith(prefix) for prefix in VENUE_OWNERS))
    )


class _Figures:
    """An account's activity around a moment `at` (ns), read from the journal; the freezes' own holds and
    their voids are never activity, nor are moves to and from a trading venue's own accounts (the
    available balance then still counts everything: it is the balance's history, not activity)."""

    def __init__(self, connection: Connection, account_id: int, hold_account_id: int, at: int) -> None:
        self.connection = connection
        self.account_id = account_id
        self.hold_account_id = hold_account_id
        self.at = at

    def _sum(self, *conditions: ColumnElement[bool]) -> int:
        query = select(func.coalesce(func.sum(transfers.c.amount), 0)).where(
            and_(transfers.c.flags.in_(_ACTIVITY_FLAGS), *conditions)
        )
        return int(self.connection.execute(query).scalar_one())

    def _between(self, seconds: int, skip: int) -> ColumnElement[bool]:
        """The `seconds` ending `skip` seconds before the moment (the moment included)."""
        end = self.at - skip * NS_PER_SECOND
        return and_(transfers.c.timestamp > end - seconds * NS_PER_SECOND, transfers.c.timestamp <= end)

    def _out_all(self) -> ColumnElement[bool]:
        return and_(
            transfers.c.debit_account_id == self.account_id,
            transfers.c.credit_account_id != self.hold_account_id,
        )

    def _in_all(self) -> ColumnElement[bool]:
        return and_(
            transfers.c.credit_account_id == self.account_id,
            transfers.c.debit_account_id != self.hold_account_id,
        )

    def _out(self) -> ColumnElement[bool]:
        return and_(self._out_all(), transfers.c.credit_account_id.not_in(_venue_accounts()))

    def _in(self) -> ColumnElement[bool]:
        return and_(self._in_all(), transfers.c.debit_account_id.not_in(_venue_accounts()))

    def out_count(self, seconds: int, skip: int) -> int:
        query = (
            select(func.count())
            .select_from(transfers)
            .where(and_(transfers.c.flags.in_(_ACTIVITY_FLAGS), self._out(), self._between(seconds, skip)))
        )
        return int(self.connection.execute(query).scalar_one())

    def out_sum(self, seconds: int, skip: int) -> int:
        return self._sum(self._out(), self._between(seconds, skip))

    def in_sum(self, seconds: int) -> int:
        return self._sum(self._in(), self._between(seconds, 0))

    def out_amounts(self, seconds: int) -> list[int]:
        query = select(transfers.c.amount).where(
            and_(transfers.c.flags.in_(_ACTIVITY_FLAGS), self._out(), self._between(seconds, 0))
        )
        return [int(amount) for amount in self.connection.execute(query).scalars()]

    def available_then(self, available_now: int) -> int:
        """The available balance right after the moment: today's, with the freezes' open holds added back
        and the activity since undone (a void or expiry since of another pending transfer is not undone:
        the figure may err by its amount)."""
        held = select(func.coalesce(func.sum(holds.c.amount), 0)).where(
            and_(holds.c.account_id == self.account_id, holds.c.released_at.is_(None))
        )
        later = transfers.c.timestamp > self.at
        return (
            available_now
            + int(self.connection.execute(held).scalar_one())
            + self._sum(self._out_all(), later)
            - self._sum(self._in_all(), later)
        )


def _unchecked(connection: Connection) -> list[Journal]:
    """Transfers not checked yet, oldest first, from `LOOKBACK_NS` before the newest one checked."""
    newest = connection.execute(select(func.max(observed.c.timestamp))).scalar()
    since = 0 if newest is None else int(newest) - LOOKBACK_NS
    seen = select(observed.c.transfer_id).where(observed.c.transfer_id == transfers.c.id).exists()
    query = (
        select(
            transfers.c.id,
            transfers.c.timestamp,
            transfers.c.currency,
            transfers.c.debit_account_id,
            transfers.c.credit_account_id,
            transfers.c.amount,
            transfers.c.flags,
        )
        .where(and_(transfers.c.timestamp >= since, not_(seen)))
        .order_by(transfers.c.timestamp, transfers.c.id)
        .limit(ROUND_LIMIT)
    )
    return [
        Journal(
            int(row.id),
            int(row.timestamp),
            row.currency,
            int(row.debit_account_id),
            int(row.credit_account_id),
            int(row.amount),
            int(row.flags),
        )
        for row in connection.execute(query)
    ]


def _tier(connection: Connection, subject_id: str) -> Tier:
    """The subject's KYC tier (`none` when never set), read in this transaction."""
    stored = connection.execute(
        select(subject_tiers.c.tier).where(subject_tiers.c.subject_id == subject_id)
    ).scalar()
    return Tier.NONE if stored is None else Tier(stored)
