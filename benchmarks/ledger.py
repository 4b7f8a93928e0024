"""The ledger benchmark: posted transfers through `ledger.transfers` on PostgreSQL and SQLite.

Rows:

- pg batch: `--batches` batches of `--batch-size` single-phase transfers between random pairs of
  `--accounts` accounts, each batch one `create_transfers` call (one transaction): posted transfers/s, and
  p50/p99 of a whole batch;
- pg single: `--singles` transfers, one `create_transfers` call of one each, one after another: p50, p99;
- sqlite batch: the pg batch row on a SQLite file (WAL, the API's engine);
- pg commit: a one-row INSERT and COMMIT, `--singles` times: the server's durable-write floor, under which
  no single transfer can go (its WAL flush), to read the pg single row against;
- api intents pg / api intents sqlite: payment intents through HTTP (`benchmarks/api_payments.py`): an API
  process of its own on a fresh schema (a SQLite file), a merchant onboarded through it, `--clients`
  keep-alive clients running intents through their flow for `--api-seconds`: intents/s, and p50/p99 of
  a whole intent end to end. The flow is the card rail's by default (create for manual capture with a
  tokenized test card, confirm, capture; the benchmark starts the card processor itself); `--rail none` is
  the labelled fallback, create then cancel on an API without a rail; the row's name says which.

Every transfer must answer `ok` (the accounts have no balance constraint), and the audit must find nothing
afterwards, so a fast wrong ledger cannot pass. PostgreSQL is `--pg-url` (default `TPW_TEST_PG_URL`, else
the local test server); the run works in a scratch schema it drops. Run from the project root:

    python benchmarks/ledger.py            # the table
    python benchmarks/ledger.py --json     # one JSON object (ledger_pg_transfers_per_s, ...,
                                           # api_payment_intents_per_s, api_payment_intent_p99_ms)

The load average is printed first: on a machine busy with other work every figure here is worse.
"""

