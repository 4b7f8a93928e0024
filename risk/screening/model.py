"""What a screening is: what was screened, against which list version, the hits, the outcome and, for a
potential match, the reviewer's decision."""

import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class ItemKind(StrEnum):
    """What is screened: a person's or company's name, a chain address, an IBAN."""

    NAME = "name"
    CHAIN_ADDRESS = "chain_address"
    IBAN = "iban"


class Trigger(StrEnum):
    """Why a screening ran: the issue's three moments (and a manual run by an operator)."""

    ONBOARDING = "onboarding"
    PAYOUT = "payout"
    LIST_CHANGE = "list_change"
    MANUAL = "manual"


class HitKind(StrEnum):
    """What on the list was hit: an entry's name, one of its aliases, a chain address or an IBAN."""

    NAME = "name"
    ALIAS = "alias"
    ADDRESS = "address"
    IBAN = "iban"


class Outcome(StrEnum):
    """`match`: an exact identifier is listed (or a reviewer confirmed a name); `potential_match`: a name
    scored above the threshold and waits for a reviewer; `clear`: nothing hit."""

    CLEAR = "clear"
    POTENTIAL_MATCH = "potential_match"
    MATCH = "match"


class Decision(StrEnum):
    """A reviewer's word on a potential match."""

    CONFIRMED = "confirmed"
    FALSE_POSITIVE = "false_positive"


class Standing(StrEnum):
    """A subject's standing from its latest screenings: `blocked` by any match or confirmed hit,
    `pending_review` while a potential match is undecided, else `clear`."""

    CLEAR = "clear"
    PENDING_REVIEW = "pending_review"
    BLOCKED = "blocked"


@dataclass(frozen=True, slots=True)
class Hit:
    """One listed entry hit: its number, what of it was hit, the listed text, the score (100 for an exact
    identifier) and its sanctions programs."""

    ent_num: int
    kind: HitKind
    listed: str
    score: float
    programs: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "ent_num": self.ent_num,
            "kind": str(self.kind),
            "listed": self.listed,
            "score": self.score,
            "programs": list(self.programs),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Hit":
        return cls(
            ent_num=int(data["ent_num"]),
            kind=HitKind(data["kind"]),
            listed=str(data["listed"]),
            score=float(data["score"]),
            programs=tuple(data["programs"]),
        )


def hits_to_text(hits: tuple[Hit, ...]) -> str:
    """The hits as the JSON text the table stores."""
    return json.dumps([hit.to_json() for hit in hits], separators=(",", ":"), ensure_ascii=False)


def hits_from_text(text: str) -> tuple[Hit, ...]:
    return tuple(Hit.from_json(item) for item in json.loads(text))


@dataclass(frozen=True, slots=True)
class Screening:
    """A stored screening. `outcome` is what the list said; `decision` what a reviewer said of a potential
    match (with `reviewer`, `reason`, `decided_at`); `standing` combines the two."""

    id: str
    subject_id: str
    kind: ItemKind
    value: str
    list_version: str
    trigger: Trigger
    outcome: Outcome
    hits: tuple[Hit, ...]
    created_at: int
    decision: Decision | None = None
    reviewer: str | None = None
    reason: str | None = None
    decided_at: int | None = None

    @property
    def standing(self) -> Standing:
        if self.outcome is Outcome.MATCH or self.decision is Decision.CONFIRMED:
            return Standing.BLOCKED
        if self.outcome is Outcome.POTENTIAL_MATCH and self.decision is None:
            return Standing.PENDING_REVIEW
        return Standing.CLEAR
