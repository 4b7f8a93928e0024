"""Aggregate analytics reports (events and amounts per day and country, merchant category or kind) with
small-count suppression.

A cell is suppressed when fewer than `k` (default 10) distinct pseudonyms are in it, but more than none
(primary suppression: an empty cell tells nothing about anyone). Published totals would give a lone
suppressed cell away (total minus the rest), so complementary suppression follows: the table is seen with
its margins as one grid, and while any line (a row or a column, the totals' row and column included) holds
exactly one suppressed entry, the smallest other entry of that line is suppressed too, preferring inner cells
with events over totals and empty cells. Each line then hides nothing or at least two entries, so no
subtraction along a line recovers one. Events and amounts are additive, so margins are the sums of their
lines; distinct pseudonyms are not, so they decide suppression but are never published.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

from sqlalchemy import Connection, func, select

from risk.privacy.schema import analytics_events

DEFAULT_K: Final = 10
TOTAL: Final = "*"
Dimension = Literal["country", "mcc", "kind"]
DIMENSIONS: Final[tuple[Dimension, ...]] = ("country", "mcc", "kind")


@dataclass(frozen=True)
class Tally:
    """What a cell holds before suppression."""

    events: int
    amount: int
    pseudonyms: frozenset[str]


@dataclass(frozen=True)
class Cell:
    """A published cell: `events` and `amount` are None when suppressed."""

    row: str
    column: str
    events: int | None
    amount: int | None

    @property
    def suppressed(self) -> bool:
        return self.events is None


@dataclass(frozen=True)
class Report:
    """Every cell of the grid, margins (`TOTAL`) included, rows and columns in order."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    cells: tuple[Cell, ...]
    k: int

    def cell(self, row: str, column: str) -> Cell:
        return next(cell for cell in self.cells if (cell.row, cell.column) == (row, column))


def _grid(tallies: Mapping[tuple[str, str], Tally]) -> dict[tuple[str, str], Tally]:
    """The inner cells (missing ones empty) and their margins."""
    rows = sorted({row for row, _ in tallies})
    columns = sorted({column for _, column in tallies})
    empty = Tally(0, 0, frozenset())
    grid = {(r, c): tallies.get((r, c), empty) for r in rows for c in columns}
    for r in rows:
        grid[r, TOTAL] = _sum(grid[r, c] for c in columns)
    for c in [*columns, TOTAL]:
        grid[TOTAL, c] = _sum(grid[r, c] for r in rows)
    return grid


def _sum(tallies: Iterable[Tally]) -> Tally:
    events, amount, pseudonyms = 0, 0, set[str]()
    for tally in tallies:
        events += tally.events
        amount += tally.amount
        pseudonyms |= tally.pseudonyms
    return Tally(events, amount, frozenset(pseudonyms))


def suppressed_cells(grid: Mapping[tuple[str, str], Tally], k: int) -> set[tuple[str, str]]:
    """The grid's cells to hide: primary (0 < distinct pseudonyms < k), then complementary until no line
    (row or column, margins included) hides exactly one."""
    hidden = {key for key, tally in grid.items() if 0 < len(tally.pseudonyms) < k}
    lines: list[list[tuple[str, str]]] = []
    for r in {row for row, _ in grid}:
        lines.append([key for key in grid if key[0] == r])
    for c in {column for _, column in grid}:
        lines.append([key for key in grid if key[1] == c])

    def cost(key: tuple[str, str]) -> tuple[int, int, int, tuple[str, str]]:
        tally = grid[key]
        margin = TOTAL in key
        return (tally.events == 0, margin, tally.events, key)

    changed = True
    while changed:
        changed = False
        for line in lines:
            inside = [key for key in line if key in hidden]
            if len(inside) != 1:
                continue
            candidates = [key for key in line if key not in hidden]
            if candidates:
                hidden.add(min(candidates, key=cost))
                changed = True
    return hidden


def tabulate(tallies: Mapping[tuple[str, str], Tally], k: int = DEFAULT_K) -> Report:
    """The report of `tallies` (keyed by row, column) with its margins, suppressed."""
    if k < 1:
        raise ValueError("k must be at least 1")
    grid = _grid(tallies)
    hidden = suppressed_cells(grid, k)
    rows = (*sorted({row for row, _ in tallies}), TOTAL)
    columns = (*sorted({column for _, column in tallies}), TOTAL)
    cells = tuple(
        Cell(r, c, None, None) if (r, c) in hidden else Cell(r, c, grid[r, c].events, grid[r, c].amount)
        for r in rows
        for c in columns
    )
    return Report(rows, columns, cells, k)


def report(
    connection: Connection,
    dimension: Dimension,
    since: datetime.date,
    until: datetime.date,
    *,
    kind: str | None = None,
    currency: str | None = None,
    k: int = DEFAULT_K,
) -> Report:
    """Events and amounts per day (rows) and `dimension` (columns) over `since`..`until` inclusive, for one
    event kind and one currency if given (amounts of different currencies never add up: pass a currency
    to read amounts). An unknown dimension value reads as `unknown`."""
    events = analytics_events.c
    column = events[dimension]
    query = (
        select(events.day, column, events.pseudonym, func.count(), func.coalesce(func.sum(events.amount), 0))
        .where(events.day >= since, events.day <= until)
        .group_by(events.day, column, events.pseudonym)
    )
    if kind is not None:
        query = query.where(events.kind == kind)
    if currency is not None:
        query = query.where(events.currency == currency.upper())
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    people: dict[tuple[str, str], set[str]] = defaultdict(set)
    for day, value, pseudonym, count, amount in connection.execute(query):
        key = (day.isoformat(), value or "unknown")
        counts[key][0] += count
        counts[key][1] += int(amount) if currency is not None else 0
        people[key].add(pseudonym)
    tallies = {key: Tally(n, amount, frozenset(people[key])) for key, (n, amount) in counts.items()}
    return tabulate(tallies, k)
