"""Spot orders through HTTP: the API half of `benchmarks/matching.py` (`api_orders_per_s`,
`api_order_p50_ms`, `api_order_p99_ms`).

It starts its own API process (`python -m api` under uvicorn, `tests.helpers.api_process.ApiProcess`) on a
database of its own (a SQLite file, or a fresh PostgreSQL schema) and a matching directory of its own,
onboards `merchants` merchants through the API (application, approval) and funds each one's sandbox
balances through `POST /v1/markets/TPW-tUSD/sandbox-funds` (paper trading: the orders go to the sandbox
book, its own journal, ledger accounts and escrow). Then `clients` clients (one keep-alive connection
each, merchants taken in turn) post limit orders for `seconds`, each with its own Idempotency-Key.

The mix: GTC limit orders of 1-5 lots, buy or sell at random, priced -3 to +10 ticks from a fixed mid on
their own side, so about a quarter cross the spread and trade against resting orders (another merchant's,
or the same merchant's, which self-trade prevention settles) and the rest rest. An order's latency is its
POST's, from sent to answered.

Every answer must be 201 (placed) or 409 (the book refused it, e.g. self-trade): anything else, a 5xx
above all, fails the run. Afterwards, with the API stopped, the sandbox book's journal is read: every
order answered 201 must be a Place in it (acknowledged means journaled).

The rules: `config/pretrade.yaml` as shipped but for its per-key order bucket, raised to `ORDER_RATE`
a second (the shipped 20 a second would measure the bucket); the general per-key and per-address request
buckets are raised too (every client of a merchant shares its key, and all share one address). Rate
limiting stays on, so its cost is in the figures. `config/risk/monitoring.yaml` as shipped: an order's hold
moves money into the market's escrow, which the monitoring does not count as money leaving
(`risk.monitoring.monitor.VENUE_OWNERS`), so no trader is frozen by its own orders. The load generator runs
on the same machine as the API, so both compete for its CPUs.
"""

from __future__ import annotations

import asyncio
import random
import re
import secrets
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx

from matching.engine import Place
from matching.journal.book import JOURNAL_NAME
from matching.journal.codec import decode_records
from matching.markets import TPW_TUSD
from tests.helpers.api_process import ApiProcess

MARKET: Final = TPW_TUSD.id
MID_TICKS: Final = 1_000  # 10.00 tUSD per TPW (a tick is 0.01)
ORDER_RATE: Final = 1_000_000
"""Orders a second (and burst) of the load test's per-key order bucket: out of the way of any run."""
FUNDS: Final = {"base": "1000000", "quote": "100000000"}
"""Each merchant's paper money: the most one request may add (`api.paper.service`)."""
WARM_UP_SECONDS: Final = 2.0
SETTINGS: Final = {
    "TPW_RATE_LIMIT_KEY_PER_SECOND": str(ORDER_RATE),
    "TPW_RATE_LIMIT_KEY_BURST": str(ORDER_RATE),
    "TPW_RATE_LIMIT_ADDRESS_PER_SECOND": str(ORDER_RATE),
    "TPW_RATE_LIMIT_ADDRESS_BURST": str(ORDER_RATE),
}
ACCEPTED: Final = frozenset({201, 409})


@dataclass(frozen=True)
class OrderLoad:
    """What the clients saw in the measured window, and the journal check."""

    database: str
    clients: int
    merchants: int
    seconds: float
    orders_per_s: float
    """Answers (201 and 409) a second in the window."""
    p50_ms: float
    p99_ms: float
    orders: int
    statuses: dict[str, int]
    order_statuses: dict[str, int]
    """The placed orders' status in their 201 answer (open, filled, partially_filled, canceled)."""
    journaled: int
    """Orders answered 201 (warm-up included) that the journal holds: all of them, or the run fails."""
    order_rate_limit: int


def raised(shipped: Path, key: str, value: str, scratch: Path) -> Path:
    """`shipped` (a rules file) with its top-level `key:` line set to `value`, written in `scratch`:
    everything else in it stays the production rule."""
    text, count = re.subn(rf"^{key}:.*$", f"{key}: {value}", shipped.read_text(), flags=re.MULTILINE)
    assert count == 1, f"{shipped}: no single top-level {key} line to raise"
    path = scratch / f"load-test-{shipped.name}"
    path.write_text(text)
    return path


