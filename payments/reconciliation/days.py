"""Days as reconciliation and the reports count them: UTC calendar days, spelt YYYY-MM-DD, none in the
future, and each the half-open window [00:00, next 00:00) of the ledger's ns clock."""

import datetime
import re
from typing import Final

from ledger.ids import EPOCH, now_ns, to_ns

_DAY: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def today() -> datetime.date:
    """Today (UTC) by the ledger's clock."""
    return (EPOCH + datetime.timedelta(microseconds=now_ns() // 1_000)).date()


def parse_day(text: str) -> datetime.date:
    """The day `text` spells as YYYY-MM-DD exactly (not the other ISO 8601 forms Python also reads, such as
    20261206); ValueError saying what is wrong otherwise."""
    if not _DAY.fullmatch(text):
        raise ValueError("a calendar date, YYYY-MM-DD")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValueError("a calendar date, YYYY-MM-DD") from None


def parse_past_day(text: str) -> datetime.date:
    """`parse_day`, and not after today: a day is reconciled or reported once it has begun."""
    day = parse_day(text)
    if day > today():
        raise ValueError(f"{day} is in the future: a day is reconciled or reported once it has begun")
    return day


def window(first: datetime.date, last: datetime.date) -> tuple[int, int]:
    """[first 00:00 UTC, the day after last 00:00 UTC) in ns."""
    start = datetime.datetime.combine(first, datetime.time(), datetime.UTC)
    end = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time(), datetime.UTC)
    return to_ns(start), to_ns(end)
