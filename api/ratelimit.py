"""Rate limits: a token bucket per API key and one per client address, kept in-process or in Redis.

A bucket holds up to `burst` tokens and refills at `rate` tokens a second; each request takes one, and a
request that finds less than one is refused with 429 and ``Retry-After`` (whole seconds until a token is
back). Client addresses are limited before anything else happens (`api.middleware.RateLimitMiddleware`,
with a bucket of its own for `/health`, so business traffic never starves a load balancer's probes); API
keys once the key is authenticated (`api.auth`), so a caller cannot spend another key's tokens by naming it.

`MemoryRateLimiter` serves one process. With `rate_limit_redis_url` set, `RedisRateLimiter` keeps the
buckets in Redis, updated by one Lua script per request (atomic, with the Redis server's clock), so every
API process behind a load balancer draws from the same buckets. If Redis does not answer, requests are let
through and the failure is logged: the limiter protects capacity, it is not an authorisation check.
"""

import logging
import math
import time
from dataclasses import dataclass
from typing import Final, Protocol

from api.errors import ApiError
from api.settings import ApiSettings

log = logging.getLogger("api.ratelimit")

RETRY_AFTER: Final = "Retry-After"
MAX_MEMORY_BUCKETS: Final = 100_000
"""Past this many buckets in one process, full ones (idle callers) are dropped: they would read as full."""


@dataclass(frozen=True)
class Bucket:
    """A token bucket's shape: `rate` tokens a second, at most `burst` saved up."""

    rate: float
    burst: int


class RateLimited(ApiError, status=429, problem="rate-limited", title="Too many requests"):
    """The caller (an API key or a client address) sent more requests than its bucket allows."""

    def __init__(self, detail: str, retry_after: float) -> None:
        seconds = max(1, math.ceil(retry_after))
        super().__init__(detail, retry_after=seconds)
        self.headers = {RETRY_AFTER: str(seconds)}


class RateLimiter(Protocol):
    """Takes a token from a named bucket."""

    async def take(self, name: str, bucket: Bucket) -> float:
        """0 if a token was taken, else the seconds until one will be there (nothing taken)."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


class MemoryRateLimiter:
    """Buckets in this process's memory; only the event loop touches them, so no lock is needed."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # name -> (tokens, monotonic time)

    async def take(self, name: str, bucket: Bucket) -> float:
        now = time.monotonic()
        tokens, then = self._buckets.get(name, (float(bucket.burst), now))
        tokens = min(float(bucket.burst), tokens + (now - then) * bucket.rate)
        if tokens < 1:
            self._buckets[name] = (tokens, now)
            return (1 - tokens) / bucket.rate
        self._buckets[name] = (tokens - 1, now)
        if len(self._buckets) > MAX_MEMORY_BUCKETS:
            self._drop_full(now, bucket)
        return 0.0

    def _drop_full(self, now: float, bucket: Bucket) -> None:
        refill = bucket.burst / bucket.rate
        self._buckets = {name: state for name, state in self._buckets.items() if now - state[1] < refill}

    async def aclose(self) -> None:
        self._buckets.clear()


_TAKE_SCRIPT: Final = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return tostring(wait)
"""
"""Refill by the time passed (Redis's clock, so API hosts' clocks do not matter), take a token if there is
one, and let the bucket expire once it would be full again anyway. Returns the wait as a string: Redis
truncates Lua numbers to integers."""


class RedisRateLimiter:
    """Buckets in Redis under `prefix`, shared by every process that uses the same server and prefix."""

    def __init__(self, url: str, prefix: str = "tpw:ratelimit:") -> None:
        import redis.asyncio  # imported here: only a deployment that configures Redis needs the package

        self._client = redis.asyncio.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        self._script = self._client.register_script(_TAKE_SCRIPT)
        self._prefix = prefix

    async def take(self, name: str, bucket: Bucket) -> float:
        from redis.exceptions import RedisError

        try:
            wait = await self._script(keys=[self._prefix + name], args=[bucket.rate, bucket.burst])
        except (RedisError, OSError) as error:
            log.warning(
                "rate limiter unavailable; request let through", extra={"error": type(error).__name__}
            )
            return 0.0
        return float(wait)

    async def aclose(self) -> None:
        await self._client.aclose()


def make_rate_limiter(redis_url: str | None) -> RateLimiter:
    """The Redis limiter when a URL is configured, else the in-process one."""
    return RedisRateLimiter(redis_url) if redis_url else MemoryRateLimiter()


def address_bucket(settings: ApiSettings) -> Bucket | None:
    """Each client address's token bucket (None: no limit)."""
    if not settings.rate_limit_enabled:
        return None
    return Bucket(settings.rate_limit_address_per_second, settings.rate_limit_address_burst)


def key_bucket(settings: ApiSettings) -> Bucket | None:
    """Each API key's token bucket (None: no limit)."""
    if not settings.rate_limit_enabled:
        return None
    return Bucket(settings.rate_limit_key_per_second, settings.rate_limit_key_burst)
