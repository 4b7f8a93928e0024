"""Refusals before the app runs, and what every answer says about caching and content: the body size limit
(413, from Content-Length or counted over a chunked body, before authentication), token buckets per client
address and per API key (429 with Retry-After, in-process and in Redis shared by two apps), the security
headers, and the docs switch.
"""

import asyncio
import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import SCOPES, issue_api_key
from api.ratelimit import Bucket, RedisRateLimiter
from api.settings import ApiSettings
from tests.helpers.db import session_on

SIGN = "/v1/custody/sign-requests"
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """SQLite only: nothing here depends on the database backend."""
    return sqlite_url


def _token(settings: ApiSettings) -> str:
    with session_on(settings.database_url) as session:
        return issue_api_key(session, "limits", SCOPES).token


@pytest.fixture
def limited(api_settings: ApiSettings, request: pytest.FixtureRequest) -> ApiSettings:
    """The test's settings with the changes it asks for (indirect parameter, see `limits`)."""
    return api_settings.model_copy(update=getattr(request, "param", {}))


def limits(**changes: object) -> pytest.MarkDecorator:
    """Run the test with these settings changed."""
    return pytest.mark.parametrize("limited", [changes], indirect=True, ids=["limits"])


@pytest.fixture
def served(limited: ApiSettings) -> Iterator[tuple[TestClient, str]]:
    with TestClient(create_app(limited)) as client:
        yield client, _token(limited)


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    while total > 0:
        yield b"x" * min(size, total)
        total -= size


# -- body size ------------------------------------------------------------------------------------------


