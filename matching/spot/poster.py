"""Writing a spot market's transfers to the ledger exactly once, across crashes.

The journal is the truth and the ledger follows it. A command's transfers (`matching.spot.settlement`)
are written in one ledger batch, one database transaction, right after the command is journaled; their
references are derived from (market, journal seq, index), so writing them again answers `exists` and moves
nothing. The poster's cursor (`poster.cursor` beside the journal, written atomically by the market every
`CURSOR_EVERY` commands and at close) says how far the ledger is known to be; it only saves work: a
cursor behind the ledger (a crash between the ledger's commit and the cursor's write) re-posts batches
the ledger then answers `exists` for, and a ledger behind the journal (a crash between the journal's
fsync and the ledger's commit) is caught up at open, because open recomputes every command's transfers
from the journal and posts those past the cursor.

The other gap is before the journal: an order's hold is posted first, then the order is journaled. A
crash in between leaves a hold for an order no one was told about (its caller never got an answer), an
orphan: open releases every hold in the market's escrow whose order id the journal never saw.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from chain.files import write_atomic
from ledger.journal import account_transfers, lookup_references
from ledger.model import TransferSpec
from ledger.results import CreateTransferResult
from ledger.transaction import Database
from ledger.transfers import create_transfers
from matching.markets import MarketSpec
from matching.settlement.leaf import SettledTrade
from matching.settlement.trades import record_trades
from matching.spot.accounts import escrow_account

CURSOR_NAME = "poster.cursor"
_PAGE = 500
_REPLAYED = frozenset(
    {CreateTransferResult.OK, CreateTransferResult.EXISTS, CreateTransferResult.LINKED_EVENT_FAILED}
)


class PostingFailed(RuntimeError):
    """The ledger refused a transfer the journal implies: a bug or a tampered ledger, never a retryable
    condition; the market must stop rather than diverge."""


@contextlib.contextmanager
def _transaction(database: Database) -> Iterator[Connection]:
    """A connection in a transaction: the engine's own (committed at the end), or the caller's."""
    if isinstance(database, Engine):
        with database.begin() as connection:
            yield connection
    elif isinstance(database, Session):
        yield database.connection()
    else:
        yield database


def post(database: Database, specs: Sequence[TransferSpec], trades: Sequence[SettledTrade] = ()) -> None:
    """Write `specs` (one command's transfers) and record its `trades` for settlement, in one transaction;
    the same ones again are a no-op (the ledger answers `exists`, the trades are known by id)."""
    if not specs:
        return
    with _transaction(database) as connection:
        _post(connection, specs)
        record_trades(connection, trades)


def _post(connection: Connection, specs: Sequence[TransferSpec]) -> None:
    outcomes = create_transfers(connection, specs)
    if all(outcome.ok for outcome in outcomes):
        return
    # A replay: every transfer of the batch was committed together, so each must be there as it was.
    if all(outcome.result in _REPLAYED for outcome in outcomes):
        stored = lookup_references(connection, [(spec.currency, spec.reference) for spec in specs])
        if all((spec.currency, spec.reference) in stored for spec in specs):
            return
    failed = next(outcome for outcome in outcomes if not outcome.ok)
    raise PostingFailed(f"{specs[failed.index].reference}: {failed.result}")


def read_cursor(directory: Path) -> int:
    """The last journal seq whose transfers are known to be in the ledger (0: none)."""
    path = directory / CURSOR_NAME
    return int(json.loads(path.read_text())["seq"]) if path.exists() else 0


def write_cursor(directory: Path, seq: int) -> None:
    # Not fsync'd: a cursor lost to a power cut is only behind, and behind is safe (see above).
    write_atomic(directory / CURSOR_NAME, json.dumps({"seq": seq}).encode(), durable=False)


def release_orphans(database: Database, market: MarketSpec, placed: Collection[int]) -> list[int]:
    """Give back every hold in `market`'s escrow whose order the journal never took; their order ids."""
    released = []
    for currency in (market.base, market.quote):
        released += release_unjournaled(
            database, escrow_account(market, currency), currency, f"spot:{market.id}:hold:", placed
        )
    return released


def release_unjournaled(
    database: Database, account_id: int, currency: str, prefix: str, journaled: Collection[int]
) -> list[int]:
    """Give back every transfer into `account_id` whose reference is `<prefix><id>` with an id the journal
    never took (money moved ahead of a command a crash then lost); those ids.

    Reads the account's whole history (once, at open, before the market serves); each release's reference
    (`<prefix>` with `orphan:` for the kind's last word, then the id) makes a second sweep harmless.
    """
    orphan_prefix = prefix.rstrip(":").rsplit(":", 1)[0] + ":orphan:"
    releases = []
    after: tuple[int, int] | None = None
    while page := account_transfers(database, account_id, after=after, limit=_PAGE):
        after = (page[-1].timestamp, page[-1].id)
        for transfer in page:
            if transfer.reference.startswith(prefix) and transfer.credit_account_id == account_id:
                item = int(transfer.reference.removeprefix(prefix))
                if item not in journaled:
                    releases.append(
                        (
                            item,
                            TransferSpec(
                                reference=f"{orphan_prefix}{item}",
                                debit_account_id=account_id,
                                credit_account_id=transfer.debit_account_id,
                                amount=transfer.amount,
                                currency=currency,
                            ),
                        )
                    )
    done = lookup_references(database, [(spec.currency, spec.reference) for _, spec in releases])
    releases = [(item, spec) for item, spec in releases if (spec.currency, spec.reference) not in done]
    for _, spec in releases:
        post(database, [spec])
    return [item for item, _ in releases]
