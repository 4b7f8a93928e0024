"""Reconciliation's command line, the daily job.

`python -m api.reconciliation run --date 2026-12-06` reconciles the day (UTC) against the record of each rail
in `TPW_RECONCILIATION_RAILS`, read with the API's own settings of that rail (`api.reconciliation.sources`;
the database is `TPW_DATABASE_URL`, or `--database-url`), so the job and the API read the same
counterparts. It stores a new run (or, with `--number N`,
answers run N of the day if it exists, so a retried job never runs twice), prints each break and a summary.
Exit status: 0 complete without breaks, 1 breaks found, 2 incomplete (a rail unread: never "no breaks").
Cron it after the rails' cut-off, e.g. `--date $(date -u -d yesterday +%F)`.
"""

import argparse
import datetime
import sys

from sqlalchemy import create_engine

from api.reconciliation.sources import statement_sources
from api.settings import ApiSettings, get_settings
from payments.reconciliation.days import parse_past_day
from payments.reconciliation.runs import RunStatus, load_breaks, reconcile

EXIT_BREAKS = 1
EXIT_INCOMPLETE = 2


def _day(text: str) -> datetime.date:
    try:
        return parse_past_day(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"--date {text!r}: {error}") from None


def main(argv: list[str] | None = None, settings: ApiSettings | None = None) -> int:
    """Run the command; `settings` default to the environment's, as the API's."""
    parser = argparse.ArgumentParser(prog="python -m api.reconciliation", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="reconcile a day and store the run")
    run.add_argument("--date", required=True, type=_day, help="the day (UTC), YYYY-MM-DD")
    run.add_argument(
        "--database-url", help="SQLAlchemy URL of the API's database (default: TPW_DATABASE_URL)"
    )
    run.add_argument("--number", type=int, help="the run's number (answered as stored if it exists)")
    options = parser.parse_args(argv)
    settings = settings if settings is not None else get_settings()
    engine = create_engine(options.database_url or settings.database_url)
    try:
        try:
            sources = statement_sources(settings, engine)
        except RuntimeError as error:  # a reconciled rail not configured, or configured wrongly
            parser.error(str(error))
        done = reconcile(engine, sources, options.date, options.number)
        with engine.connect() as connection:
            found = load_breaks(connection, done, None, max(done.break_count, 1))
    finally:
        engine.dispose()
    for _, item in found:
        ours, theirs = item.ledger, item.external
        print(
            f"{item.kind}\t{item.rail}\t{item.line_kind}\t{item.reference}"
            f"\tledger={'-' if ours is None else f'{ours.amount} {ours.currency}'}"
            f"\trail={'-' if theirs is None else f'{theirs.amount} {theirs.currency} ({theirs.external_id})'}"
        )
    for result in done.rails:
        counts = f"{result.ledger_lines} ledger / {result.rail_lines} rail lines"
        detail = f": {result.detail}" if result.detail else ""
        print(f"rail {result.rail}: {result.state} ({counts}){detail}", file=sys.stderr)
    print(f"run {done.day} #{done.number}: {done.status}, {done.break_count} break(s)", file=sys.stderr)
    if done.status is RunStatus.INCOMPLETE:
        return EXIT_INCOMPLETE
    return EXIT_BREAKS if done.break_count else 0


if __name__ == "__main__":
    sys.exit(main())
