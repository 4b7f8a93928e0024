"""The bodies of `/v1/reconciliation/...`: a run, each rail's state in it, and its breaks with both sides.

Amounts are minor units as decimal strings, as everywhere in the API (`api.fx.schemas.Int64Text`); a side
the break has not (the rail's for `missing_at_rail`, the ledger's for `missing_in_ledger`) is null.
"""

from datetime import date, datetime
from typing import Literal

from api.fx.schemas import Int64Text
from api.pagination import Page
from api.schemas import ApiModel


class RunRail(ApiModel):
    rail: Literal["card", "bank", "stablecoin"]
    state: Literal["reconciled", "unreadable", "unconfigured"]
    """`unreadable`: its record could not be read (the run is incomplete); `unconfigured`: no source is
    configured for it (the run is incomplete only if the ledger moved money on it that day)."""
    ledger_lines: int
    rail_lines: int
    detail: str | None
    """Why the rail is not reconciled, e.g. the error reading its record."""


class LedgerSide(ApiModel):
    """What the ledger posted on the rail's clearing account for the reference that day."""

    amount: Int64Text
    currency: str
    livemode: bool
    transfer_ids: list[Int64Text]
    """The ledger transfers making up the amount (one per share of a split payment)."""


class RailSide(ApiModel):
    """The rail's own line."""

    external_id: str
    """The rail's id of the movement (a bank entry reference, a card transaction id, `<tx>:<log index>`)."""
    amount: Int64Text
    currency: str
    livemode: bool
    booked_on: date


class BreakOut(ApiModel):
    kind: Literal[
        "missing_at_rail",
        "missing_in_ledger",
        "duplicate_at_rail",
        "amount_mismatch",
        "currency_mismatch",
        "mode_mismatch",
    ]
    rail: Literal["card", "bank", "stablecoin"]
    line_kind: Literal["payment", "refund"]
    reference: str
    """The payment intent id of a payment, the refund id of a refund."""
    ledger: LedgerSide | None
    rail_line: RailSide | None


class RunOut(ApiModel):
    """One reconciliation run of a day, with a page of its breaks."""

    date: date
    run: int
    """The run's number within its day: 1, 2, ... as the day is reconciled again."""
    status: Literal["complete", "incomplete"]
    """`incomplete`: a rail could not be reconciled (see `rails`); its breaks are unknown, never none."""
    break_count: int
    created_at: datetime
    rails: list[RunRail]
    breaks: Page[BreakOut]
