"""The ledger behind `/v1/ledger/...`: accounts, transfers (linked, two-phase), and an account's entries.

The API adds no money rule of its own: it builds the ledger's specs from the request, calls `ledger`, and
turns a failed result into its problem (`api.ledger.errors`). Every write runs in one database transaction
on the request's session, and the response is stored with the request's Idempotency-Key in that same
transaction (`Progress.finish`): either the transfer and its stored answer commit together, or neither
does, so a retry with the key replays the answer or runs afresh, and never moves money twice. A refusal
writes nothing (the ledger evaluates a batch in memory first), so its key is released for a retry.

The ledger chooses account and transfer ids (time-ordered, `ledger.ids.new_id`). A transfer's idempotency
reference, when the client gives none, is derived from the caller's API key and its Idempotency-Key
(`api:<key id>:<digest>`, `...:<n>` for the n-th linked one), and a post's or void's is `post:<id>` or
`void:<id>`: so even past the Idempotency-Key's 24 hours a retry answers the transfer made the first time.
Database work runs in worker threads; each ends its transaction before it returns.
"""

import hashlib
from collections.abc import Callable, Sequence
from typing import Final, TypeVar

from anyio import to_thread
from pydantic import BaseModel
from sqlalchemy.orm import Session

from api.idempotency.progress import Progress
from api.ledger.errors import LedgerAccountNotFound, LedgerTransferNotFound, ledger_problem
from api.ledger.schemas import (
    AccountCreate,
    AccountOut,
    Entries,
    PendingPost,
    PendingResolve,
    TransferCreate,
    TransferCreated,
    TransferFields,
    TransferOut,
)
from api.ledger.views import account_view, entry_view, transfer_view
from api.pagination import Listing, key_part
from ledger.accounts import create_accounts, lookup_account
from ledger.ids import new_id
from ledger.journal import account_transfers, lookup_references, lookup_resolutions, lookup_transfers
from ledger.model import AccountFlags, AccountSpec, Transfer, TransferFlags, TransferSpec
from ledger.results import CreateAccountResult, CreateTransferResult
from ledger.rules import existing_difference
from ledger.transfers import create_transfers

ENTRIES: Final = Listing("ledger-entries", (int, int))
_T = TypeVar("_T")
_View = TypeVar("_View", bound=BaseModel)


async def _in_thread(session: Session, work: Callable[[Session], _T]) -> _T:
    """`work(session)` in a worker thread; whatever it left open is rolled back before the thread ends."""

    def run() -> _T:
        try:
            return work(session)
        finally:
            session.rollback()

    return await to_thread.run_sync(run)


def _answer(session: Session, progress: Progress, view: _View) -> _View:
    """Store `view` as the request's answer in the transaction that wrote it, and commit both."""
    progress.finish(lambda _: view)(None)
    session.commit()
    return view


# -- accounts -------------------------------------------------------------------------------------------


def _account(session: Session, account_id: int) -> AccountOut:
    account = lookup_account(session, account_id)
    if account is None:
        raise LedgerAccountNotFound(f"no ledger account {account_id}", code="account_not_found")
    return account_view(account)


async def read_account(session: Session, account_id: int) -> AccountOut:
    """The account with its totals and balances; 404 if there is none."""
    return await _in_thread(session, lambda s: _account(s, account_id))


async def create_account(session: Session, body: AccountCreate, progress: Progress) -> AccountOut:
    """A new account of the ledger's choosing id, zero totals."""
    flags = AccountFlags.NONE
    if body.debits_must_not_exceed_credits:
        flags |= AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
    if body.credits_must_not_exceed_debits:
        flags |= AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
    spec = AccountSpec(new_id(), body.currency, body.owner_kind, body.owner_id, body.code, flags)

    def work(session: Session) -> AccountOut:
        (outcome,) = create_accounts(session, [spec])
        if outcome.result is not CreateAccountResult.OK:
            raise ledger_problem(outcome.result)
        return _answer(session, progress, _account(session, spec.id))

    return await to_thread.run_sync(work, session)


# -- transfers ------------------------------------------------------------------------------------------


def _views(session: Session, ids: Sequence[int]) -> list[TransferOut]:
    """The transfers `ids`, in that order, each pending one with its resolution."""
    found = lookup_transfers(session, ids)
    resolutions = lookup_resolutions(session, ids)
    return [transfer_view(found[transfer_id], resolutions.get(transfer_id)) for transfer_id in ids]


def _transfer(session: Session, transfer_id: int) -> TransferOut:
    if not lookup_transfers(session, [transfer_id]):
        raise LedgerTransferNotFound(f"no ledger transfer {transfer_id}", code="transfer_not_found")
    (view,) = _views(session, [transfer_id])
    return view


async def read_transfer(session: Session, transfer_id: int) -> TransferOut:
    """The transfer; for a pending one, its status and what resolved it. 404 if there is none."""
    return await _in_thread(session, lambda s: _transfer(s, transfer_id))


