"""The API's daily reconciliation: yesterday is run until a run of it is complete, then left alone."""

import asyncio
import datetime

from sqlalchemy import Engine

from api.reconciliation.daily import reconcile_if_due, reconciling_daily, yesterday
from payments.intents.context import Payments
from payments.intents.model import RailKind
from payments.reconciliation.runs import RunStatus, load_run
from tests.payments.reconciliation.conftest import (  # noqa: F401  (fixtures)
    RecordedStatement,
    engine,
    ledger_day,
    paid,
    pay,
    rail,
    statement_of,
)


def test_a_day_is_run_until_complete(engine: Engine, pay: Payments) -> None:  # noqa: F811
    paid(pay, 700)
    day = ledger_day(engine)
    down = {RailKind.CARD: RecordedStatement(RailKind.CARD, down=True)}
    first = reconcile_if_due(engine, down, day)
    again = reconcile_if_due(engine, down, day)
    assert first is not None
    assert again is not None
    assert (first.status, again.number) == (RunStatus.INCOMPLETE, 2)
    done = reconcile_if_due(engine, {RailKind.CARD: statement_of(engine, day)}, day)
    assert done is not None
    assert (done.number, done.status) == (3, RunStatus.COMPLETE)
    assert reconcile_if_due(engine, down, day) is None


def test_the_loop_reconciles_yesterday_once(engine: Engine) -> None:  # noqa: F811
    async def serve_a_while() -> None:
        async with reconciling_daily(engine, {}, 0.05):
            await asyncio.sleep(0.5)

    asyncio.run(serve_a_while())
    with engine.connect() as connection:
        run = load_run(connection, yesterday())
        assert run is not None
        assert (run.number, run.status) == (1, RunStatus.COMPLETE)  # nothing moved: complete, never re-run
        assert load_run(connection, yesterday() + datetime.timedelta(days=1)) is None