@limits(max_body_bytes=1024)
def test_a_body_over_the_limit_is_413_before_authentication(served: tuple[TestClient, str]) -> None:
    client, _ = served
    response = client.post(
        SIGN, content=b"{" + b" " * 2048 + b"}", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413, response.text  # not 401: nothing looked at the key
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:tpwallet:problem:payload-too-large"
    assert problem["max_bytes"] == 1024
    assert response.headers["X-Request-ID"] == problem["request_id"]


@limits(max_body_bytes=1024)
def test_a_chunked_body_is_counted_as_it_arrives(served: tuple[TestClient, str]) -> None:
    client, token = served
    response = client.post(
        SIGN,
        content=_chunks(4096, size=512),  # an iterator: sent chunked, without a Content-Length
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": "big",
            "Content-Type": "application/json",
        },
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413, response.text


@limits(max_body_bytes=1024)
def test_a_body_within_the_limit_reaches_the_route_whole(limited: ApiSettings) -> None:
    app = create_app(limited)

    @app.post("/test/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    with TestClient(app) as client:
        assert client.post("/test/echo", content=b"x" * 1024).json() == {"size": 1024}
        assert client.post("/test/echo", content=_chunks(1024, size=100)).json() == {"size": 1024}
        assert client.post("/test/echo", content=_chunks(1025, size=100)).status_code == 413


def test_the_default_limit_is_one_mebibyte(api_settings: ApiSettings) -> None:
    assert api_settings.max_body_bytes == 1024 * 1024


# -- rate limits ----------------------------------------------------------------------------------------


def _assert_429(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:tpwallet:problem:rate-limited"
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["retry_after"] == int(response.headers["Retry-After"])


@limits(rate_limit_address_per_second=0.01, rate_limit_address_burst=3)
def test_a_client_address_gets_its_burst_then_429_and_health_has_its_own_bucket(
    served: tuple[TestClient, str],
) -> None:
    client, _ = served
    statuses = [client.get("/version").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    _assert_429(client.get("/version"))
    _assert_429(client.post(SIGN, content=b"{}"))  # refused before auth or the body are looked at
    assert client.get("/health").status_code == 503  # answered (the chains are down), not limited


@limits(rate_limit_key_per_second=0.01, rate_limit_key_burst=2)
def test_an_api_key_gets_its_burst_then_429_and_other_keys_are_not_affected(
    served: tuple[TestClient, str], limited: ApiSettings
) -> None:
    client, token = served
    read = {"Authorization": f"Bearer {token}"}
    assert [client.get(f"{SIGN}/0x{'00' * 32}", headers=read).status_code for _ in range(2)] == [503, 503]
    _assert_429(client.get(f"{SIGN}/0x{'00' * 32}", headers=read))
    other = {"Authorization": f"Bearer {_token(limited)}"}
    assert client.get(f"{SIGN}/0x{'00' * 32}", headers=other).status_code == 503  # custody is off here
    wrong = {"Authorization": f"Bearer {token[:-4]}AAAA"}
    assert client.get(f"{SIGN}/0x{'00' * 32}", headers=wrong).status_code == 401  # a wrong secret: no token


def _redis_settings(settings: ApiSettings) -> ApiSettings:
    return settings.model_copy(
        update={
            "rate_limit_redis_url": REDIS_URL,
            "rate_limit_key_per_second": 0.01,
            "rate_limit_key_burst": 3,
        }
    )


def test_api_processes_share_a_keys_bucket_through_redis(limited: ApiSettings) -> None:
    settings = _redis_settings(limited)
    first, second = create_app(settings), create_app(settings)
    with TestClient(first) as one, TestClient(second) as two:
        headers = {"Authorization": f"Bearer {_token(settings)}"}
        path = f"{SIGN}/0x{'00' * 32}"
        assert one.get(path, headers=headers).status_code == 503
        assert two.get(path, headers=headers).status_code == 503
        assert one.get(path, headers=headers).status_code == 503
        _assert_429(two.get(path, headers=headers))  # the fourth request, wherever it lands
        _assert_429(one.get(path, headers=headers))


def test_the_redis_bucket_refills_at_its_rate() -> None:
    async def takes() -> tuple[list[float], list[float]]:
        limiter = RedisRateLimiter(REDIS_URL, prefix=f"tpw:test:{uuid.uuid4().hex}:")
        try:
            fast = [await limiter.take("fast", Bucket(rate=1.0, burst=2)) for _ in range(3)]
            slow = [await limiter.take("slow", Bucket(rate=0.5, burst=1)) for _ in range(2)]
        finally:
            await limiter.aclose()
        return fast, slow

    fast, slow = asyncio.run(takes())
    assert fast[:2] == [0.0, 0.0]
    assert 0.9 < fast[2] <= 1.0  # one token a second: the third is back within a second
    assert slow[0] == 0.0
    assert 1.9 < slow[1] <= 2.0  # half a token a second: two seconds for the next


def test_a_redis_that_does_not_answer_lets_requests_through(limited: ApiSettings) -> None:
    settings = _redis_settings(limited).model_copy(update={"rate_limit_redis_url": "redis://127.0.0.1:1/0"})
    with TestClient(create_app(settings)) as client:
        assert [client.get("/version").status_code for _ in range(5)] == [200] * 5


# -- headers and docs -----------------------------------------------------------------------------------


def test_answers_say_nosniff_and_authenticated_ones_no_store(served: tuple[TestClient, str]) -> None:
    client, token = served
    public = client.get("/version")
    assert public.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" not in public.headers.get("Cache-Control", "")
    for response in (
        client.get(f"{SIGN}/0x{'00' * 32}", headers={"Authorization": f"Bearer {token}"}),
        client.get(f"{SIGN}/0x{'00' * 32}", headers={"Authorization": "Bearer wrong"}),
    ):
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("environment", "docs_enabled", "served_docs"),
    [("dev", None, True), ("prod", None, False), ("prod", True, True), ("dev", False, False)],
)
def test_docs_and_the_openapi_document_can_be_switched_off(
    api_settings: ApiSettings, environment: str, docs_enabled: bool | None, served_docs: bool
) -> None:
    settings = api_settings.model_copy(update={"environment": environment, "docs_enabled": docs_enabled})
    app: FastAPI = create_app(settings)
    with TestClient(app) as client:
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == (200 if served_docs else 404), path
