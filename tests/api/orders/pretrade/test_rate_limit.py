"""The per-key order bucket under concurrency: of a burst of concurrent orders on one key exactly `burst`
are taken, the rest answered 429 with Retry-After, never a 5xx; another key has its own bucket; and a
burst of concurrent clients within their buckets are all served."""

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.api.merchants.conftest import Caller, Onboarded
from tests.api.orders.pretrade.conftest import LIMITS, ORDERS, Holdings, order

BURST = 4
THREADS = 12


@pytest.fixture
def limits() -> str:
    return LIMITS.replace(
        "rate_limit: {per_second: 50, burst: 100}", f"rate_limit: {{per_second: 0.01, burst: {BURST}}}"
    )


def concurrently(callers: list[Caller], prices: list[str]) -> list[httpx.Response]:
    """One buy per (caller, price), all released at once."""
    start = threading.Barrier(len(callers))

    def place(caller: Caller, price: str) -> httpx.Response:
        start.wait()
        return caller.post(ORDERS, order("buy", price, "1"))

    with ThreadPoolExecutor(len(callers)) as pool:
        return list(pool.map(place, callers, prices))


def test_a_keys_burst_is_cut_at_its_bucket_with_429_and_no_5xx(
    traders: tuple[Onboarded, Onboarded], holdings: Holdings
) -> None:
    a, b = traders
    answers = concurrently([a.sandbox] * THREADS, [f"2.{n:02d}" for n in range(THREADS)])
    statuses = sorted(response.status_code for response in answers)
    assert statuses == [201] * BURST + [429] * (THREADS - BURST)
    limited = next(response for response in answers if response.status_code == 429)
    assert limited.json()["type"] == "urn:tpwallet:problem:rate-limited"
    assert int(limited.headers["Retry-After"]) >= 1
    assert len(a.sandbox.get(ORDERS).json()["data"]) == BURST  # the refused ones stored nothing
    assert b.sandbox.post(ORDERS, order("buy", "2", "1")).status_code == 201  # B's key has its own bucket
    unfunded = a.live.post(ORDERS, order("buy", "2", "1"))  # A's live key has its own bucket too
    assert unfunded.json()["type"] == "urn:tpwallet:problem:insufficient-funds"  # past the bucket
    assert a.sandbox.post(ORDERS, order("buy", "2", "1")).status_code == 429


def test_concurrent_clients_within_their_buckets_are_all_served(traders: tuple[Onboarded, Onboarded]) -> None:
    a, b = traders
    callers = [a.sandbox] * BURST + [b.sandbox] * BURST
    answers = concurrently(callers, [f"2.{n:02d}" for n in range(len(callers))])
    assert [response.status_code for response in answers] == [201] * len(callers), [r.text for r in answers]
