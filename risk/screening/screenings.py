"""Screening subjects and recording the results: on onboarding, on every payout, and again for every known
subject when the list changes; a reviewer's decision on a potential match.

Each screening is one transaction: the item (subject, kind, value) is created on first sight, the screening
row inserted, and the item's `latest_screening_id` pointed at it, so a subject's standing is always read
from whole screenings. A decision already taken on one of the item's earlier screenings (the last decided)
is carried over when the new hits are a subset of the decided ones (the same listed entries, reviewed once,
are not queued for a reviewer again on every payout or list version); a new listed entry always needs a
fresh decision. A reviewer's decision is chained onto the risk audit log in its transaction (`audit`; a
carried-over one is not: no one decided it again). A screening that would repeat the item's standing
undecided potential match (same list, same hits) records nothing new and answers that one, so the
reviewers' queue holds one entry per item. Times are unix milliseconds from the injected clock.
"""

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, Engine, Row, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from risk.screening import identifiers, sdn
from risk.screening.audit import audit_decision
from risk.screening.errors import DecisionRefused, InvalidIdentifier, NotFound
from risk.screening.index import ListIndex
from risk.screening.model import (
    Decision,
    Hit,
    ItemKind,
    Outcome,
    Screening,
    Standing,
    Trigger,
    hits_from_text,
    hits_to_text,
)
from risk.screening.schema import items, lists, screenings

DEFAULT_NAME_THRESHOLD: Final = 88.0
MAX_SUBJECT_LENGTH: Final = 64
MAX_NAME_LENGTH: Final = 512
MAX_REVIEWER_LENGTH: Final = 64
MAX_REASON_LENGTH: Final = 512


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


@dataclass(frozen=True, slots=True)
class ScreeningPolicy:
    """The name-match threshold (0-100): a name scoring at or above it against a listed name or alias is a
    potential match. 88 catches one- or two-letter spelling variants of full names."""

    name_threshold: float = DEFAULT_NAME_THRESHOLD

    def __post_init__(self) -> None:
        if not 0 < self.name_threshold <= 100:
            raise ValueError(f"name_threshold {self.name_threshold} is not in (0, 100]")


def _text(value: str, field: str, limit: int) -> str:
    text = " ".join(value.split())
    if not text or len(text) > limit:
        raise InvalidIdentifier(f"{field} must be 1 to {limit} characters", field=field)
    return text