@dataclass
class Clients:
    """The merchants' clients, each posting orders until the time is up."""

    url: str
    tokens: list[str]
    seed: int
    measuring: bool = False
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    order_statuses: Counter[str] = field(default_factory=Counter)
    placed: set[int] = field(default_factory=set)
    unexpected: list[str] = field(default_factory=list)

    def order(self, rng: random.Random) -> dict[str, Any]:
        side = rng.choice(("buy", "sell"))
        offset = rng.randint(-3, 10)  # negative: crosses the spread
        ticks = MID_TICKS - offset if side == "buy" else MID_TICKS + offset
        return {"market": MARKET, "side": side, "price": f"{ticks // 100}.{ticks % 100:02d}",
                "qty": str(rng.randint(1, 5))}  # fmt: skip

    async def post(self, client: httpx.AsyncClient, token: str, rng: random.Random) -> None:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": secrets.token_hex(16)}
        body = self.order(rng)
        started = time.perf_counter()
        answer = await client.post("/v1/orders", json=body, headers=headers)
        elapsed = time.perf_counter() - started
        if answer.status_code not in ACCEPTED:
            self.unexpected.append(f"{answer.status_code} {answer.text[:300]}")
        elif answer.status_code == 201:
            self.placed.add(int(answer.json()["id"]))
        if self.measuring:
            self.latencies.append(elapsed)
            self.statuses[answer.status_code] += 1
            if answer.status_code == 201:
                self.order_statuses[answer.json()["status"]] += 1

    async def run(self, clients: int, seconds: float) -> float:
        """Warm up, then measure for `seconds`: the measured window's length."""
        deadline = time.monotonic() + WARM_UP_SECONDS + seconds

        async def one(index: int) -> None:
            rng = random.Random(self.seed * 1_000 + index)
            token = self.tokens[index % len(self.tokens)]
            limits = httpx.Limits(max_connections=1)
            async with httpx.AsyncClient(base_url=self.url, timeout=60, limits=limits) as client:
                while time.monotonic() < deadline and not self.unexpected:
                    await self.post(client, token, rng)

        async def window() -> float:
            await asyncio.sleep(WARM_UP_SECONDS)
            self.measuring = True
            started = time.monotonic()
            await asyncio.sleep(seconds)
            self.measuring = False
            return time.monotonic() - started

        running = [asyncio.create_task(one(index)) for index in range(clients)]
        measured = await window()
        await asyncio.gather(*running)
        return measured


def fund(api: ApiProcess, token: str) -> None:
    """Paper money for the merchant of `token`, through the API."""
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": secrets.token_hex(16)}
    funded = httpx.post(
        f"{api.url}/v1/markets/{MARKET}/sandbox-funds", json=FUNDS, headers=headers, timeout=30
    )
    assert funded.status_code == 200, funded.text


def journaled_orders(matching_dir: Path) -> set[int]:
    """The ids of every order the sandbox book's journal holds a Place of."""
    records, _ = decode_records((matching_dir / "sandbox" / MARKET / JOURNAL_NAME).read_bytes())
    return {cmd.order_id for _, cmd in records if isinstance(cmd, Place)}


def measure_orders(
    database_url: str,
    root: Path,
    config: Path,
    *,
    clients: int,
    merchants: int,
    seconds: float,
    seed: int,
) -> OrderLoad:
    """Run the load on a new API on `database_url`; fail on any answer but 201/409 or on an acknowledged
    order missing from the journal."""
    matching_dir = root / "matching"
    order_bucket = f"{{per_second: {ORDER_RATE}, burst: {ORDER_RATE}}}"
    env = {
        **SETTINGS,
        "TPW_MATCHING_DIR": str(matching_dir),
        "TPW_PRETRADE_LIMITS_PATH": str(raised(config / "pretrade.yaml", "rate_limit", order_bucket, root)),
    }
    with ApiProcess(root, None, database_url, env) as api:
        tokens = [api.onboard_merchant(f"Order Bench {index} GmbH") for index in range(merchants)]
        for token in tokens:
            fund(api, token)
        load = Clients(api.url, tokens, seed)
        measured = asyncio.run(load.run(clients, seconds))
    assert not load.unexpected, f"answers other than 201/409: {load.unexpected[:5]}"
    missing = load.placed - journaled_orders(matching_dir)
    assert not missing, f"{len(missing)} acknowledged orders are not in the journal: {sorted(missing)[:5]}"
    percentiles = statistics.quantiles(load.latencies, n=100, method="inclusive")
    return OrderLoad(
        database="postgresql" if database_url.startswith("postgresql") else "sqlite",
        clients=clients,
        merchants=merchants,
        seconds=round(measured, 1),
        orders_per_s=len(load.latencies) / measured,
        p50_ms=statistics.median(load.latencies) * 1000,
        p99_ms=percentiles[98] * 1000,
        orders=len(load.latencies),
        statuses={str(status): count for status, count in sorted(load.statuses.items())},
        order_statuses=dict(sorted(load.order_statuses.items())),
        journaled=len(load.placed),
        order_rate_limit=ORDER_RATE,
    )
