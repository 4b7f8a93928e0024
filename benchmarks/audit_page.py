"""The audit-page benchmark: reading one page of the custody audit log through its index, against a scan.

A log of `--records` records (the API's own record shape, a few hundred bytes each) is written once; then a
page of `--limit` records is read at the start, the middle and the end of the log, `--repeat` times each:

- ``scan``: what `GET /v1/custody/audit` did before the index: parse records from the top of the file
  until the page is reached (`AuditLog.records`);
- ``index``: `custody.audit.index.AuditIndex.read`, one 8-byte read and the page's own bytes.

Then what the index itself costs: building it from nothing (at start, when it is missing or disagrees with
the log) and verifying it at start when it agrees (a few reads at the head and the tail).

Run from the project root:

    python benchmarks/audit_page.py            # the table
    python benchmarks/audit_page.py --json     # one JSON object: figure name -> [median ms, best ms]
"""

import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from itertools import islice
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/audit_page.py`: make the project root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import click

from custody.audit import AuditLog, AuditRecord
from custody.audit.index import AuditIndex, index_path_for


def _timed_ms(work: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and best of `repeat` runs, in milliseconds (the best shows the cost on an idle machine)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times)


def _write_log(path: Path, records: int) -> None:
    log = AuditLog.open_file(path)
    for n in range(records):
        log.append(
            actor="api-key:0123456789abcdef",
            action="sign-request.signed",
            subject="0x" + f"{n:064x}",
            details={"attempt": 1, "reasons": [], "nodes": {}, "signature": "0x" + "ab" * 65},
            durable=False,
        )


def measure(records: int, limit: int, repeat: int) -> dict[str, tuple[float, float]]:
    """Milliseconds (median and best of `repeat`) for each figure."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "audit.jsonl"
        _write_log(path, records)
        log = AuditLog.open_file(path)
        figures: dict[str, tuple[float, float]] = {}
        index_file = index_path_for(path)

        def build() -> None:
            index_file.unlink(missing_ok=True)
            AuditIndex.open(path)

        def scan(after: int) -> list[AuditRecord]:
            return list(islice((r for r in log.records() if r.seq > after), limit))

        figures["index_build_ms"] = _timed_ms(build, max(1, repeat // 5))
        figures["index_verify_at_start_ms"] = _timed_ms(lambda: AuditIndex.open(path), repeat)
        index = AuditIndex.open(path)
        for where, after in (("start", 0), ("middle", records // 2), ("end", records - limit)):
            figures[f"scan_page_{where}_ms"] = _timed_ms(partial(scan, after), max(1, repeat // 5))
            figures[f"index_page_{where}_ms"] = _timed_ms(partial(index.read, after, limit), repeat)
        return {name: (round(median, 3), round(best, 3)) for name, (median, best) in figures.items()}


@click.command()
@click.option("--records", default=100_000, show_default=True, help="Records in the log.")
@click.option("--limit", default=100, show_default=True, help="Records per page.")
@click.option("--repeat", default=25, show_default=True, help="Timings per figure (median and best shown).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def main(records: int, limit: int, repeat: int, as_json: bool) -> None:
    """Time audit pages through the index against a scan of the log."""
    figures = measure(records, limit, repeat)
    if as_json:
        click.echo(json.dumps(figures))
        return
    click.echo(f"audit log of {records:,} records, pages of {limit}")
    click.echo("| figure | median ms | best ms |\n| --- | ---: | ---: |")
    for name, (median, best) in figures.items():
        click.echo(f"| `{name}` | {median:,.3f} | {best:,.3f} |")


if __name__ == "__main__":
    main()
