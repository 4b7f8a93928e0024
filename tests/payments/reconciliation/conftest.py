"""Fixtures of the reconciliation tests: the tables on each backend, payments made through the intents'
domain with the scripted card rail, and a rail's record of a day as an in-process statement source.

`RecordedStatement` is a test double of a RAIL's own record (what a bank's camt.053 or a settlement file
would list), not of anything under test: the ledger side, the matcher and the runs are the real ones.
`statement_of` writes the record a rail that agrees with the ledger would keep, so a test changes one line
of it to make one break.
"""

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine, func, select

import ledger.schema
import payments.reconciliation.schema
from api.db import make_engine
from ledger.ids import NS_PER_SECOND
from payments.intents import intents
from payments.intents.context import Payments
from payments.intents.model import CaptureMethod, PaymentIntent, RailKind
from payments.reconciliation.ledger_lines import LedgerLine, ledger_lines
from payments.reconciliation.lines import ExternalLine
from tests.helpers.db import database_url, pg_url, sqlite_url  # noqa: F401  (fixtures)
from tests.payments.intents.conftest import TENANT, ScriptedRail, create_payment_tables


@dataclass
class RecordedStatement:
    """A rail's record of its days, in process; `down` makes reading it fail as a counterpart down does."""

    rail: RailKind
    days: dict[datetime.date, list[ExternalLine]] = field(default_factory=dict)
    down: bool = False

    def lines(self, day: datetime.date) -> Sequence[ExternalLine]:
        if self.down:
            raise ConnectionError(f"{self.rail} statement service unreachable")
        return list(self.days.get(day, []))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:  # noqa: F811
    engine = make_engine(database_url)
    create_payment_tables(engine)
    payments.reconciliation.schema.metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def rail() -> ScriptedRail:
    return ScriptedRail()


@pytest.fixture
def pay(engine: Engine, rail: ScriptedRail) -> Payments:
    return Payments(engine, {RailKind.CARD: rail})


def paid(pay: Payments, amount: int = 10_000, *, manual: bool = False, **options: object) -> PaymentIntent:
    """A confirmed card payment of the sandbox tenant (captured at once unless `manual`)."""
    intent = intents.create(
        pay,
        TENANT,
        amount=amount,
        currency="EUR",
        rail=RailKind.CARD,
        capture_method=CaptureMethod.MANUAL if manual else CaptureMethod.AUTOMATIC,
        payment_method="pm_ok",
        **options,  # type: ignore[arg-type]
    )
    return intents.confirm(pay, TENANT, intent.id)


def ledger_day(engine: Engine) -> datetime.date:
    """The UTC day of the ledger's latest transfer: the day the tests' payments were booked on."""
    with engine.connect() as connection:
        latest = connection.execute(select(func.max(ledger.schema.transfers.c.timestamp))).scalar_one()
    return datetime.datetime.fromtimestamp(latest // NS_PER_SECOND, datetime.UTC).date()


def agreeing_line(line: LedgerLine, day: datetime.date, external_id: str | None = None) -> ExternalLine:
    """The line a rail agreeing with `line` books."""
    return ExternalLine(
        rail=line.rail,
        kind=line.kind,
        reference=line.reference,
        external_id=external_id or f"ext-{line.kind}-{line.reference}",
        amount=line.amount,
        currency=line.currency,
        booked_on=day,
        livemode=line.livemode,
    )


def statement_of(engine: Engine, day: datetime.date, rail: RailKind = RailKind.CARD) -> RecordedStatement:
    """The record of `day` of a `rail` that agrees with the ledger in every line."""
    with engine.connect() as connection:
        ours = [line for line in ledger_lines(connection, day) if line.rail == rail]
    return RecordedStatement(rail, {day: [agreeing_line(line, day) for line in ours]})
