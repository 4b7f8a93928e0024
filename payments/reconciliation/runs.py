"""A reconciliation run: each rail's record of a day read, matched against the ledger's, stored with its
breaks.

The rails' records are read first, outside any transaction (a counterpart may be slow; no lock waits on
it). A rail whose record cannot be read (its counterpart down, a line of another rail) is `unreadable`, and
the run is `incomplete` naming it: its ledger lines are not matched, since against nothing they would all
look missing at the rail, and "no breaks" is never said of a rail nobody read. A rail with no source
configured is `unconfigured`; it makes the run incomplete only if the ledger moved money on it that day.

Then ONE transaction reads the ledger's side and stores the run, its rails and its breaks (the caller's
transaction, so the API commits its stored answer with them). Runs are numbered per day: `number` None
takes the next, a given `number` that exists answers the stored run unchanged, so a retried job or request
never runs twice, and re-running a day (after a fix at either side) is a new number, never a rewrite.
"""

import datetime
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import Connection, Engine, func, insert, select, text

from ledger.ids import now_ns
from ledger.store import begin_writing
from payments.intents.model import RailKind
from payments.reconciliation import schema
from payments.reconciliation.ledger_lines import LedgerLine, ledger_lines
from payments.reconciliation.lines import ExternalLine, LineKind, StatementSource
from payments.reconciliation.matching import Break, BreakKind, match

# One PostgreSQL advisory lock (an arbitrary constant) serialises the runs' numbering; SQLite serialises
# every writer anyway (`begin_writing`).
_NUMBERING_LOCK: Final = 0x7265636F6E


class RunStatus(enum.StrEnum):
    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    """At least one rail could not be reconciled: its breaks, if any, are unknown."""


class RailState(enum.StrEnum):
    RECONCILED = "reconciled"
    UNREADABLE = "unreadable"
    UNCONFIGURED = "unconfigured"


@dataclass(frozen=True, slots=True)
class Statement:
    """What reading one rail's record of the day gave: its lines, or why there are none (`detail`)."""

    rail: RailKind
    lines: tuple[ExternalLine, ...] | None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class RailResult:
    rail: RailKind
    state: RailState
    ledger_lines: int
    rail_lines: int
    detail: str | None


@dataclass(frozen=True, slots=True)
class Run:
    day: datetime.date
    number: int
    status: RunStatus
    break_count: int
    created_at: int
    rails: tuple[RailResult, ...]


def _cut(value: str, length: int) -> str:
    return value if len(value) <= length else value[: length - 1] + "…"


def read_statements(sources: Mapping[RailKind, StatementSource], day: datetime.date) -> list[Statement]:
    """Each configured rail's lines of `day`; a source that raises, or answers a line of another rail, is
    unreadable, named with what went wrong (the error's type and message: a source's errors name the
    counterpart, never a secret)."""
    statements = []
    for rail, source in sorted(sources.items()):
        try:
            lines = tuple(source.lines(day))
        except Exception as error:  # any failure of a counterpart's record means "not read"
            statements.append(Statement(rail, None, f"{type(error).__name__}: {error}"))
            continue
        strays = sorted({str(line.rail) for line in lines if line.rail != rail})
        if strays:
            statements.append(Statement(rail, None, f"the source answered lines of other rails: {strays}"))
        else:
            statements.append(Statement(rail, lines))
    return statements


def _rail_results(
    statements: Sequence[Statement], ours: Sequence[LedgerLine]
) -> tuple[list[RailResult], list[LedgerLine], list[ExternalLine]]:
    """Each rail's state, and the lines of the rails that were read (the only ones matched)."""
    read = {statement.rail: statement for statement in statements}
    results: list[RailResult] = []
    matched_ours: list[LedgerLine] = []
    matched_theirs: list[ExternalLine] = []
    for rail in sorted(RailKind):  # in the stored order, by name
        mine = [line for line in ours if line.rail == rail]
        statement = read.get(rail)
        if statement is None:
            results.append(RailResult(rail, RailState.UNCONFIGURED, len(mine), 0, "no statement source"))
        elif statement.lines is None:
            detail = _cut(statement.detail or "unreadable", schema.DETAIL_MAX_LENGTH)
            results.append(RailResult(rail, RailState.UNREADABLE, len(mine), 0, detail))
        else:
            results.append(RailResult(rail, RailState.RECONCILED, len(mine), len(statement.lines), None))
            matched_ours.extend(mine)
            matched_theirs.extend(statement.lines)
    return results, matched_ours, matched_theirs


def _incomplete(result: RailResult) -> bool:
    if result.state is RailState.UNCONFIGURED:
        return result.ledger_lines > 0
    return result.state is RailState.UNREADABLE


def _lock_numbering(connection: Connection) -> None:
    begin_writing(connection)
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _NUMBERING_LOCK})


