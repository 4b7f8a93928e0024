"""The custody benchmark: end-to-end FROST signing through the coordinator and real signer-node processes.

Each row starts its own group of node processes (``python -m custody.node``, mutual TLS 1.3 on loopback,
KEK-sealed key stores, the devnet's anchor policy; `benchmarks.launch`) and signs distinct Anchor intents
through `SigningCoordinator.sign`:

- latency: `--signatures` signatures one after another (after a warm-up), p50 and p99;
- throughput: the same number again with `--concurrency` signatures in flight, signatures per second;
- CPU: what the coordinator and the nodes together spent per signature (process CPU time), which says how
  much of the latency is work and how much is waiting for the disk (fsyncs) or for a busy machine.

Run from the project root:

    python benchmarks/custody_sign.py                 # the table
    python benchmarks/custody_sign.py --json          # one JSON object: row name -> figures

Rows are the functions in `MEASUREMENTS`, in order; the DKG timing adds its own there. The load average
is printed first: on a machine busy with other work every figure here is worse, and the CPU column shows it.

The coordinator runs on uvloop, as it does in production (the API runs under uvicorn, whose default loop is
uvloop when it is installed, and ``uvicorn[standard]`` installs it); the nodes run under uvicorn too.
"""

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

if __package__ in (None, ""):  # run as `python benchmarks/custody_sign.py`: make the project root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import click

from benchmarks.launch import KEY_ID, running_group, signing_request
from custody.coordinator.client import NodeClient
from custody.frost import trusted_dealer_keygen
from scripts._support.signer_group import SignerGroup

WARM_UP_SIGNATURES = 20

_T = TypeVar("_T")


