"""Payment intents through HTTP: the rows `benchmarks/ledger.py` reports as `api_payment_intents_per_s` and
`api_payment_intent_p99_ms`.

It starts its own API process (`python -m api` under uvicorn, `tests.helpers.api_process.ApiProcess`) on a
database of its own, onboards a merchant through the API (application, approval: the merchant's sandbox key
does the payments), and keeps `clients` clients (one keep-alive connection each) running intents through
their whole flow for `seconds`, each POST with its own Idempotency-Key. An intent's latency is its flow's,
end to end: from its create being sent to its last step's answer.

The flow is the issue's by default: the card rail (`card`). The benchmark starts the sandbox card processor
(`python -m payments.sandbox.card`, `tests.helpers.card_processor.CardProcessor`) beside the API, hands its
settings (`TPW_CARD_*`) to the API process, tokenizes the test card 4242424242424242 through
`POST /v1/payment-methods` and then creates each intent for manual capture with it, confirms it (the
processor authorizes) and captures it (the processor books the capture). The fallback `none` runs the only
flow an API without a rail has, create then cancel; the row says which flow it measured: a create+cancel
figure is not a card payment's.

The rate limits are off (every client shares one key and one address); everything else is the API's
defaults, its access log included. The load generator runs on the same machine, so both compete for its CPUs.
"""

import asyncio
import statistics
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx

from tests.helpers.api_process import ApiProcess
from tests.helpers.card_processor import TEST_CARDS, CardProcessor

WARM_UP_SECONDS: Final = 2.0
SETTINGS: Final = {"TPW_RATE_LIMIT_ENABLED": "false", "TPW_LOG_LEVEL": "INFO"}
"""No rate limits (every client shares one key and one address: they would measure themselves); the
default log level (`ApiProcess` quietens it to WARNING), so every request writes its access line."""
INTENT: Final = {"amount": "1999", "currency": "EUR"}


@dataclass(frozen=True)
class Flow:
    """What one intent goes through: its create body, the steps after it, and the status it must end in."""

    name: str
    create: dict[str, Any]
    then: tuple[str, ...]
    """The POSTs after the create, as `/v1/payment-intents/{id}/<step>`."""
    ends: str


def flow(rail: str, payment_method: str) -> Flow:
    """The flow `rail` allows: `none` (no rail configured), or `card` with `payment_method`."""
    if rail == "card":
        card = {**INTENT, "payment_method": payment_method, "capture_method": "manual"}
        return Flow("create+confirm+capture (card)", card, ("confirm", "capture"), "succeeded")
    return Flow("create+cancel (no rail)", INTENT, ("cancel",), "canceled")


@dataclass(frozen=True)
class IntentLoad:
    """What the clients saw in the measured window."""

    flow: str
    database: str
    workers: int
    """API server processes (`TPW_API_WORKERS`)."""
    clients: int
    seconds: float
    intents_per_s: float
    p50_ms: float
    p99_ms: float
    intents: int
    statuses: dict[str, int]
    """HTTP status -> answers, every step of every intent in the window."""


class Clients:
    """Keep-alive clients of the merchant's, each running `flow` over and over until the time is up."""

    def __init__(self, url: str, token: str, flow: Flow) -> None:
        self.url = url
        self.token = token
        self.flow = flow
        self.keys = 0
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.endings: Counter[str] = Counter()
        self.measuring = False

    async def _post(self, client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> httpx.Response:
        self.keys += 1
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": f"bench-{self.keys}"}
        return await client.post(path, json=body, headers=headers)

    async def intent(self, client: httpx.AsyncClient) -> None:
        started = time.perf_counter()
        answers = [await self._post(client, "/v1/payment-intents", self.flow.create)]
        if answers[0].status_code == 201:
            intent_id = answers[0].json()["id"]
            for step in self.flow.then:
                answers.append(await self._post(client, f"/v1/payment-intents/{intent_id}/{step}", {}))
                if answers[-1].status_code != 200:
                    break
        if self.measuring:
            self.latencies.append(time.perf_counter() - started)
            self.statuses.update(answer.status_code for answer in answers)
            self.endings[answers[-1].json().get("status", answers[-1].json().get("type", "?"))] += 1

    async def run(self, clients: int, seconds: float) -> float:
        """Warm up, then measure for `seconds`: the measured window's length."""
        deadline = time.monotonic() + WARM_UP_SECONDS + seconds

        async def one() -> None:
            async with httpx.AsyncClient(
                base_url=self.url, timeout=60, limits=httpx.Limits(max_connections=1)
            ) as client:
                while time.monotonic() < deadline:
                    await self.intent(client)

        async def window() -> float:
            await asyncio.sleep(WARM_UP_SECONDS)
            self.measuring = True
            started = time.monotonic()
            await asyncio.sleep(seconds)
            self.measuring = False
            return time.monotonic() - started

        running = [asyncio.create_task(one()) for _ in range(clients)]
        measured = await window()
        await asyncio.gather(*running)
        return measured


def _percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@contextmanager
def _api(root: Path, database_url: str, rail: str, workers: int) -> Iterator[ApiProcess]:
    """The API in `workers` processes, with the card processor it settles cards at when `rail` is `card`."""
    api = ApiProcess(root, None, database_url, {**SETTINGS, "TPW_API_WORKERS": str(workers)})
    if rail != "card":
        with api:
            yield api
        return
    with CardProcessor(root / "processor", f"{api.url}/v1/rails/card/events") as processor:
        api.env.update(processor.api_env())
        with api:
            yield api


def tokenized_card(url: str, merchant_token: str) -> str:
    """The test card that succeeds, tokenized at the processor through the API: its payment method id."""
    card = {"number": TEST_CARDS["success"], "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    headers = {"Authorization": f"Bearer {merchant_token}", "Idempotency-Key": "bench-card"}
    made = httpx.post(f"{url}/v1/payment-methods", json={"card": card}, headers=headers, timeout=30)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def measure_intents(
    database_url: str, root: Path, rail: str, clients: int, seconds: float, workers: int = 1
) -> IntentLoad:
    """Run the load on a new API (`workers` processes) on `database_url`; every intent must end as its flow
    says."""
    with _api(root, database_url, rail, workers) as api:
        merchant_token = api.onboard_merchant("Benchmark GmbH")
        method = tokenized_card(api.url, merchant_token) if rail == "card" else ""
        chosen = flow(rail, method)
        load = Clients(api.url, merchant_token, chosen)
        measured = asyncio.run(load.run(clients, seconds))
    wrong = {ending: count for ending, count in load.endings.items() if ending != chosen.ends}
    assert not wrong, f"intents that did not end {chosen.ends}: {wrong}; statuses {dict(load.statuses)}"
    database = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    return IntentLoad(
        flow=chosen.name,
        database=database,
        workers=workers,
        clients=clients,
        seconds=round(measured, 1),
        intents_per_s=len(load.latencies) / measured,
        p50_ms=statistics.median(load.latencies) * 1000,
        p99_ms=_percentile(load.latencies, 0.99) * 1000,
        intents=len(load.latencies),
        statuses={str(status): count for status, count in sorted(load.statuses.items())},
    )
