"""Ids and time: ledger-chosen ids that sort by creation time, and the clock transfers are stamped with.

An id is 63 bits so it fits a BIGINT: 42 bits of milliseconds since the epoch (enough until the year 2109)
followed by 21 random bits. Within a process ids strictly increase (an id that would not is replaced by the
last one plus one), so a batch of thousands minted in one millisecond never repeats one; across processes
the random part makes a clash rare, and the primary key catches it (the batch is retried with fresh ids).
Time-ordered ids keep the B-tree's inserts at its right edge, which is why TigerBeetle recommends them too.
"""

import secrets
import threading
import time
from datetime import UTC, datetime
from typing import Final

RANDOM_BITS: Final = 21
NS_PER_SECOND: Final = 1_000_000_000
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


_last_id = 0
_last_id_lock = threading.Lock()


def new_id() -> int:
    """A fresh id for an account or a transfer, never 0, below 2^63 - 1, above every earlier one of this
    process."""
    global _last_id
    candidate = ((time.time_ns() // 1_000_000) << RANDOM_BITS) | secrets.randbits(RANDOM_BITS)
    with _last_id_lock:
        _last_id = max(candidate, _last_id + 1)
        return _last_id


def now_ns() -> int:
    return time.time_ns()


def to_ns(moment: datetime) -> int:
    """`moment` (timezone-aware) as ns since the epoch, computed in ints so no float rounding creeps in."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no place on the ledger's clock: give it a timezone")
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * NS_PER_SECOND + delta.microseconds * 1_000
