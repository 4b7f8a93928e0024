"""Reading the journal: transfers by id or reference, what resolved a pending one, an account's transfers.

Reads take no lock and write nothing: each is one statement, so it sees a consistent snapshot on both
backends. An account's transfers come in journal order, by (timestamp, id): the timestamp is the ledger's
clock at the event (unique within a batch), and the id breaks the rare tie between two batches, so the
order is total and never changes once a transfer exists (immutable rows), which is what keyset pagination
needs. Each side (debit, credit) is read through its own (account, timestamp) index and the two are merged.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, select, tuple_, union_all
from sqlalchemy.orm import Session

from ledger import store
from ledger.model import Transfer
from ledger.schema import transfers
from ledger.transaction import Database


@contextmanager
def _reading(database: Database) -> Iterator[Connection]:
    """A connection to read on: the caller's (in its transaction), or one of the engine's for the read."""
    if isinstance(database, Engine):
        with database.connect() as connection:
            yield connection
        return
    yield database.connection() if isinstance(database, Session) else database


def lookup_transfers(database: Database, ids: Iterable[int]) -> dict[int, Transfer]:
    """The transfers among `ids` that exist, by id."""
    with _reading(database) as connection:
        return {transfer.id: transfer for transfer in store.transfers_by_id(connection, ids)}


def lookup_transfer(database: Database, transfer_id: int) -> Transfer | None:
    return lookup_transfers(database, [transfer_id]).get(transfer_id)


def lookup_references(database: Database, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Transfer]:
    """The transfers among `keys` ((currency, reference) pairs) that exist, by key."""
    wanted = set(keys)
    if not wanted:
        return {}
    with _reading(database) as connection:
        found = store.existing_transfers(connection, (), wanted, ())
    return {key: transfer for transfer in found if (key := (transfer.currency, transfer.reference)) in wanted}


def lookup_resolutions(database: Database, pending_ids: Iterable[int]) -> dict[int, Transfer]:
    """The post, void or expiry of each of `pending_ids` that has one, by the pending transfer's id."""
    wanted = sorted(set(pending_ids))
    if not wanted:
        return {}
    with _reading(database) as connection:
        found = store.existing_transfers(connection, (), (), wanted)
    return {transfer.pending_id: transfer for transfer in found if transfer.pending_id in wanted}


def account_transfers(
    database: Database, account_id: int, *, after: tuple[int, int] | None = None, limit: int = 100
) -> list[Transfer]:
    """Up to `limit` transfers that debit or credit `account_id`, in journal order, after the transfer whose
    (timestamp, id) is `after` (from the first when None)."""
    sides = []
    for column in (transfers.c.debit_account_id, transfers.c.credit_account_id):
        query = select(transfers.c.id).where(column == account_id)
        if after is not None:
            query = query.where(tuple_(transfers.c.timestamp, transfers.c.id) > tuple_(*after))
        sides.append(query.order_by(transfers.c.timestamp, transfers.c.id).limit(limit).subquery().select())
    with _reading(database) as connection:
        ids = [row[0] for row in connection.execute(union_all(*sides))]
        found = store.transfers_by_id(connection, ids)
    return sorted(found, key=lambda transfer: (transfer.timestamp, transfer.id))[:limit]