def default_reference(progress: Progress) -> str:
    """`api:<API key id>:<digest of the Idempotency-Key>`: the caller's retries name the same transfer."""
    return f"api:{progress.principal}:{hashlib.sha256(progress.key.encode()).hexdigest()[:40]}"


SPEC_FIELDS: Final = (
    "debit_account_id",
    "credit_account_id",
    "amount",
    "currency",
    "code",
    "timeout_seconds",
)
"""What a request's transfer gives the ledger's `TransferSpec` as it stands."""


def _spec(fields: TransferFields, reference: str, linked: bool) -> TransferSpec:
    flags = TransferFlags.LINKED if linked else TransferFlags.NONE
    if fields.pending:
        flags |= TransferFlags.PENDING
    given = {name: getattr(fields, name) for name in SPEC_FIELDS}
    return TransferSpec(reference=fields.reference or reference, flags=flags, **given)


def _location(index: int) -> str:
    """Where event `index` of a request is: the body itself, or `linked.<i>.`."""
    return "" if index == 0 else f"linked.{index - 1}."


def _replayed(session: Session, specs: Sequence[TransferSpec]) -> list[int] | None:
    """The ids of a linked chain made before, when every one of `specs` is its transfer again (same
    reference, same fields); None when any is not."""
    stored = lookup_references(session, [(spec.currency, spec.reference) for spec in specs])
    found = [stored.get((spec.currency, spec.reference)) for spec in specs]
    if any(
        transfer is None or existing_difference(spec, transfer) is not CreateTransferResult.EXISTS
        for spec, transfer in zip(specs, found, strict=True)
    ):
        return None
    return [transfer.id for transfer in found if transfer is not None]


def _created_ids(specs: Sequence[TransferSpec], session: Session) -> list[int]:
    """Create `specs` (one batch, one linked chain); their ids, or the problem of the event that failed.
    The same transfer (or chain) again, by its references, is answered as it stands."""
    outcomes = create_transfers(session, specs)
    if len(outcomes) == 1 and outcomes[0].result is CreateTransferResult.EXISTS:
        assert outcomes[0].id is not None
        return [outcomes[0].id]
    if any(outcome.result is CreateTransferResult.EXISTS for outcome in outcomes):
        replayed = _replayed(session, specs)  # a chain fails at its first `exists`: is all of it there?
        if replayed is not None:
            return replayed
    for outcome in outcomes:
        if not outcome.ok and outcome.result is not CreateTransferResult.LINKED_EVENT_FAILED:
            raise ledger_problem(outcome.result, _location(outcome.index))
    return [outcome.id for outcome in outcomes if outcome.id is not None]


async def create_transfer(session: Session, body: TransferCreate, progress: Progress) -> TransferCreated:
    """The transfer and its linked ones, all or none."""
    base = default_reference(progress)
    events = [body, *body.linked]
    specs = [
        _spec(fields, base if index == 0 else f"{base}:{index}", index < len(events) - 1)
        for index, fields in enumerate(events)
    ]

    def work(session: Session) -> TransferCreated:
        first, *linked = _views(session, _created_ids(specs, session))
        return _answer(session, progress, TransferCreated(**dict(first), linked_transfers=linked))

    return await to_thread.run_sync(work, session)


async def resolve_pending(
    session: Session, pending_id: int, body: PendingResolve | None, post: bool, progress: Progress
) -> TransferOut:
    """Post (all of it, or `amount`) or void pending transfer `pending_id`: the resolving transfer."""
    verb = "post" if post else "void"
    amount = body.amount if isinstance(body, PendingPost) else None
    spec = TransferSpec(
        reference=(body.reference if body is not None else None) or f"{verb}:{pending_id}",
        amount=amount,
        flags=TransferFlags.POST_PENDING if post else TransferFlags.VOID_PENDING,
        pending_id=pending_id,
    )

    def work(session: Session) -> TransferOut:
        (view,) = _views(session, _created_ids([spec], session))
        return _answer(session, progress, view)

    return await to_thread.run_sync(work, session)


# -- entries --------------------------------------------------------------------------------------------


def _entries(session: Session, account_id: int, cursor: str | None, limit: int) -> Entries:
    filters = {"account_id": str(account_id)}
    after = ENTRIES.decode(cursor, filters)
    _account(session, account_id)
    position = None if after is None else (key_part(after, 0, int), key_part(after, 1, int))
    found: list[Transfer] = account_transfers(session, account_id, after=position, limit=limit + 1)
    resolutions = lookup_resolutions(session, [transfer.id for transfer in found])
    page = ENTRIES.page(
        [entry_view(account_id, transfer, resolutions.get(transfer.id)) for transfer in found],
        limit,
        lambda entry: (entry.timestamp, entry.id),
        cursor=cursor,
        filters=filters,
    )
    return Entries(account_id=account_id, **dict(page))


async def entries(session: Session, account_id: int, cursor: str | None, limit: int) -> Entries:
    """A page of the account's transfers, oldest first; 404 if the account does not exist."""
    return await _in_thread(session, lambda s: _entries(s, account_id, cursor, limit))
