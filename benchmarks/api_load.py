"""The API load benchmark: concurrent custody sign requests against a devnet API, and `/health` meanwhile.

It starts its own devnet (`scripts._support.stack.devnet.DevnetStack`: two anvil chains, three signer-node
processes over mutual TLS, the API under uvicorn, contracts deployed, the nodes' policy) on ports of its
own, so it never meets a `make devnet` that is running, then keeps `--clients` clients (one connection each)
posting distinct Anchor sign requests for `--seconds`, each with its own Idempotency-Key, while one more
client, in a process of its own, asks `/health` five times a second. Every request is a full custody round
trip: API key check, idempotency claim, the request stored, FROST rounds one and two on two nodes, the
outcome and the response stored.

The API's database is SQLite (a fresh file) unless `--database-url` names PostgreSQL, where the run takes a
fresh schema of its own and drops it afterwards. The rate limits are raised out of the way (every client
shares one API key and one address); everything else is the API's defaults.

    python benchmarks/api_load.py                                  # the table, on SQLite
    python benchmarks/api_load.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test --json

`--json` prints one object: `api_sign_requests_per_s`, `api_sign_request_p99_ms`,
`api_health_p99_under_load_ms`, `api_5xx`, and the rest of the figures.
"""

import asyncio
import json
import multiprocessing
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as `python benchmarks/api_load.py`: make the project root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import click
import httpx

from chain.intents import Anchor
from custody.protocol.signing import IntentEnvelope
from scripts._support.stack.config import DevnetSettings
from scripts._support.stack.database import drop_postgres_schema
from scripts._support.stack.devnet import DevnetStack

HEALTH_INTERVAL_SECONDS = 0.2
WARM_UP_REQUESTS = 10
UNLIMITED = {
    "TPW_RATE_LIMIT_KEY_PER_SECOND": "1000000",
    "TPW_RATE_LIMIT_KEY_BURST": "1000000",
    "TPW_RATE_LIMIT_ADDRESS_PER_SECOND": "1000000",
    "TPW_RATE_LIMIT_ADDRESS_BURST": "1000000",
}
"""Every client shares one API key and one address; the limits would measure themselves, not the API."""


@dataclass
class Samples:
    """What the clients saw."""

    sign_ms: list[float] = field(default_factory=list)
    sign_statuses: Counter[int] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    health_ms: list[float] = field(default_factory=list)
    health_statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0


@dataclass(frozen=True)
class Result:
    """The figures of one run."""

    database: str
    clients: int
    seconds: float
    api_sign_requests_per_s: float
    api_sign_request_p50_ms: float
    api_sign_request_p99_ms: float
    api_health_p99_under_load_ms: float
    api_health_max_under_load_ms: float
    api_5xx: int
    sign_statuses: dict[str, int]
    outcomes: dict[str, int]
    health_checks: int
    transport_errors: int
    load_average: tuple[float, float, float]


