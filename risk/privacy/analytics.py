"""The analytics event stream: logins, payments and risk decisions, each stored under its subject's keyed
pseudonym (`pseudonyms`), never the subject id, with only what the aggregate reports read (day, country,
merchant category, currency, amount in integer minor units).
"""

import datetime
import enum
import re
import secrets
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, delete, insert

from risk.privacy.pseudonyms import Pseudonymizer
from risk.privacy.schema import analytics_events

COUNTRY: Final = re.compile(r"^[A-Z]{2}$")
MCC: Final = re.compile(r"^[0-9]{4}$")
CURRENCY: Final = re.compile(r"^[A-Za-z]{3,8}$")


class EventKind(enum.StrEnum):
    LOGIN = "login"
    PAYMENT = "payment"
    DECISION = "decision"


class InvalidEvent(ValueError):
    """An event field is malformed; `field` names it."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field


@dataclass(frozen=True)
class Event:
    """What happened to `subject_id` at `at` (unix seconds); the subject id is pseudonymised on recording."""

    kind: EventKind
    subject_id: str
    at: int
    country: str | None = None
    mcc: str | None = None
    currency: str | None = None
    amount: int | None = None

    def __post_init__(self) -> None:
        if self.country is not None and not COUNTRY.match(self.country):
            raise InvalidEvent("country", "an ISO 3166-1 alpha-2 code")
        if self.mcc is not None and not MCC.match(self.mcc):
            raise InvalidEvent("mcc", "four digits")
        if (self.amount is None) != (self.currency is None):
            raise InvalidEvent("amount", "an amount and its currency go together")
        if self.currency is not None and not CURRENCY.match(self.currency):
            raise InvalidEvent("currency", "a currency code")
        if self.amount is not None and (type(self.amount) is not int or self.amount < 0):
            raise InvalidEvent("amount", "a non-negative integer of minor units")


def utc_day(at: int) -> datetime.date:
    return datetime.datetime.fromtimestamp(at, datetime.UTC).date()


def record(connection: Connection, pseudonymizer: Pseudonymizer, event: Event) -> str:
    """Store `event` under its subject's pseudonym, in the caller's transaction; the event's id."""
    event_id = f"aev_{secrets.token_hex(12)}"
    connection.execute(
        insert(analytics_events).values(
            id=event_id,
            kind=str(event.kind),
            pseudonym=pseudonymizer.pseudonym(event.subject_id),
            key_id=pseudonymizer.key_id,
            day=utc_day(event.at),
            country=event.country,
            mcc=event.mcc,
            currency=event.currency.upper() if event.currency else None,
            amount=event.amount,
            created_at=event.at,
        )
    )
    return event_id


def forget(connection: Connection, pseudonymizer: Pseudonymizer, subject_id: str) -> int:
    """Delete the subject's events made under the current key (those under a destroyed key are already
    unlinkable); how many."""
    return connection.execute(
        delete(analytics_events).where(
            (analytics_events.c.pseudonym == pseudonymizer.pseudonym(subject_id))
            & (analytics_events.c.key_id == pseudonymizer.key_id)
        )
    ).rowcount
