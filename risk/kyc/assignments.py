"""Each subject's KYC tier and its history. A subject never seen is at tier `none`.

Setting a tier writes the change (who, why, from what) and the current tier in one transaction; setting
the tier a subject already has writes nothing. Times are unix milliseconds from the injected clock.
"""

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, Engine, false, insert, select, update
from sqlalchemy.exc import IntegrityError

from risk.kyc.errors import InvalidTierChange
from risk.kyc.schema import subject_tiers, tier_changes
from risk.kyc.tiers import Tier

MAX_SUBJECT_LENGTH: Final = 64
MAX_ACTOR_LENGTH: Final = 64
MAX_REASON_LENGTH: Final = 512


@dataclass(frozen=True, slots=True)
class TierChange:
    """One change of a subject's tier: from `previous_tier` to `tier`, by `actor` (an operator, or the KYC
    provider's check id), for `reason`."""

    id: str
    subject_id: str
    tier: Tier
    previous_tier: Tier
    actor: str
    reason: str
    created_at: int


def _text(value: str, field: str, limit: int) -> str:
    text = " ".join(value.split())
    if not text or len(text) > limit:
        raise InvalidTierChange(f"{field} must be 1 to {limit} characters", field=field)
    return text


class Tiers:
    """The subjects' tiers in `engine`'s database."""

    def __init__(self, engine: Engine, *, clock: Callable[[], int]) -> None:
        self.engine = engine
        self.clock = clock

    def tier_of(self, subject_id: str) -> Tier:
        """The subject's current tier (`none` if never set)."""
        with self.engine.connect() as connection:
            return _current(connection, subject_id)

    def set_tier(self, subject_id: str, tier: Tier, *, actor: str, reason: str) -> TierChange | None:
        """Move the subject to `tier`; the change recorded, or None when it already was at `tier`."""
        with self.engine.begin() as connection:
            return change_tier(connection, subject_id, tier, actor=actor, reason=reason, now=self.clock())

    def history(self, subject_id: str) -> list[TierChange]:
        """Every change of the subject's tier, oldest first."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(tier_changes)
                .where(tier_changes.c.subject_id == subject_id)
                .order_by(tier_changes.c.created_at, tier_changes.c.id)
            ).all()
        return [
            TierChange(
                row.id,
                row.subject_id,
                Tier(row.tier),
                Tier(row.previous_tier),
                row.actor,
                row.reason,
                row.created_at,
            )
            for row in rows
        ]


def change_tier(
    connection: Connection,
    subject_id: str,
    tier: Tier,
    *,
    actor: str,
    reason: str,
    now: int,
    upward_only: bool = False,
) -> TierChange | None:
    """Move the subject to `tier` within the caller's transaction (so a KYC check's outcome and the tier
    it grants commit together); None when nothing changed: already at `tier`, or `upward_only` and the
    subject is already at or above it."""
    subject = _text(subject_id, "subject_id", MAX_SUBJECT_LENGTH)
    who = _text(actor, "actor", MAX_ACTOR_LENGTH)
    why = _text(reason, "reason", MAX_REASON_LENGTH)
    _lock(connection, subject, now)
    previous = _current(connection, subject, for_update=True)
    if previous is tier or (upward_only and previous.rank >= tier.rank):
        return None
    change = TierChange(f"kyc_{secrets.token_hex(12)}", subject, tier, previous, who, why, now)
    connection.execute(
        insert(tier_changes).values(
            id=change.id,
            subject_id=subject,
            tier=str(tier),
            previous_tier=str(previous),
            actor=who,
            reason=why,
            created_at=now,
        )
    )
    connection.execute(
        update(subject_tiers)
        .where(subject_tiers.c.subject_id == subject)
        .values(tier=str(tier), change_id=change.id, changed_at=now)
    )
    return change


def _lock(connection: Connection, subject: str, now: int) -> None:
    """Make sure the subject has its current-tier row (at `none`), so the change below can lock it. SQLite
    has no row locks: there the transaction takes the database's write lock first (a no-op UPDATE), so two
    changes never read the same current tier."""
    if connection.dialect.name == "sqlite":
        connection.execute(update(subject_tiers).where(false()).values(tier=subject_tiers.c.tier))
    try:
        with connection.begin_nested():
            connection.execute(
                insert(subject_tiers).values(
                    subject_id=subject, tier=str(Tier.NONE), change_id=None, changed_at=now
                )
            )
    except IntegrityError:
        pass  # the row exists: what we wanted


def _current(connection: Connection, subject_id: str, *, for_update: bool = False) -> Tier:
    query = select(subject_tiers.c.tier).where(subject_tiers.c.subject_id == subject_id)
    found = connection.scalar(query.with_for_update() if for_update else query)
    return Tier.NONE if found is None else Tier(found)