def record_run(
    connection: Connection,
    day: datetime.date,
    statements: Sequence[Statement],
    number: int | None = None,
) -> Run:
    """Match `statements` against the ledger's `day` and store the run, in the caller's transaction."""
    _lock_numbering(connection)
    if number is not None:
        stored = load_run(connection, day, number)
        if stored is not None:
            return stored
    else:
        latest = connection.execute(select(func.max(schema.runs.c.number)).where(schema.runs.c.day == day))
        number = (latest.scalar_one() or 0) + 1
    results, ours, theirs = _rail_results(statements, ledger_lines(connection, day))
    found = match(ours, theirs)
    status = RunStatus.INCOMPLETE if any(_incomplete(result) for result in results) else RunStatus.COMPLETE
    run = Run(day, number, status, len(found), now_ns(), tuple(results))
    _store(connection, run, found)
    return run


def reconcile(
    engine: Engine, sources: Mapping[RailKind, StatementSource], day: datetime.date, number: int | None = None
) -> Run:
    """Read the rails' records of `day`, then match and store the run in a transaction of its own."""
    statements = read_statements(sources, day)
    with engine.begin() as connection:
        return record_run(connection, day, statements, number)


def _store(connection: Connection, run: Run, found: Sequence[Break]) -> None:
    of_run = {"day": run.day, "number": run.number}
    connection.execute(
        insert(schema.runs),
        of_run | {"status": str(run.status), "break_count": run.break_count, "created_at": run.created_at},
    )
    connection.execute(
        insert(schema.run_rails),
        [
            of_run
            | {
                "rail": str(result.rail),
                "state": str(result.state),
                "ledger_lines": result.ledger_lines,
                "rail_lines": result.rail_lines,
                "detail": result.detail,
            }
            for result in run.rails
        ],
    )
    if found:
        connection.execute(
            insert(schema.breaks),
            [of_run | _break_row(position, item) for position, item in enumerate(found)],
        )


def _break_row(position: int, item: Break) -> dict[str, Any]:
    ours, theirs, length = item.ledger, item.external, schema.REFERENCE_MAX_LENGTH
    return {
        "position": position,
        "kind": str(item.kind),
        "rail": str(item.rail),
        "line_kind": str(item.line_kind),
        "reference": _cut(item.reference, length),
        "ledger_amount": None if ours is None else ours.amount,
        "ledger_currency": None if ours is None else ours.currency,
        "ledger_livemode": None if ours is None else ours.livemode,
        "ledger_transfer_ids": None if ours is None else ",".join(map(str, ours.transfer_ids)),
        "rail_external_id": None if theirs is None else _cut(theirs.external_id, length),
        "rail_amount": None if theirs is None else theirs.amount,
        "rail_currency": None if theirs is None else theirs.currency,
        "rail_livemode": None if theirs is None else theirs.livemode,
        "rail_booked_on": None if theirs is None else theirs.booked_on,
    }


def load_run(connection: Connection, day: datetime.date, number: int | None = None) -> Run | None:
    """Run `number` of `day` (None: the latest), or None if there is none."""
    query = select(schema.runs).where(schema.runs.c.day == day)
    query = (
        query.order_by(schema.runs.c.number.desc()).limit(1)
        if number is None
        else query.where(schema.runs.c.number == number)
    )
    row = connection.execute(query).one_or_none()
    if row is None:
        return None
    rails = connection.execute(
        select(schema.run_rails)
        .where(schema.run_rails.c.day == day, schema.run_rails.c.number == row.number)
        .order_by(schema.run_rails.c.rail)
    )
    results = tuple(
        RailResult(RailKind(r.rail), RailState(r.state), r.ledger_lines, r.rail_lines, r.detail)
        for r in rails
    )
    return Run(day, row.number, RunStatus(row.status), row.break_count, row.created_at, results)


def load_breaks(connection: Connection, run: Run, after: int | None, limit: int) -> list[tuple[int, Break]]:
    """Up to `limit` of `run`'s breaks after position `after` (None: from the first), with positions."""
    table = schema.breaks
    query = select(table).where(table.c.day == run.day, table.c.number == run.number)
    if after is not None:
        query = query.where(table.c.position > after)
    rows = connection.execute(query.order_by(table.c.position).limit(limit))
    return [(row.position, _break(row)) for row in rows]


def _break(row: Any) -> Break:
    rail, line_kind = RailKind(row.rail), LineKind(row.line_kind)
    ours = None
    if row.ledger_amount is not None:
        ids = tuple(int(value) for value in row.ledger_transfer_ids.split(",") if value)
        ours = LedgerLine(
            rail,
            line_kind,
            row.reference,
            row.ledger_amount,
            row.ledger_currency,
            bool(row.ledger_livemode),
            ids,
        )
    theirs = None
    if row.rail_amount is not None:
        theirs = ExternalLine(
            rail=rail,
            kind=line_kind,
            reference=row.reference,
            external_id=row.rail_external_id,
            amount=row.rail_amount,
            currency=row.rail_currency,
            booked_on=row.rail_booked_on,
            livemode=bool(row.rail_livemode),
        )
    return Break(BreakKind(row.kind), rail, line_kind, row.reference, ours, theirs)
