"""A token allocation plan once read: its grants, their on-chain references, and what is left to create.

A grant's `reference` is a hash of (plan name, category, position in the category): the allocate script
finds the grants it already created by it, so a second run creates only what is missing, and a plan edited
after a run is refused where it disagrees with what the chain holds (`pending_grants`).
"""

from collections.abc import Mapping
from dataclasses import dataclass

from eth_typing import ChecksumAddress
from eth_utils import keccak

from chain.errors import ChainError
from chain.vesting import (
    CreatedGrant,
    Schedule,
    utc,
)

TPW_DECIMALS = 18
REFERENCE_PREFIX = "tpwallet/allocation"
SECONDS_PER_UNIT = {"s": 1, "h": 3600, "d": 86_400, "w": 7 * 86_400}


class AllocationError(ChainError, ValueError):
    """The plan is malformed or inconsistent; the message starts with `file:line:column:`."""


@dataclass(frozen=True)
class PlannedGrant:
    """One grant the plan calls for."""

    category: str
    index: int  # position of the beneficiary in its category, from 0
    beneficiary: ChecksumAddress
    amount: int  # base units
    schedule: Schedule
    revocable: bool
    reference: bytes  # 32 bytes: see the module docstring


@dataclass(frozen=True)
class AllocationPlan:
    """A validated plan: the supply to mint and the grants that share it out, in plan order."""

    name: str
    total_supply: int  # base units
    decimals: int
    grants: tuple[PlannedGrant, ...]


def grant_reference(plan_name: str, category: str, index: int) -> bytes:
    """The 32-byte reference of a plan's grant, logged by the escrow when the grant is created."""
    return keccak(f"{REFERENCE_PREFIX}/{plan_name}/{category}/{index}".encode())


def pending_grants(
    plan: AllocationPlan, created: Mapping[bytes, CreatedGrant]
) -> tuple[list[PlannedGrant], list[tuple[PlannedGrant, CreatedGrant]]]:
    """Split the plan into (grants still to create, grants already created with the event that created them).

    `created` holds the escrow's `GrantCreated` events by reference. A grant created with other terms than
    the plan's (the plan was edited after a run) raises `AllocationError`: granting again would
    double-allocate, and skipping it would hide the difference.
    """
    missing: list[PlannedGrant] = []
    done: list[tuple[PlannedGrant, CreatedGrant]] = []
    for planned in plan.grants:
        existing = created.get(planned.reference)
        if existing is None:
            missing.append(planned)
            continue
        chain_terms = (existing.beneficiary, existing.amount, existing.schedule, existing.revocable)
        plan_terms = (planned.beneficiary, planned.amount, planned.schedule, planned.revocable)
        if chain_terms != plan_terms:
            raise AllocationError(
                f"{planned.category} #{planned.index}: grant {existing.grant_id} was created in transaction "
                f"{existing.tx_hash} for {existing.beneficiary}, {existing.amount} base units, "
                f"{describe_schedule(existing.schedule, existing.revocable)}; the plan now says "
                f"{planned.beneficiary}, {planned.amount} base units, "
                f"{describe_schedule(planned.schedule, planned.revocable)}"
            )
        done.append((planned, existing))
    return missing, done


def utc_date(timestamp: int) -> str:
    return utc(timestamp).strftime("%Y-%m-%d %H:%M UTC")


def schedule_kind(schedule: Schedule) -> str:
    if schedule.kind == "linear":
        return "linear"
    return f"tranche {schedule.tranches} x {duration_text(schedule.period)}"


def duration_text(seconds: int) -> str:
    for unit in ("w", "d", "h"):
        if seconds % SECONDS_PER_UNIT[unit] == 0:
            return f"{seconds // SECONDS_PER_UNIT[unit]}{unit}"
    return f"{seconds}s"


def describe_schedule(schedule: Schedule, revocable: bool) -> str:
    return (
        f"start {schedule.start}, cliff {schedule.cliff}s, duration {schedule.duration}s, "
        f"period {schedule.period}s, {'revocable' if revocable else 'irrevocable'}"
    )
