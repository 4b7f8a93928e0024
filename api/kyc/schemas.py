"""The bodies of `/v1/kyc`. Times are unix milliseconds; dates ISO 8601."""

import datetime
from typing import Literal

from pydantic import Field

from api.schemas import ApiModel
from risk.kyc.checks import CheckStatus
from risk.kyc.tiers import Tier

CHECK_ID_PATTERN = r"^kyc_chk_[0-9a-f]{20}$"


class CheckIn(ApiModel):
    """What the customer submits for a check: `light` needs name, date of birth and country; `full` an
    identity document's number too (and its expiry date, when it has one). Sent to the provider only: the
    API keeps none of it but the name's sanctions screening."""

    tier: Literal["light", "full"]
    full_name: str = Field(min_length=1, max_length=256)
    date_of_birth: datetime.date
    country: str = Field(pattern=r"^[A-Z]{2}$")
    """ISO 3166-1 alpha-2."""
    document_number: str | None = Field(default=None, min_length=1, max_length=64)
    document_expires_on: datetime.date | None = None


class CheckOut(ApiModel):
    id: str
    object: Literal["kyc_check"] = "kyc_check"
    subject_id: str
    provider: str
    tier: Tier
    """The tier an approval grants (`light` or `full`)."""
    status: CheckStatus
    reasons: str
    """The provider's (or reviewer's) reasons, `; `-separated (`document_expired`, ...)."""
    created_at: int
    completed_at: int | None


class KycOut(ApiModel):
    object: Literal["kyc"] = "kyc"
    subject_id: str
    tier: Tier
    checks: list[CheckOut]
    """The customer's checks, newest first."""


class CheckList(ApiModel):
    object: Literal["list"] = "list"
    data: list[CheckOut]


class ReviewIn(ApiModel):
    """An operator's decision on a check the provider sent to manual review."""

    decision: Literal["approved", "rejected"]
    reason: str = Field(min_length=1, max_length=512)


class EventAnswer(ApiModel):
    received: bool
    status: str
    """The check's status after the result."""
