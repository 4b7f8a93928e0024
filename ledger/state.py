"""A batch's working copy of the ledger: the rows it touches, changed in memory with an undo log.

The store loads (and locks) everything a batch can touch before any event is evaluated; events then change
this copy, and only the final state is written back: one INSERT for the new transfers, one UPDATE per
account, however many events touched it. A linked chain that fails is undone here, from the log, so the
database never sees it.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.model import Transfer, TransferFlags


@dataclass(slots=True)
class AccountState:
    """An account's identity, constraints and four totals, as the batch currently sees them."""

    id: int
    currency: str
    flags: int  # AccountFlags, as a plain int for speed
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int
    changed: bool = False
    loaded: tuple[int, int, int, int] = (0, 0, 0, 0)
    """The four totals as read: what the batch adds to them is what it writes (`increments`)."""

    @staticmethod
    def read(row: Sequence[Any]) -> "AccountState":
        """An account read as (id, currency, flags, debits_pending, debits_posted, credits_pending,
        credits_posted)."""
        totals = (row[3], row[4], row[5], row[6])
        return AccountState(row[0], row[1], int(row[2]), *totals, loaded=totals)

    def increments(self) -> tuple[int, int, int, int]:
        """What this batch added to each total since it was read."""
        debits_pending, debits_posted, credits_pending, credits_posted = self.loaded
        return (
            self.debits_pending - debits_pending,
            self.debits_posted - debits_posted,
            self.credits_pending - credits_pending,
            self.credits_posted - credits_posted,
        )


@dataclass(slots=True)
class BatchState:
    """Accounts by id, transfers by id and by (currency, reference), each pending's resolution, the new rows.

    `resolutions` maps a pending transfer's id to the flags of what resolved it (post, void or expiry).
    """

    accounts: dict[int, AccountState] = field(default_factory=dict)
    transfers: dict[int, Transfer] = field(default_factory=dict)
    references: dict[tuple[str, str], Transfer] = field(default_factory=dict)
    resolutions: dict[int, TransferFlags] = field(default_factory=dict)
    created: list[Transfer] = field(default_factory=list)
    _undo: list[Callable[[], None]] = field(default_factory=list)

    def remember(self, stored: Iterable[Transfer]) -> None:
        """Index transfers read from the database (no undo: they were there before the batch)."""
        for transfer in stored:
            self.transfers[transfer.id] = transfer
            self.references[(transfer.currency, transfer.reference)] = transfer
            if transfer.pending_id is not None:  # only a post, void or expiry names a pending transfer
                self.resolutions[transfer.pending_id] = transfer.flags

    def mark(self) -> int:
        """A point to roll back to: the start of a linked chain."""
        return len(self._undo)

    def rollback(self, mark: int) -> None:
        while len(self._undo) > mark:
            self._undo.pop()()

    def add_transfer(self, transfer: Transfer) -> None:
        key = (transfer.currency, transfer.reference)
        self.transfers[transfer.id] = transfer
        self.references[key] = transfer
        self.created.append(transfer)
        resolved = transfer.pending_id
        if resolved is not None:
            self.resolutions[resolved] = transfer.flags

        def undo() -> None:
            del self.transfers[transfer.id]
            del self.references[key]
            self.created.pop()
            if resolved is not None:
                del self.resolutions[resolved]

        self._undo.append(undo)

    def move(
        self,
        account: AccountState,
        *,
        debits_pending: int = 0,
        debits_posted: int = 0,
        credits_pending: int = 0,
        credits_posted: int = 0,
    ) -> None:
        """Add the (signed) deltas to `account`'s totals; the caller has checked every bound."""
        before = (
            account.debits_pending,
            account.debits_posted,
            account.credits_pending,
            account.credits_posted,
            account.changed,
        )
        account.debits_pending += debits_pending
        account.debits_posted += debits_posted
        account.credits_pending += credits_pending
        account.credits_posted += credits_posted
        account.changed = True

        def undo() -> None:
            (
                account.debits_pending,
                account.debits_posted,
                account.credits_pending,
                account.credits_posted,
                account.changed,
            ) = before

        self._undo.append(undo)
