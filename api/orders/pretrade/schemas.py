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
