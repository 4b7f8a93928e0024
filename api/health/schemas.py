"""The response body of `/health` (a failing check answers a problem document with the same `checks`)."""

from typing import Literal

from pydantic import BaseModel, Field

from api.uint256 import ChainId


class Check(BaseModel):
    """The outcome of one health check."""

    status: Literal["ok", "fail"]
    detail: str | None = Field(default=None, description="Why the check failed; never a URL or secret.")
    chain_id: ChainId | None = Field(default=None, description="For a chain check: the id the node reported.")


class HealthReport(BaseModel):
    """Every check passed; a failing check answers 503 `application/problem+json` with the same `checks`."""

    status: Literal["ok"]
    checks: dict[str, Check]
