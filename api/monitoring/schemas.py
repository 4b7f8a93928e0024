"""The monitoring routes' bodies. Amounts and ledger ids are decimal strings (63 bits: beyond a JSON
number)."""

from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

ALERT_ID_PATTERN: Final = r"^mal_[0-9a-f]{24}$"

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=512)]


class DecisionIn(BaseModel):
    """An operator's decision on an alert, with the reason kept in the audit log."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason


class HoldOut(BaseModel):
    """One ledger hold of a freeze: a pending transfer of `amount` out of `account_id`."""

    transfer_id: str
    account_id: str
    currency: str
    amount: str
    released_at: int | None


class AlertOut(BaseModel):
    """An alert: what was found about whom, the freeze it placed, and the review's decision."""

    id: str
    check: Literal[
        "frequency_spike", "rate_surge", "structuring", "balance_drain", "geography", "off_market_trade"
    ]
    subject_kind: str
    subject_id: str
    account_id: str | None
    transfer_id: str | None
    reason: str
    details: dict[str, Any]
    status: Literal["open", "released", "confirmed"]
    case_id: str | None
    created_at: int
    decided_at: int | None
    decided_by: str | None
    decision_reason: str | None
    holds: list[HoldOut]
