"""The per-key order bucket: each API key may place `rate_limit.per_second` orders a second, `burst` at
once (`config/pretrade.yaml`), on top of its general request bucket (`api.auth`).

The bucket is `api.ratelimit`'s, under its own name (`orders:key:<id>`), so it is shared through Redis when
`rate_limit_redis_url` is set and kept in the process otherwise, and a refusal is the same 429 problem
with `Retry-After`. It is taken after the key is authenticated and its scope checked, and before the
Idempotency-Key is claimed: a refused order leaves no claim, and its retry with the same key is a new try.
"""

from typing import Any

from api.auth import ApiClient
from api.ratelimit import Bucket, RateLimited, RateLimiter
from risk.pretrade.limits import PretradeConfig


async def take_order_token(state: Any, client: ApiClient) -> None:
    """Take a token from `client`'s order bucket on the app of `state`; 429 `rate-limited` when empty."""
    limiter: RateLimiter | None = getattr(state, "rate_limiter", None)
    config: PretradeConfig | None = getattr(state, "pretrade_config", None)
    if limiter is None or config is None or not state.settings.rate_limit_enabled:
        return
    wait = await limiter.take(
        f"orders:key:{client.key_id}", Bucket(config.rate.per_second, config.rate.burst)
    )
    if wait > 0:
        raise RateLimited(f"API key {client.key_id} placed too many orders; retry after Retry-After", wait)