import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/ledger.py`: make the project root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import click
from sqlalchemy import Engine, create_engine, make_url, text

from api.db import make_engine
from benchmarks.api_payments import IntentLoad, flow, measure_intents
from ledger.accounts import create_accounts
from ledger.check import verify
from ledger.ids import new_id
from ledger.model import AccountSpec, OwnerKind, TransferSpec
from ledger.schema import metadata
from ledger.transfers import create_transfers
from tests.helpers.db import pg_server_url

WARM_UP_BATCHES = 2
WARM_UP_SINGLES = 50
PG_RATE_TARGET = 5_000
PG_P99_TARGET_MS = 10.0
API_INTENT_RATE_TARGET = 300
API_INTENT_P99_TARGET_MS = 100.0


@dataclass(frozen=True)
class Options:
    accounts: int
    batches: int
    batch_size: int
    singles: int
    seed: int
    clients: int
    api_seconds: float
    rail: str
    api_workers: int


@dataclass(frozen=True)
class Row:
    name: str
    transfers_per_s: float
    p50_ms: float
    p99_ms: float
    target: str
    met: bool | None
    """Whether the row reaches its target; None for a row without one (reported, not judged)."""


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@contextmanager
def pg_schema(url: str) -> Iterator[str]:
    """The URL of a fresh schema of the server at `url` (its search_path), dropped afterwards."""
    schema = f"tpw_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield (
            make_url(url)
            .update_query_dict({"options": f"-csearch_path={schema}"})
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def _pg_engine(url: str) -> Iterator[Engine]:
    """An engine on a fresh schema of the server at `url`, dropped afterwards."""
    with pg_schema(url) as scoped:
        engine = make_engine(scoped)
        try:
            yield engine
        finally:
            engine.dispose()


def _open_accounts(engine: Engine, count: int) -> list[int]:
    metadata.create_all(engine)
    ids = [new_id() for _ in range(count)]
    specs = [AccountSpec(account_id, "EUR", OwnerKind.CUSTOMER, str(account_id)) for account_id in ids]
    assert all(outcome.result == "ok" for outcome in create_accounts(engine, specs))
    return ids


def _specs(ids: list[int], count: int, rng_seed: int) -> list[TransferSpec]:
    rng = random.Random(rng_seed)
    specs = []
    for _ in range(count):
        debit, credit = rng.sample(ids, 2)
        specs.append(TransferSpec(f"bench-{new_id()}", debit, credit, rng.randint(1, 10_000), "EUR"))
    return specs


def _latencies(engine: Engine, options: Options, batch_size: int, warm_up: int, measured: int) -> list[float]:
    """Seconds each of `measured` `create_transfers` calls of `batch_size` transfers took (after `warm_up`
    unmeasured ones); every transfer must be `ok` and the audit clean afterwards."""
    ids = _open_accounts(engine, options.accounts)
    batches = [_specs(ids, batch_size, options.seed + index) for index in range(warm_up + measured)]
    latencies = []
    for index, batch in enumerate(batches):
        started = time.perf_counter()
        outcomes = create_transfers(engine, batch)
        if index >= warm_up:
            latencies.append(time.perf_counter() - started)
        assert all(outcome.ok for outcome in outcomes)
    assert verify(engine) == []
    return latencies


def _commit_floor(engine: Engine, count: int) -> list[float]:
    """Seconds of `count` one-row INSERT + COMMIT round trips: what any durable write costs on this server
    (the WAL flush at commit), the floor under a single transfer's latency."""
    with engine.connect() as connection:
        connection.execute(text("CREATE TABLE commit_floor (value INTEGER)"))
        connection.commit()
        latencies = []
        for value in range(count):
            started = time.perf_counter()
            connection.execute(text("INSERT INTO commit_floor VALUES (:value)"), {"value": value})
            connection.commit()
            latencies.append(time.perf_counter() - started)
    return latencies


def _row(name: str, latencies: list[float], transfers_each: int, target: str = "-") -> Row:
    """A row from per-call latencies (s): rate = transfers over total time, p50/p99 per call in ms; `met`
    (None here) is for the caller to judge against `target`."""
    rate = transfers_each * len(latencies) / sum(latencies)
    p50, p99 = statistics.median(latencies) * 1000, _percentile(latencies, 0.99) * 1000
    return Row(name, rate, p50, p99, target, met=None)


def _intents_row(load: IntentLoad, target: bool) -> Row:
    """An API payment-intents row: intents/s and per-intent latency; judged when `target` (the PostgreSQL
    row of a card flow: the issue's target is for payments that move money, not create+cancel)."""
    row = Row(f"api intents {load.database}", load.intents_per_s, load.p50_ms, load.p99_ms, "-", None)
    if not target:
        return row
    met = load.intents_per_s >= API_INTENT_RATE_TARGET and load.p99_ms <= API_INTENT_P99_TARGET_MS
    goal = f">= {API_INTENT_RATE_TARGET}/s, p99 <= {API_INTENT_P99_TARGET_MS:g} ms"
    return replace(row, target=goal, met=met)


def measure_api(options: Options, pg_url: str, scratch: Path) -> tuple[IntentLoad, IntentLoad]:
    """The payment intents through HTTP, on PostgreSQL (`api_workers` processes) and on SQLite (one: its
    writers queue within a process)."""
    args = (options.rail, options.clients, options.api_seconds)
    with pg_schema(pg_url) as scoped:
        on_pg = measure_intents(scoped, scratch / "api-pg", *args, workers=options.api_workers)
    on_sqlite = measure_intents(f"sqlite:///{scratch / 'api.db'}", scratch / "api-sqlite", *args)
    return on_pg, on_sqlite


def measure(options: Options, pg_url: str, scratch: Path) -> list[Row]:
    with _pg_engine(pg_url) as engine:
        pg_batches = _latencies(engine, options, options.batch_size, WARM_UP_BATCHES, options.batches)
    with _pg_engine(pg_url) as engine:
        singles = _latencies(engine, options, 1, WARM_UP_SINGLES, options.singles)
        floor = _commit_floor(engine, options.singles)
    sqlite = make_engine(f"sqlite:///{scratch / 'ledger.db'}")
    try:
        sqlite_batches = _latencies(sqlite, options, options.batch_size, WARM_UP_BATCHES, options.batches)
    finally:
        sqlite.dispose()
    on_pg, on_sqlite = measure_api(options, pg_url, scratch)
    batch = _row("pg batch", pg_batches, options.batch_size, f">= {PG_RATE_TARGET:,}/s")
    single = _row("pg single", singles, 1, f"p99 <= {PG_P99_TARGET_MS:g} ms")
    return [
        replace(batch, met=batch.transfers_per_s >= PG_RATE_TARGET),
        replace(single, met=single.p99_ms <= PG_P99_TARGET_MS),
        _row("sqlite batch", sqlite_batches, options.batch_size),
        _row("pg commit", floor, 1),
        _intents_row(on_pg, target=options.rail == "card"),
        _intents_row(on_sqlite, target=False),
    ]


def _table(rows: list[Row], flow: str) -> str:
    header = f"{'row':<22} {'transfers/s':>12} {'p50 ms':>8} {'p99 ms':>8}  target"
    lines = [header, "-" * len(header)]
    for row in rows:
        latency = f"{row.p50_ms:>8.2f} {row.p99_ms:>8.2f}"
        verdict = "" if row.met is None else (" (met)" if row.met else " (NOT met)")
        lines.append(f"{row.name:<22} {row.transfers_per_s:>12,.0f} {latency}  {row.target}{verdict}")
    lines.append(f"api rows: intents/s, not transfers/s; p50/p99 of a whole intent; flow {flow}")
    return "\n".join(lines)


def _figures(rows: list[Row], flow: str, load: tuple[float, float, float]) -> dict[str, object]:
    """The JSON object: the issue's keys first (the API's on PostgreSQL), then the load and every row."""
    return {
        "ledger_pg_transfers_per_s": rows[0].transfers_per_s,
        "ledger_pg_transfer_p99_ms": rows[1].p99_ms,
        "ledger_sqlite_transfers_per_s": rows[2].transfers_per_s,
        "api_payment_intents_per_s": rows[4].transfers_per_s,
        "api_payment_intent_p99_ms": rows[4].p99_ms,
        "api_payment_intent_flow": flow,
        "load_average": load,
        "rows": [asdict(row) for row in rows],
    }


def _heading(load: tuple[float, float, float], options: Options) -> str:
    machine = f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} before the run, {os.cpu_count()} CPUs"
    work = f"{options.accounts} accounts, {options.batches} batches of {options.batch_size}"
    api = f"API: {options.clients} clients x {options.api_seconds:g} s each database"
    api += f", {options.api_workers} API process(es) on PostgreSQL"
    return f"{machine}\n{work}, {options.singles} single transfers\n{api}\n"


@click.command()
@click.option("--accounts", default=1_000, show_default=True, help="Accounts the transfers move between.")
@click.option("--batches", default=20, show_default=True, help="Measured batches per batch row.")
@click.option("--batch-size", default=1_000, show_default=True, help="Transfers per batch.")
@click.option("--singles", default=1_000, show_default=True, help="Single transfers for the latency row.")
@click.option("--seed", default=11, show_default=True, help="Seed of the random account pairs and amounts.")
@click.option("--pg-url", default=pg_server_url, show_default="TPW_TEST_PG_URL", help="PostgreSQL server.")
@click.option("--clients", default=32, show_default=True, help="Concurrent HTTP clients of the API rows.")
@click.option("--api-seconds", default=15.0, show_default=True, help="Measured seconds per API row.")
@click.option(
    "--rail",
    type=click.Choice(["none", "card"]),
    default="card",
    show_default=True,
    help="The API rows' flow: create+confirm+capture on the card rail, or (fallback) create+cancel, no rail.",
)
@click.option(
    "--api-workers", default=1, show_default=True, help="API processes on PostgreSQL (TPW_API_WORKERS)."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def main(
    accounts: int,
    batches: int,
    batch_size: int,
    singles: int,
    seed: int,
    pg_url: str,
    clients: int,
    api_seconds: float,
    rail: str,
    api_workers: int,
    as_json: bool,
) -> None:
    """Measure the ledger on PostgreSQL and SQLite and payment intents through the API; print the table."""
    options = Options(accounts, batches, batch_size, singles, seed, clients, api_seconds, rail, api_workers)
    load = os.getloadavg()
    flow_name = flow(rail, "").name
    with tempfile.TemporaryDirectory(prefix="tpw-ledger-bench-") as scratch:
        rows = measure(options, pg_url, Path(scratch))
    if as_json:
        click.echo(json.dumps(_figures(rows, flow_name, load), indent=2))
        return
    click.echo(_heading(load, options))
    click.echo(_table(rows, flow_name))


if __name__ == "__main__":
    main()
