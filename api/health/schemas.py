"""The response body of `/health` (a failing check answers a problem document with the same `checks`)."""

from typing import Literal

from api.schemas import ApiModel, ChainId


class Check(ApiModel):
    """The outcome of one health check."""

    status: Literal["ok", "fail"]
    detail: str | None = None
    """Why the check failed; never a URL or secret."""
    chain_id: ChainId | None = None
    """For a chain check: the id the node reported."""


class HealthReport(ApiModel):
    """Every check passed; a failing check answers 503 `application/problem+json` with the same `checks`."""

    status: Literal["ok"]
    checks: dict[str, Check]