def _percentile(samples: list[float], fraction: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


class Load:
    """Distinct Anchor intents for the deployed SettlementAnchor, posted by many clients at once."""

    def __init__(self, stack: DevnetStack) -> None:
        l1 = stack.chains[0]
        assert l1.deployments is not None
        self.url = stack.api_url
        self.chain_id = l1.node.config.chain_id
        self.anchor = l1.deployments.get("SettlementAnchor").address
        self.headers = {"Authorization": f"Bearer {stack.api_key}"}
        self.key_id = stack.custody_key_id
        self.seq = 1_000_000

    def body(self) -> dict[str, Any]:
        self.seq += 1
        intent = Anchor(
            kind=1, seq=self.seq, root=secrets.token_bytes(32), count=1, total=0, prev_root=bytes(32)
        )
        envelope = IntentEnvelope.of(intent, self.chain_id, self.anchor)
        return {"key_id": self.key_id, "intent": envelope.model_dump(mode="json")}

    async def sign(self, client: httpx.AsyncClient, samples: Samples | None) -> None:
        headers = {**self.headers, "Idempotency-Key": secrets.token_hex(16)}
        started = time.perf_counter()
        try:
            response = await client.post("/v1/custody/sign-requests", json=self.body(), headers=headers)
        except httpx.TransportError:
            if samples is not None:
                samples.transport_errors += 1
            return
        if samples is None:
            return
        samples.sign_ms.append((time.perf_counter() - started) * 1000)
        samples.sign_statuses[response.status_code] += 1
        if response.status_code == 201:
            samples.outcomes[response.json()["status"]] += 1

    async def run(self, clients: int, seconds: float) -> tuple[Samples, float]:
        samples = Samples()
        async with httpx.AsyncClient(base_url=self.url, timeout=60) as warm:
            for _ in range(WARM_UP_REQUESTS):
                await self.sign(warm, None)
        deadline = time.monotonic() + seconds

        async def client_loop() -> None:
            async with httpx.AsyncClient(base_url=self.url, timeout=60) as client:
                while time.monotonic() < deadline:
                    await self.sign(client, samples)

        with multiprocessing.get_context("spawn").Pool(1) as prober:
            health = prober.apply_async(probe_health, (self.url, seconds))
            started = time.monotonic()
            await asyncio.gather(*(client_loop() for _ in range(clients)))
            elapsed = time.monotonic() - started
            for status, milliseconds in health.get(timeout=seconds + 120):
                if status < 0:
                    samples.transport_errors += 1
                    continue
                samples.health_ms.append(milliseconds)
                samples.health_statuses[status] += 1
        return samples, elapsed


def probe_health(url: str, seconds: float) -> list[tuple[int, float]]:
    """GET /health every `HEALTH_INTERVAL_SECONDS` for `seconds`: (status, ms) each, status -1 for no answer.
    Runs in a process of its own, so the clients' event loop never delays a probe it times."""
    deadline = time.monotonic() + seconds
    results: list[tuple[int, float]] = []
    with httpx.Client(base_url=url, timeout=60) as client:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                status = client.get("/health").status_code
            except httpx.TransportError:
                status = -1
            results.append((status, (time.perf_counter() - started) * 1000))
            time.sleep(HEALTH_INTERVAL_SECONDS)
    return results


def _result(database: str, clients: int, samples: Samples, elapsed: float, load: Any) -> Result:
    five_xx = sum(count for status, count in samples.sign_statuses.items() if status >= 500)
    five_xx += sum(count for status, count in samples.health_statuses.items() if status >= 500)
    return Result(
        database=database,
        clients=clients,
        seconds=round(elapsed, 1),
        api_sign_requests_per_s=round(samples.sign_statuses[201] / elapsed, 1),
        api_sign_request_p50_ms=round(statistics.median(samples.sign_ms), 1) if samples.sign_ms else 0.0,
        api_sign_request_p99_ms=round(_percentile(samples.sign_ms, 0.99), 1),
        api_health_p99_under_load_ms=round(_percentile(samples.health_ms, 0.99), 1),
        api_health_max_under_load_ms=round(max(samples.health_ms, default=float("nan")), 1),
        api_5xx=five_xx,
        sign_statuses={str(status): count for status, count in sorted(samples.sign_statuses.items())},
        outcomes=dict(samples.outcomes),
        health_checks=len(samples.health_ms),
        transport_errors=samples.transport_errors,
        load_average=load,
    )


def _table(result: Result) -> str:
    rows = [
        ("database", result.database),
        ("clients x seconds", f"{result.clients} x {result.seconds:g}"),
        ("sign requests/s (201)", f"{result.api_sign_requests_per_s:.1f}"),
        (
            "sign request p50 / p99",
            f"{result.api_sign_request_p50_ms:.0f} / {result.api_sign_request_p99_ms:.0f} ms",
        ),
        (
            "/health p99 / max under load",
            f"{result.api_health_p99_under_load_ms:.0f} / {result.api_health_max_under_load_ms:.0f} ms "
            f"({result.health_checks} checks)",
        ),
        ("5xx answers", str(result.api_5xx)),
        ("statuses", ", ".join(f"{s}: {n}" for s, n in result.sign_statuses.items())),
        ("sign outcomes", ", ".join(f"{s}: {n}" for s, n in result.outcomes.items())),
        ("transport errors", str(result.transport_errors)),
        ("load average before", " ".join(f"{value:.2f}" for value in result.load_average)),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


@click.command()
@click.option("--clients", default=64, show_default=True, help="Concurrent clients posting sign requests.")
@click.option("--seconds", default=30.0, show_default=True, help="How long the clients post.")
@click.option("--database-url", default=None, help="A PostgreSQL URL: the API runs on it (own schema).")
@click.option("--base-port", default=28000, show_default=True, help="API port; chains and nodes follow it.")
@click.option(
    "--var-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the run's logs and state here (default: a temporary folder, removed afterwards).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the table.")
def main(
    clients: int,
    seconds: float,
    database_url: str | None,
    base_port: int,
    var_dir: Path | None,
    as_json: bool,
) -> None:
    """Start a devnet on ports of its own, load its API, print the figures, stop everything."""
    from ape.logging import logger

    logger.set_level("ERROR")
    os.environ.update(UNLIMITED)
    schema = f"tpw_bench_{secrets.token_hex(4)}"
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="tpw-api-load-") as temporary:
        scratch = var_dir or Path(temporary)
        settings = DevnetSettings(
            l1_port=base_port + 545,
            l2_port=base_port + 546,
            api_port=base_port,
            node_base_port=base_port + 101,
            var_dir=scratch / "var",
            deployments_dir=scratch / "deployments",
            database_url=database_url,
            devnet_schema=schema,
            anchor_velocity=1_000_000_000,
        )
        stack = DevnetStack(settings)
        stdout = sys.stdout
        try:
            if as_json:  # the stack's progress lines would spoil the JSON
                sys.stdout = sys.stderr
            stack.start()
            samples, elapsed = asyncio.run(Load(stack).run(clients, seconds))
        finally:
            sys.stdout = stdout
            stack.stop()
            if database_url and "postgresql" in database_url:
                drop_postgres_schema(database_url, schema)
    database = "postgresql" if database_url and "postgresql" in database_url else "sqlite"
    result = _result(database, clients, samples, elapsed, load)
    if as_json:
        click.echo(json.dumps(asdict(result), indent=2))
        return
    click.echo(f"\n{os.cpu_count()} CPUs; the load generator runs on the same machine\n")
    click.echo(_table(result))


if __name__ == "__main__":
    main()
