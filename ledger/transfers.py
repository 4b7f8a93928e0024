"""Creating transfers: the batch call, the single-transfer convenience, and the expiry of pending transfers.

`create_transfers` is TigerBeetle's request: a list of events in, one result per event out, in one database
transaction. A batch is the fast path: its accounts are locked once, its transfers inserted in one
statement, each account updated once. Results are values (see `ledger.results`); exceptions mean the
database failed, and then nothing of the batch was written.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import Connection, Engine, and_, not_, select

from ledger import store
from ledger.batch import evaluate_batch
from ledger.ids import new_id, now_ns, to_ns
from ledger.model import BATCH_MAX, TransferFlags, TransferSpec
from ledger.results import TransferOutcome
from ledger.schema import transfers
from ledger.state import BatchState
from ledger.transaction import Database, run
from ledger.writes import write_batch

# Expiry works through pending transfers this many at a time (each run is one batch, one transaction).
EXPIRY_BATCH: Final = 1_000


def _clock(now: datetime | None) -> int:
    return now_ns() if now is None else to_ns(now)


def _evaluate(
    connection: Connection, specs: Sequence[TransferSpec], timestamp: int, *, expiring: bool = False
) -> list[TransferOutcome]:
    """Lock, load, evaluate and write one batch (the caller has called `store.begin_writing`)."""
    pending_ids = {spec.pending_id for spec in specs if spec.pending_id}
    pendings = store.transfers_by_id(connection, pending_ids)
    account_ids = {spec.debit_account_id for spec in specs} | {spec.credit_account_id for spec in specs}
    account_ids |= {pending.debit_account_id for pending in pendings}
    account_ids |= {pending.credit_account_id for pending in pendings}
    state = BatchState(accounts=store.load_accounts(connection, account_ids - {0}))
    pending_currency = {pending.id: pending.currency for pending in pendings}
    references = {
        (spec.currency or pending_currency.get(spec.pending_id or 0, ""), spec.reference) for spec in specs
    }
    ids = {spec.id for spec in specs if spec.id is not None} | pending_ids
    existing = store.existing_transfers(connection, ids, references, pending_ids)
    # A pending transfer committed after the first read is left out: its accounts are not locked, so this
    # batch is ordered before its creation (which no client can have seen acknowledged before sending us).
    late = pending_ids - {pending.id for pending in pendings}
    state.remember(transfer for transfer in existing if transfer.id not in late)
    outcomes = evaluate_batch(specs, state, timestamp, new_id, expiring=expiring)
    write_batch(connection, state.created, state.accounts.values())
    return outcomes


def create_transfers(
    database: Database, specs: Sequence[TransferSpec], *, now: datetime | None = None
) -> list[TransferOutcome]:
    """Create `specs` in order, in one transaction; one outcome per spec.

    `now` is the ledger's clock for this batch (default: the system clock); tests and replays pass it.
    """
    if not specs:
        return []
    if len(specs) > BATCH_MAX:
        raise ValueError(f"a batch holds at most {BATCH_MAX} transfers, not {len(specs)}: split it")
    timestamp = _clock(now)

    def work(connection: Connection) -> list[TransferOutcome]:
        store.begin_writing(connection)
        return _evaluate(connection, specs, timestamp)

    return run(database, work)


def create_transfer(
    database: Database, spec: TransferSpec, *, now: datetime | None = None
) -> TransferOutcome:
    """One transfer in its own batch."""
    return create_transfers(database, [spec], now=now)[0]


def _expired_pending_ids(connection: Connection, timestamp: int, limit: int) -> list[int]:
    resolution = transfers.alias("resolution")
    query = (
        select(transfers.c.id)
        .where(
            and_(
                transfers.c.expires_at.is_not(None),
                transfers.c.expires_at <= timestamp,
                not_(select(resolution.c.id).where(resolution.c.pending_id == transfers.c.id).exists()),
            )
        )
        .order_by(transfers.c.expires_at, transfers.c.id)
        .limit(limit)
    )
    return [row[0] for row in connection.execute(query)]


def has_expired_pending(engine: Engine, now: datetime | None = None) -> bool:
    """Whether any pending transfer's timeout has passed by `now` unresolved: a read only, so a periodic
    caller takes no write lock (SQLite's is the whole database) when there is nothing to expire."""
    with engine.connect() as connection:
        return bool(_expired_pending_ids(connection, _clock(now), 1))


def expire_pending(database: Database, now: datetime | None = None) -> list[int]:
    """Release every pending transfer whose timeout has passed by `now`; returns the ids expired.

    Each expiry is written as a transfer (flag `EXPIRE_PENDING`, reference "expire:<pending id>"), so a
    later post or void of it answers `pending_transfer_expired` and the balances stay a replay of the
    journal. A pending transfer posted or voided concurrently simply drops out of the batch.
    """
    timestamp = _clock(now)

    def work(connection: Connection) -> tuple[int, list[int]]:
        store.begin_writing(connection)
        found = _expired_pending_ids(connection, timestamp, EXPIRY_BATCH)
        specs = [
            TransferSpec(
                reference=f"expire:{pending_id}", flags=TransferFlags.EXPIRE_PENDING, pending_id=pending_id
            )
            for pending_id in found
        ]
        outcomes = _evaluate(connection, specs, timestamp, expiring=True) if specs else []
        return len(found), [
            pending_id for pending_id, outcome in zip(found, outcomes, strict=True) if outcome.ok
        ]

    expired: list[int] = []
    while True:
        found, batch = run(database, work)
        expired.extend(batch)
        if found < EXPIRY_BATCH or not batch:  # all done, or what is left cannot expire (never loop on it)
            return expired