def _run(main: Coroutine[Any, Any, _T]) -> _T:
    """Run `main` on uvloop when it is installed (as uvicorn would), else on asyncio's own loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] installs it
        return asyncio.run(main)
    return uvloop.run(main)


@dataclass(frozen=True)
class Options:
    """How much to measure."""

    signatures: int
    concurrency: int


@dataclass(frozen=True)
class Row:
    """One line of the table; `target` says what the row must meet, `met` whether it did."""

    name: str
    p50_ms: float
    p99_ms: float
    per_second: float
    cpu_ms_per_signature: float
    target: str
    met: bool


def _process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def _sign_many(group: SignerGroup, options: Options) -> tuple[list[float], float, float]:
    """Latencies of sequential signatures, the concurrent rate, and the CPU seconds spent in both."""
    pids = group.pids()
    async with group.coordinator(timeout=5.0) as coordinator:
        for _ in range(WARM_UP_SIGNATURES):
            await coordinator.sign(KEY_ID, *signing_request())
        cpu_before = time.process_time() + sum(_process_cpu_seconds(pid) for pid in pids)

        latencies = []
        for _ in range(options.signatures):
            started = time.perf_counter()
            await coordinator.sign(KEY_ID, *signing_request())
            latencies.append(time.perf_counter() - started)

        slots = asyncio.Semaphore(options.concurrency)

        async def one() -> None:
            async with slots:
                await coordinator.sign(KEY_ID, *signing_request())

        started = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(options.signatures)))
        rate = options.signatures / (time.perf_counter() - started)
        cpu_after = time.process_time() + sum(_process_cpu_seconds(pid) for pid in pids)
    return latencies, rate, cpu_after - cpu_before


def measure_signing(
    threshold: int, size: int, p50_target_ms: float, rate_target: float | None
) -> Callable[[Options, Path], Row]:
    """A measurement of `threshold`-of-`size` signing against its targets."""

    def measure(options: Options, root: Path) -> Row:
        key = trusted_dealer_keygen(size, threshold)
        with running_group(root, {KEY_ID: key}) as group:
            latencies, rate, cpu_seconds = _run(_sign_many(group, options))
        p50 = statistics.median(latencies) * 1000
        met = p50 <= p50_target_ms and (rate_target is None or rate >= rate_target)
        target = f"p50 <= {p50_target_ms:g} ms" + (f", >= {rate_target:g}/s" if rate_target else "")
        return Row(
            name=f"sign {threshold}-of-{size}",
            p50_ms=p50,
            p99_ms=_percentile(latencies, 0.99) * 1000,
            per_second=rate,
            cpu_ms_per_signature=cpu_seconds / (2 * options.signatures) * 1000,
            target=target,
            met=met,
        )

    return measure


DKG_WARM_UP = 2
DKG_RUNS_PER_SIGNATURES = 10
"""A DKG costs far more than a signature: the DKG row runs `--signatures` / 10 of them (at least 5)."""


async def _generate_many(group: SignerGroup, threshold: int, runs: int) -> tuple[list[float], float]:
    """Latencies of `runs` sequential DKGs through `KeyCoordinator`, and the CPU seconds they took."""
    pids = group.pids()
    async with NodeClient(group.client_context(), timeout=5.0) as client:
        keys = group.key_coordinator(client)
        for index in range(DKG_WARM_UP):
            await keys.create_key(threshold, key_id=f"warm-up-{index}")
        cpu_before = time.process_time() + sum(_process_cpu_seconds(pid) for pid in pids)
        latencies = []
        for index in range(runs):
            started = time.perf_counter()
            await keys.create_key(threshold, key_id=f"measured-{index}")
            latencies.append(time.perf_counter() - started)
        cpu_after = time.process_time() + sum(_process_cpu_seconds(pid) for pid in pids)
    return latencies, cpu_after - cpu_before


def measure_dkg(threshold: int, size: int, p50_target_ms: float) -> Callable[[Options, Path], Row]:
    """A measurement of `threshold`-of-`size` key generation across node processes (all four relayed
    rounds, every message signed or sealed end to end, each node's share stored durably) against its
    target; the sig/s column is DKGs per second and the CPU column CPU per DKG."""

    def measure(options: Options, root: Path) -> Row:
        runs = max(5, options.signatures // DKG_RUNS_PER_SIGNATURES)
        with running_group(root, {}, size=size) as group:
            latencies, cpu_seconds = _run(_generate_many(group, threshold, runs))
        p50 = statistics.median(latencies) * 1000
        return Row(
            name=f"dkg {threshold}-of-{size}",
            p50_ms=p50,
            p99_ms=_percentile(latencies, 0.99) * 1000,
            per_second=runs / sum(latencies),
            cpu_ms_per_signature=cpu_seconds / runs * 1000,
            target=f"p50 <= {p50_target_ms:g} ms",
            met=p50 <= p50_target_ms,
        )

    return measure


MEASUREMENTS: tuple[Callable[[Options, Path], Row], ...] = (
    measure_signing(2, 3, p50_target_ms=15, rate_target=100),
    measure_signing(3, 5, p50_target_ms=25, rate_target=None),
    measure_dkg(3, 5, p50_target_ms=500),
)
"""The table's rows, in order. Each gets the options and a fresh directory and starts what it needs."""


def _table(rows: list[Row]) -> str:
    header = f"{'row':<14} {'p50 ms':>8} {'p99 ms':>8} {'sig/s':>8} {'CPU ms/sig':>11}  target"
    lines = [header, "-" * len(header)]
    for row in rows:
        verdict = "met" if row.met else "NOT met"
        lines.append(
            f"{row.name:<14} {row.p50_ms:>8.1f} {row.p99_ms:>8.1f} {row.per_second:>8.1f} "
            f"{row.cpu_ms_per_signature:>11.1f}  {row.target} ({verdict})"
        )
    return "\n".join(lines)


@click.command()
@click.option(
    "--signatures", default=200, show_default=True, help="Signatures per phase (latency, throughput)."
)
@click.option(
    "--concurrency", default=16, show_default=True, help="Signatures in flight in the throughput phase."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def main(signatures: int, concurrency: int, as_json: bool) -> None:
    """Measure custody signing with real node processes and print the table."""
    options = Options(signatures=signatures, concurrency=concurrency)
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="tpw-custody-bench-") as scratch:
        rows = [measure(options, Path(scratch) / str(index)) for index, measure in enumerate(MEASUREMENTS)]
    if as_json:
        click.echo(json.dumps({"load_average": load, "rows": [asdict(row) for row in rows]}, indent=2))
        return
    click.echo(
        f"load average before the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} CPUs"
    )
    click.echo(f"{signatures} signatures per phase, {concurrency} in flight for sig/s\n")
    click.echo(_table(rows))


if __name__ == "__main__":
    main()