class Screener:
    """Screens against the current list `index` and records in `engine`'s database."""

    def __init__(
        self,
        engine: Engine,
        index: ListIndex,
        *,
        clock: Callable[[], int],
        policy: ScreeningPolicy | None = None,
    ) -> None:
        self.engine = engine
        self.index = index
        self.clock = clock
        self.policy = policy or ScreeningPolicy()

    # Screening -----------------------------------------------------------------------------------------

    def screen_name(self, subject_id: str, name: str, trigger: Trigger) -> Screening:
        """Screen a person's or company's name: each entry whose name or alias scores at or above the
        threshold is a hit, and any hit makes the screening a potential match for a reviewer."""
        value = _text(name, "name", MAX_NAME_LENGTH)
        index = self.index  # one list for the hits and the version recorded, whatever switch_list does
        hits = index.names(value, self.policy.name_threshold)
        return self._record(subject_id, ItemKind.NAME, value, trigger, index, hits, Outcome.POTENTIAL_MATCH)

    def screen_chain_address(self, subject_id: str, address: str, trigger: Trigger) -> Screening:
        """Screen a chain address: listed (EVM checksum-insensitively) is a match, no reviewer asked."""
        value = identifiers.chain_address(address)
        index = self.index
        hits = index.chain_address(value)
        return self._record(subject_id, ItemKind.CHAIN_ADDRESS, value, trigger, index, hits, Outcome.MATCH)

    def screen_iban(self, subject_id: str, iban: str, trigger: Trigger) -> Screening:
        """Screen an IBAN (checked and compacted by schwifty): listed is a match."""
        value = identifiers.iban(iban)
        index = self.index
        hits = index.iban(value)
        return self._record(subject_id, ItemKind.IBAN, value, trigger, index, hits, Outcome.MATCH)

    def _screen_item(self, subject_id: str, kind: ItemKind, value: str, trigger: Trigger) -> Screening:
        screen = {
            ItemKind.NAME: self.screen_name,
            ItemKind.CHAIN_ADDRESS: self.screen_chain_address,
            ItemKind.IBAN: self.screen_iban,
        }[kind]
        return screen(subject_id, value, trigger)

    def _record(
        self,
        subject_id: str,
        kind: ItemKind,
        value: str,
        trigger: Trigger,
        index: ListIndex,
        hits: Sequence[Hit],
        on_hit: Outcome,
    ) -> Screening:
        subject = _text(subject_id, "subject_id", MAX_SUBJECT_LENGTH)
        now = self.clock()
        screening = Screening(
            id=_new_id("scr"),
            subject_id=subject,
            kind=kind,
            value=value,
            list_version=index.version,
            trigger=trigger,
            outcome=on_hit if hits else Outcome.CLEAR,
            hits=tuple(hits),
            created_at=now,
        )
        with self.engine.begin() as connection:
            _register_list(connection, index, now)
            item_id, previous_id = _item(connection, subject, kind, value, now)
            previous = _load(connection, previous_id) if previous_id is not None else None
            if _still_waiting(screening, previous):
                assert previous is not None
                return previous  # the same hits already wait for a reviewer: one queue entry, not one a try
            screening = _carried_over(screening, _last_decided(connection, item_id), now)
            connection.execute(insert(screenings).values(item_id=item_id, **_row(screening)))
            connection.execute(
                update(items).where(items.c.id == item_id).values(latest_screening_id=screening.id)
            )
        return screening

    # Reviewing -----------------------------------------------------------------------------------------

    def decide(self, screening_id: str, decision: Decision, *, reviewer: str, reason: str) -> Screening:
        """Record a reviewer's decision on an undecided potential match; refused on anything else (a clear
        screening, an exact match, an already decided one), so two reviewers cannot both decide. The
        decision is chained onto the risk audit log in its transaction (`audit.audit_decision`)."""
        who = _text(reviewer, "reviewer", MAX_REVIEWER_LENGTH)
        why = _text(reason, "reason", MAX_REASON_LENGTH)
        now = self.clock()
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(screenings)
                .where(
                    screenings.c.id == screening_id,
                    screenings.c.outcome == str(Outcome.POTENTIAL_MATCH),
                    screenings.c.decision.is_(None),
                )
                .values(decision=str(decision), reviewer=who, reason=why, decided_at=now)
            ).rowcount
            found = _load(connection, screening_id)
            if found is not None and changed == 1:
                audit_decision(connection, found, now)
        if found is None:
            raise NotFound(f"no screening {screening_id}", field="screening_id")
        if changed != 1:
            raise DecisionRefused(
                f"screening {screening_id} is {found.outcome}"
                + (f", decided {found.decision}" if found.decision else "")
                + ": only an undecided potential match takes a decision",
                field="decision",
            )
        return found

    # Reading -------------------------------------------------------------------------------------------

    def get(self, screening_id: str) -> Screening:
        with self.engine.connect() as connection:
            found = _load(connection, screening_id)
        if found is None:
            raise NotFound(f"no screening {screening_id}", field="screening_id")
        return found

    def latest(self, subject_id: str) -> list[Screening]:
        """The screening standing for each item of the subject (what it was screened on, latest first)."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                _joined(latest_only=True)
                .where(items.c.subject_id == subject_id)
                .order_by(screenings.c.created_at.desc(), screenings.c.id)
            ).all()
        return [_screening(row) for row in rows]

    def standing(self, subject_id: str) -> Standing:
        """The subject's standing from its latest screenings: blocked over pending review over clear."""
        found = {screening.standing for screening in self.latest(subject_id)}
        for standing in (Standing.BLOCKED, Standing.PENDING_REVIEW):
            if standing in found:
                return standing
        return Standing.CLEAR

    def pending_review(self, limit: int = 100) -> list[Screening]:
        """Latest screenings waiting for a reviewer, oldest first (a reviewer's queue)."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                _joined(latest_only=True)
                .where(screenings.c.outcome == str(Outcome.POTENTIAL_MATCH), screenings.c.decision.is_(None))
                .order_by(screenings.c.created_at, screenings.c.id)
                .limit(limit)
            ).all()
        return [_screening(row) for row in rows]

    # List changes --------------------------------------------------------------------------------------

    def refresh(self, directory: Path) -> list[Screening]:
        """Load the list in `directory` and, when its version is not the one in use, switch to it and
        re-screen (`switch_list`); the monitoring calls this when the list files may have changed. A
        malformed list raises `InvalidListFile` and the current one stays in use."""
        loaded = sdn.load(directory)
        if loaded.version == self.index.version:
            return self.switch_list(self.index)  # finishes an interrupted re-screen; else nothing to do
        return self.switch_list(ListIndex(loaded))

    def switch_list(self, index: ListIndex) -> list[Screening]:
        """Use `index` from now on and re-screen every known item whose latest screening was against
        another version (trigger `list_change`). Each item is its own transaction; calling again after an
        interruption finishes the rest, and calling with the same version re-screens nothing."""
        self.index = index
        with self.engine.connect() as connection:
            stale = connection.execute(
                select(items.c.subject_id, items.c.kind, items.c.value)
                .select_from(items.outerjoin(screenings, screenings.c.id == items.c.latest_screening_id))
                .where(or_(screenings.c.id.is_(None), screenings.c.list_version != index.version))
                .order_by(items.c.created_at, items.c.id)
            ).all()
        return [
            self._screen_item(subject, ItemKind(kind), value, Trigger.LIST_CHANGE)
            for subject, kind, value in stale
        ]


def _register_list(connection: Connection, index: ListIndex, now: int) -> None:
    """Record the list version on its first use (race-safe: a concurrent first use's row is as good)."""
    known = connection.scalar(select(lists.c.version).where(lists.c.version == index.version))
    if known is None:
        try:
            with connection.begin_nested():
                connection.execute(
                    insert(lists).values(version=index.version, entries=index.entries, first_used_at=now)
                )
        except IntegrityError:
            pass  # registered meanwhile by a concurrent screening: the row is what we wanted


def _item(
    connection: Connection, subject: str, kind: ItemKind, value: str, now: int
) -> tuple[str, str | None]:
    """The item's id and latest screening id, the item created on first sight (race-safe: a concurrent
    creator's row is read back)."""
    where = and_(items.c.subject_id == subject, items.c.kind == str(kind), items.c.value == value)
    found = connection.execute(select(items.c.id, items.c.latest_screening_id).where(where)).first()
    if found is None:
        try:
            with connection.begin_nested():
                item_id = _new_id("sci")
                connection.execute(
                    insert(items).values(
                        id=item_id, subject_id=subject, kind=str(kind), value=value, created_at=now
                    )
                )
                return item_id, None
        except IntegrityError:
            found = connection.execute(select(items.c.id, items.c.latest_screening_id).where(where)).one()
    return found.id, found.latest_screening_id


def _still_waiting(screening: Screening, previous: Screening | None) -> bool:
    """Whether `previous` is an undecided potential match on the same list version with the same hits: the
    item's standing screening already says what `screening` would, and a reviewer deciding it (perhaps
    right now, from the queue) must not find it superseded by an identical one."""
    return (
        previous is not None
        and previous.decision is None
        and previous.outcome is Outcome.POTENTIAL_MATCH
        and screening.outcome is Outcome.POTENTIAL_MATCH
        and previous.list_version == screening.list_version
        and {hit.ent_num for hit in previous.hits} == {hit.ent_num for hit in screening.hits}
    )


def _last_decided(connection: Connection, item_id: str) -> Screening | None:
    """The item's most recently decided screening: its decision may carry over to a new one."""
    found = connection.scalar(
        select(screenings.c.id)
        .where(screenings.c.item_id == item_id, screenings.c.decision.is_not(None))
        .order_by(screenings.c.decided_at.desc(), screenings.c.created_at.desc())
        .limit(1)
    )
    return None if found is None else _load(connection, found)


def _carried_over(screening: Screening, previous: Screening | None, now: int) -> Screening:
    """`screening` with the previous screening's decision when its hits are all among the decided ones."""
    if previous is None or previous.decision is None or screening.outcome is not Outcome.POTENTIAL_MATCH:
        return screening
    if not {hit.ent_num for hit in screening.hits} <= {hit.ent_num for hit in previous.hits}:
        return screening
    return replace(
        screening,
        decision=previous.decision,
        reviewer=previous.reviewer,
        reason=f"carried over from {previous.id}",
        decided_at=now,
    )


def _row(screening: Screening) -> dict[str, Any]:
    return {
        "id": screening.id,
        "subject_id": screening.subject_id,
        "list_version": screening.list_version,
        "trigger": str(screening.trigger),
        "outcome": str(screening.outcome),
        "hits": hits_to_text(screening.hits),
        "created_at": screening.created_at,
        "decision": None if screening.decision is None else str(screening.decision),
        "reviewer": screening.reviewer,
        "reason": screening.reason,
        "decided_at": screening.decided_at,
    }


def _joined(*, latest_only: bool = False) -> Any:
    """Screenings with their item's kind and value; `latest_only`: only those standing for their item."""
    on = items.c.latest_screening_id if latest_only else items.c.id
    return select(screenings, items.c.kind, items.c.value).select_from(
        screenings.join(items, screenings.c.id == on if latest_only else screenings.c.item_id == on)
    )


def _load(connection: Connection, screening_id: str) -> Screening | None:
    row = connection.execute(_joined().where(screenings.c.id == screening_id)).first()
    return None if row is None else _screening(row)


def _screening(row: Row[Any]) -> Screening:
    return Screening(
        id=row.id,
        subject_id=row.subject_id,
        kind=ItemKind(row.kind),
        value=row.value,
        list_version=row.list_version,
        trigger=Trigger(row.trigger),
        outcome=Outcome(row.outcome),
        hits=hits_from_text(row.hits),
        created_at=row.created_at,
        decision=None if row.decision is None else Decision(row.decision),
        reviewer=row.reviewer,
        reason=row.reason,
        decided_at=row.decided_at,
    )
