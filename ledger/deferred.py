"""Transfers created as their transaction commits: hot accounts locked for the shortest time.

Creating a transfer locks its accounts (`store.lock_accounts`, row locks in id order) until the transaction
ends. A payment step's transaction goes on after its transfers (the intent's new state, its event in the
outbox, the API's stored answer to the Idempotency-Key), and every payment of a merchant meets the same few
accounts (the rail's clearing account, the merchant's balance, the platform's fees): each statement after
the lock is a round trip every other payment waits behind. Measured on the card flow with 32 clients, nine
in ten busy API threads stood waiting for those locks.

`create_at_commit` queues a batch on the transaction's connection instead; the batch is created when that
transaction commits (SQLAlchemy's `commit` event, before the COMMIT is sent), so the locks are taken by the
last statements of the transaction and released by the COMMIT right after. Nothing else changes: the
transfers commit with the rest of the transaction or not at all, a refusal (`accept` raises) fails the
commit and leaves the transaction to be rolled back, and a rollback drops the queue. Work that must read
its own transfers back in the same transaction creates them at once (`transfers.create_transfers`).
"""

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from weakref import WeakKeyDictionary, WeakSet

from sqlalchemy import Connection, Engine, event

from ledger.model import TransferSpec
from ledger.results import TransferOutcome
from ledger.transfers import create_transfers

Accept = Callable[[Sequence[TransferSpec], Sequence[TransferOutcome]], None]
"""Judges a batch's outcomes when it is created; raising refuses the commit."""


@dataclass(frozen=True, slots=True)
class _Batch:
    specs: tuple[TransferSpec, ...]
    accept: Accept


_lock = threading.Lock()
_queued: "WeakKeyDictionary[Connection, list[_Batch]]" = WeakKeyDictionary()
_watched: "WeakSet[Engine]" = WeakSet()


def create_at_commit(connection: Connection, specs: Sequence[TransferSpec], accept: Accept) -> None:
    """Create `specs` (one batch, in order) when `connection`'s transaction commits, then `accept` their
    outcomes. Batches queued on one transaction are created in the order they were queued."""
    if not connection.in_transaction():
        raise RuntimeError("transfers are queued on a transaction: begin one first")
    _watch(connection.engine)
    with _lock:
        _queued.setdefault(connection, []).append(_Batch(tuple(specs), accept))


def queued(connection: Connection) -> int:
    """How many batches wait for `connection`'s commit."""
    with _lock:
        return len(_queued.get(connection, ()))


def _watch(engine: Engine) -> None:
    with _lock:
        if engine in _watched:
            return
        event.listen(engine, "commit", _create_queued)
        event.listen(engine, "rollback", _drop_queued)
        _watched.add(engine)


def _create_queued(connection: Connection) -> None:
    with _lock:
        batches = _queued.pop(connection, [])
    for batch in batches:
        batch.accept(batch.specs, create_transfers(connection, batch.specs))


def _drop_queued(connection: Connection) -> None:
    with _lock:
        _queued.pop(connection, None)
