"""Small-count suppression: no cell of fewer than k subjects is shown, and no line hides just one entry."""

import datetime

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from risk.privacy import analytics, reports
from risk.privacy.analytics import Event, EventKind
from risk.privacy.pseudonyms import Pseudonymizer
from risk.privacy.reports import TOTAL, Tally, tabulate
from tests.risk.privacy.conftest import START


def _tally(subjects: int, amount: int = 0) -> Tally:
    return Tally(subjects, amount, frozenset(f"p{i}" for i in range(subjects)))


def test_a_small_cell_and_its_complement_are_suppressed_and_totals_stay_consistent():
    tallies = {
        ("d1", "DE"): _tally(30, 300),
        ("d1", "FR"): _tally(3, 30),
        ("d1", "IT"): _tally(20, 200),
        ("d2", "DE"): _tally(25, 250),
        ("d2", "FR"): _tally(12, 120),
        ("d2", "IT"): _tally(40, 400),
    }
    report = tabulate(tallies, k=10)
    hidden = {(cell.row, cell.column) for cell in report.cells if cell.suppressed}
    assert ("d1", "FR") in hidden
    # d1's row total minus DE would give FR away unless one more d1 cell is hidden; likewise FR's column
    assert len([key for key in hidden if key[0] == "d1"]) >= 2
    assert len([key for key in hidden if key[1] == "FR"]) >= 2
    assert report.cell(TOTAL, TOTAL).events == 130
    assert report.cell("d2", "DE").events == 25


grids = st.dictionaries(
    st.tuples(st.sampled_from(["d1", "d2", "d3", "d4"]), st.sampled_from(["AT", "DE", "FR"])),
    st.integers(min_value=0, max_value=25),
    min_size=1,
)


@given(grids, st.integers(min_value=2, max_value=12))
def test_no_small_cell_shows_and_no_line_hides_exactly_one(counts: dict[tuple[str, str], int], k: int):
    report = tabulate({key: _tally(n, n) for key, n in counts.items()}, k)
    hidden = {(cell.row, cell.column) for cell in report.cells if cell.suppressed}
    for cell in report.cells:
        if not cell.suppressed and (cell.row, cell.column) in counts:
            assert cell.events is not None
            assert cell.events == 0 or cell.events >= k
    for line in [*({(r, c) for c in report.columns} for r in report.rows),
                 *({(r, c) for r in report.rows} for c in report.columns)]:  # fmt: skip
        assert len(line & hidden) != 1


def test_the_report_counts_distinct_pseudonyms_from_the_stored_events(
    engine: Engine, pseudonymizer: Pseudonymizer
):
    with engine.begin() as connection:
        for i in range(12):
            event = Event(EventKind.PAYMENT, f"idn_{i}", START, country="DE", currency="EUR", amount=100)
            analytics.record(connection, pseudonymizer, event)
        for _ in range(15):  # fifteen payments, one payer: still one subject
            event = Event(EventKind.PAYMENT, "idn_lone", START, country="FR", currency="EUR", amount=5)
            analytics.record(connection, pseudonymizer, event)
        day = analytics.utc_day(START)
        found = reports.report(connection, "country", day, day, kind="payment", currency="eur", k=10)
    row = day.isoformat()
    assert found.cell(row, "FR").suppressed  # fifteen events, one subject
    # one day only: its total is the grand total, so DE is hidden too or 27 - DE would give FR away
    assert found.cell(row, "DE").suppressed
    assert (found.cell(TOTAL, TOTAL).events, found.cell(TOTAL, TOTAL).amount) == (27, 1275)
    with engine.connect() as connection:
        everyone = reports.report(connection, "kind", day, day, k=10)
    assert everyone.cell(row, "payment").events == 27  # 13 subjects: shown
    later = day + datetime.timedelta(days=1)
    with engine.connect() as connection:
        assert reports.report(connection, "country", later, later).cells[-1].events == 0
