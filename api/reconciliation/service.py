"""Reconciliation behind the routes: validate the day, read a run and a page of its breaks, run a day.

A new run reads the rails' records in a worker thread outside any transaction (`read_statements`), then
matches and stores it on the request's session with its Idempotency-Key answer, in one transaction: a
retried POST replays the first run instead of making another. The breaks' cursor holds (run, position), so
paging on goes on through the run it started with even when a newer run of the day appears meanwhile.
"""

import datetime
from collections.abc import Mapping
from typing import Final

from anyio import to_thread
from sqlalchemy.orm import Session

from api.errors import InvalidRequest, NotFound
from api.idempotency.progress import Progress
from api.pagination import DEFAULT_LIMIT, Listing, Page, key_part
from api.reconciliation.schemas import BreakOut, LedgerSide, RailSide, RunOut, RunRail
from ledger.ids import EPOCH
from payments.intents.model import RailKind
from payments.reconciliation.days import parse_past_day
from payments.reconciliation.lines import StatementSource
from payments.reconciliation.matching import Break
from payments.reconciliation.runs import Run, load_breaks, load_run, read_statements, record_run

BREAKS: Final = Listing("reconciliation-breaks", (int, int))


class RunNotFound(NotFound, problem="reconciliation-run-not-found", title="Reconciliation run not found"):
    """No run of this day (or of this number) exists yet."""


def _invalid_date(message: str) -> InvalidRequest:
    return InvalidRequest(
        f"invalid value for: date ({message})", errors=[{"field": "date", "message": message}]
    )


def parse_day(text: str) -> datetime.date:
    """The day `text` names (YYYY-MM-DD), not after today (UTC); a 422 naming `date` otherwise."""
    try:
        return parse_past_day(text)
    except ValueError as error:
        raise _invalid_date(str(error)) from None


def _break_view(item: Break) -> BreakOut:
    ours, theirs = item.ledger, item.external
    return BreakOut(
        kind=item.kind.value,
        rail=item.rail.value,
        line_kind=item.line_kind.value,
        reference=item.reference,
        ledger=None
        if ours is None
        else LedgerSide(
            amount=ours.amount,
            currency=ours.currency,
            livemode=ours.livemode,
            transfer_ids=list(ours.transfer_ids),
        ),
        rail_line=None
        if theirs is None
        else RailSide(
            external_id=theirs.external_id,
            amount=theirs.amount,
            currency=theirs.currency,
            livemode=theirs.livemode,
            booked_on=theirs.booked_on,
        ),
    )


def _view(session: Session, run: Run, after: int | None, limit: int, cursor: str | None) -> RunOut:
    found = load_breaks(session.connection(), run, after, limit + 1)
    page = BREAKS.page(
        found, limit, lambda item: (run.number, item[0]), cursor=cursor, filters={"date": run.day.isoformat()}
    )
    return RunOut(
        date=run.day,
        run=run.number,
        status=run.status.value,
        break_count=run.break_count,
        created_at=EPOCH + datetime.timedelta(microseconds=run.created_at // 1_000),
        rails=[
            RunRail(
                rail=result.rail.value,
                state=result.state.value,
                ledger_lines=result.ledger_lines,
                rail_lines=result.rail_lines,
                detail=result.detail,
            )
            for result in run.rails
        ],
        breaks=Page[BreakOut](
            data=[_break_view(item) for _, item in page.data],
            has_more=page.has_more,
            next_cursor=page.next_cursor,
        ),
    )


def _read(session: Session, text: str, number: int | None, cursor: str | None, limit: int) -> RunOut:
    day = parse_day(text)
    key = BREAKS.decode(cursor, {"date": day.isoformat()})
    after = None
    if key is not None:
        number, after = key_part(key, 0, int), key_part(key, 1, int)
    try:
        run = load_run(session.connection(), day, number)
        if run is None:
            raise RunNotFound(f"no reconciliation run {'' if number is None else f'#{number} '}of {day} yet")
        return _view(session, run, after, limit, cursor)
    finally:
        session.rollback()


async def read_run(session: Session, text: str, number: int | None, cursor: str | None, limit: int) -> RunOut:
    """The day's run `number` (None: the latest) and a page of its breaks."""
    return await to_thread.run_sync(_read, session, text, number, cursor, limit)


def _record(
    session: Session, day: datetime.date, sources: Mapping[RailKind, StatementSource], progress: Progress
) -> RunOut:
    statements = read_statements(sources, day)
    run = record_run(session.connection(), day, statements)
    view = _view(session, run, None, DEFAULT_LIMIT, None)
    progress.finish(lambda _: view)(None)
    session.commit()
    return view


async def run_day(
    session: Session, text: str, sources: Mapping[RailKind, StatementSource], progress: Progress
) -> RunOut:
    """Reconcile the day now: a new run (201), with the first page of its breaks."""
    day = parse_day(text)
    return await to_thread.run_sync(_record, session, day, sources, progress)
