"""The bodies of `/v1/risk/kill-switches`."""

from typing import Literal

from pydantic import ConfigDict, Field

from api.schemas import ApiModel

SwitchKindText = Literal["market", "account"]


class KillSwitchCreate(ApiModel):
    """Engage a kill switch: `market` (target: a market id) or `account` (target: a merchant id)."""

    model_config = ConfigDict(extra="forbid")

    kind: SwitchKindText
    target: str = Field(min_length=1, max_length=64, examples=["TPW-tUSD"])
    """The market's id, or the merchant's id (its orders in both modes)."""
    reason: str = Field(min_length=1, max_length=200, examples=["runaway algorithm"])
    """Why: recorded on the switch and in the risk audit log."""


class KillSwitchOut(ApiModel):
    """An engaged kill switch."""

    object: Literal["kill_switch"] = "kill_switch"
    kind: SwitchKindText
    target: str
    reason: str
    engaged_by: str
    engaged_at: int
    """Unix seconds."""
    canceled_orders: int | None = None
    """On engaging: how many resting orders it canceled (their funds released)."""


class KillSwitches(ApiModel):
    """Every engaged kill switch, markets first."""

    data: list[KillSwitchOut]


class StepUpApproval(ApiModel):
    """A risk desk's approval of a derivative order's step-up challenge."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=200, examples=["hedge agreed with the desk"])
    """Why: recorded in the risk audit log with who approved."""


class StepUpOut(ApiModel):
    """An approved step-up challenge: the order it lets through once (sent again with `step_up`)."""

    object: Literal["step_up"] = "step_up"
    id: str
    market: str
    side: Literal["buy", "sell"]
    lots: int
    price_ticks: int
    notional: str
    """The position's notional after the order, quote minor units as a decimal string."""
    status: Literal["confirmed"]
    expires_at: int
    """Unix seconds: the order must be sent again with the challenge before then."""
