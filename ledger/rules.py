"""One transfer event against the batch's state: TigerBeetle's checks, in its order, then the effect.

The order matters because the first failing check is the answer: flags and id first, then whether the
transfer already exists (so a retry answers `exists` even if the world has moved on since), then the shape
of the event, then the accounts and the pending transfer it names, and last the balance bounds. Every
check reads only the in-memory state, so a batch of a thousand events costs no round trip per event.
"""

from dataclasses import replace

from ledger.ids import NS_PER_SECOND
from ledger.model import (
    CLIENT_TRANSFER_FLAGS,
    DEFAULT_CODE,
    INT64_MAX,
    REFERENCE_MAX_LENGTH,
    AccountFlags,
    Transfer,
    TransferFlags,
    TransferSpec,
    is_valid_currency,
)
from ledger.results import CreateTransferResult as R
from ledger.state import AccountState, BatchState

# Flags as plain ints: `&` on enum members builds a new member each time, a cost on the batch's hot path.
_PENDING = int(TransferFlags.PENDING)
_POST = int(TransferFlags.POST_PENDING)
_EXPIRE = int(TransferFlags.EXPIRE_PENDING)
TWO_PHASE = int(TransferFlags.PENDING | TransferFlags.POST_PENDING | TransferFlags.VOID_PENDING)
RESOLVING = int(TransferFlags.POST_PENDING | TransferFlags.VOID_PENDING | TransferFlags.EXPIRE_PENDING)
_DEBITS_LIMITED = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
_CREDITS_LIMITED = int(AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS)
_ALREADY = {
    TransferFlags.POST_PENDING: R.PENDING_TRANSFER_ALREADY_POSTED,
    TransferFlags.VOID_PENDING: R.PENDING_TRANSFER_ALREADY_VOIDED,
    TransferFlags.EXPIRE_PENDING: R.PENDING_TRANSFER_EXPIRED,
}


def _amount_problem(amount: int | None) -> R | None:
    if amount is None or amount == 0:
        return R.AMOUNT_MUST_NOT_BE_ZERO
    if amount < 0:
        return R.AMOUNT_MUST_NOT_BE_NEGATIVE
    if amount > INT64_MAX:
        return R.AMOUNT_EXCEEDS_MAXIMUM
    return None


def existing_difference(spec: TransferSpec, stored: Transfer) -> R:
    """`exists` when `spec` is the stored transfer again, else the first field that differs.

    For a post or void, the fields the spec may leave empty (accounts, currency, code, amount) are compared
    only when it gives them: the retry of a "post the whole amount" says no more than the first try did.
    """
    resolving = bool(int(spec.flags) & RESOLVING)
    if spec.flags != stored.flags:
        return R.EXISTS_WITH_DIFFERENT_FLAGS
    if (spec.pending_id or None) != stored.pending_id:
        return R.EXISTS_WITH_DIFFERENT_PENDING_ID
    if spec.timeout_seconds != stored.timeout_seconds:
        return R.EXISTS_WITH_DIFFERENT_TIMEOUT
    if (spec.debit_account_id or not resolving) and spec.debit_account_id != stored.debit_account_id:
        return R.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID
    if (spec.credit_account_id or not resolving) and spec.credit_account_id != stored.credit_account_id:
        return R.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID
    if (spec.amount is not None or not resolving) and spec.amount != stored.amount:
        return R.EXISTS_WITH_DIFFERENT_AMOUNT
    if (spec.currency or not resolving) and spec.currency != stored.currency:
        return R.EXISTS_WITH_DIFFERENT_LEDGER
    # A post or void with no code (None or 0) takes the pending transfer's: nothing to compare.
    code = (spec.code or None) if resolving else (DEFAULT_CODE if spec.code is None else spec.code)
    if code is not None and code != stored.code:
        return R.EXISTS_WITH_DIFFERENT_CODE
    if spec.reference != stored.reference:
        return R.EXISTS_WITH_DIFFERENT_REFERENCE
    return R.EXISTS


def _existing(spec: TransferSpec, state: BatchState) -> tuple[R, int] | None:
    """The answer for a transfer that is already there (by id, else by reference), or None."""
    if spec.id is not None and (stored := state.transfers.get(spec.id)) is not None:
        return existing_difference(spec, stored), stored.id
    currency = spec.currency
    if not currency and spec.pending_id and (pending := state.transfers.get(spec.pending_id)) is not None:
        currency = pending.currency
    if (stored := state.references.get((currency, spec.reference))) is None:
        return None
    if spec.id is not None:
        return R.EXISTS_WITH_DIFFERENT_ID, stored.id
    return existing_difference(spec, stored), stored.id


def apply_event(
    spec: TransferSpec, state: BatchState, transfer_id: int, timestamp: int, *, expiring: bool = False
) -> tuple[R, int | None]:
    """Check `spec` and, when it passes, apply it to `state` as transfer `transfer_id` at `timestamp` (ns).

    Returns the result and the transfer's id (the stored one for `exists*`, None for a malformed event).
    `expiring` is `expire_pending`'s batch, the only one allowed the `EXPIRE_PENDING` flag.
    """
    allowed = TransferFlags.EXPIRE_PENDING if expiring else CLIENT_TRANSFER_FLAGS
    if int(spec.flags) & ~int(allowed):  # in ints: ~ on a flag enum keeps only its bit width
        return R.RESERVED_FLAG, None
    if spec.id is not None and spec.id <= 0:
        return R.ID_MUST_NOT_BE_ZERO, None
    if spec.id is not None and spec.id >= INT64_MAX:
        return R.ID_MUST_NOT_BE_INT_MAX, None
    if not spec.reference:
        return R.REFERENCE_MUST_NOT_BE_EMPTY, None
    if len(spec.reference) > REFERENCE_MAX_LENGTH:
        return R.REFERENCE_TOO_LONG, None
    if (found := _existing(spec, state)) is not None:
        return found
    if bin(int(spec.flags) & TWO_PHASE).count("1") > 1:
        return R.FLAGS_ARE_MUTUALLY_EXCLUSIVE, None
    if int(spec.flags) & RESOLVING:
        result = _resolve(spec, state, transfer_id, timestamp)
    else:
        result = _move(spec, state, transfer_id, timestamp)
    return result, transfer_id if result is R.OK else None


def _move(spec: TransferSpec, state: BatchState, transfer_id: int, timestamp: int) -> R:
    """A single-phase transfer, or the first phase of a two-phase one."""
    pending = bool(int(spec.flags) & _PENDING)
    if spec.pending_id:
        return R.PENDING_ID_MUST_BE_ZERO
    if spec.debit_account_id <= 0:
        return R.DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO
    if spec.credit_account_id <= 0:
        return R.CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO
    if spec.debit_account_id == spec.credit_account_id:
        return R.ACCOUNTS_MUST_BE_DIFFERENT
    if spec.timeout_seconds and not pending:
        return R.TIMEOUT_RESERVED_FOR_PENDING_TRANSFER
    if (problem := _amount_problem(spec.amount)) is not None:
        return problem
    assert spec.amount is not None
    amount = spec.amount
    if not is_valid_currency(spec.currency):
        return R.LEDGER_MUST_BE_A_CURRENCY
    code = DEFAULT_CODE if spec.code is None else spec.code
    if code == 0:
        return R.CODE_MUST_NOT_BE_ZERO
    debit = state.accounts.get(spec.debit_account_id)
    if debit is None:
        return R.DEBIT_ACCOUNT_NOT_FOUND
    credit = state.accounts.get(spec.credit_account_id)
    if credit is None:
        return R.CREDIT_ACCOUNT_NOT_FOUND
    if debit.currency != credit.currency:
        return R.ACCOUNTS_MUST_HAVE_THE_SAME_LEDGER
    if spec.currency != debit.currency:
        return R.TRANSFER_MUST_HAVE_THE_SAME_LEDGER_AS_ACCOUNTS
    if (problem := _bounds(debit, credit, amount, pending)) is not None:
        return problem
    expires_at = None
    if pending and spec.timeout_seconds:
        expires_at = timestamp + spec.timeout_seconds * NS_PER_SECOND
        if expires_at > INT64_MAX:
            return R.OVERFLOWS_TIMEOUT
    if pending:
        state.move(debit, debits_pending=amount)
        state.move(credit, credits_pending=amount)
    else:
        state.move(debit, debits_posted=amount)
        state.move(credit, credits_posted=amount)
    state.add_transfer(
        Transfer(
            id=transfer_id,
            currency=spec.currency,
            reference=spec.reference,
            debit_account_id=debit.id,
            credit_account_id=credit.id,
            amount=amount,
            pending_id=None,
            flags=spec.flags,
            code=code,
            timeout_seconds=spec.timeout_seconds,
            timestamp=timestamp,
            expires_at=expires_at,
        )
    )
    return R.OK


def _bounds(debit: AccountState, credit: AccountState, amount: int, pending: bool) -> R | None:
    """Overflow of any total (they are int64 columns), then the accounts' own balance constraints."""
    if pending and debit.debits_pending + amount > INT64_MAX:
        return R.OVERFLOWS_DEBITS_PENDING
    if pending and credit.credits_pending + amount > INT64_MAX:
        return R.OVERFLOWS_CREDITS_PENDING
    if not pending and debit.debits_posted + amount > INT64_MAX:
        return R.OVERFLOWS_DEBITS_POSTED
    if not pending and credit.credits_posted + amount > INT64_MAX:
        return R.OVERFLOWS_CREDITS_POSTED
    if debit.debits_pending + debit.debits_posted + amount > INT64_MAX:
        return R.OVERFLOWS_DEBITS
    if credit.credits_pending + credit.credits_posted + amount > INT64_MAX:
        return R.OVERFLOWS_CREDITS
    if (
        debit.flags & _DEBITS_LIMITED
        and debit.debits_pending + debit.debits_posted + amount > debit.credits_posted
    ):
        return R.EXCEEDS_CREDITS
    if (
        credit.flags & _CREDITS_LIMITED
        and credit.credits_pending + credit.credits_posted + amount > credit.debits_posted
    ):
        return R.EXCEEDS_DEBITS
    return None


def _resolve(spec: TransferSpec, state: BatchState, transfer_id: int, timestamp: int) -> R:
    """The second phase: post (all or part of) a pending transfer, void it, or expire it."""
    post = bool(int(spec.flags) & _POST)
    if not spec.pending_id:
        return R.PENDING_ID_MUST_NOT_BE_ZERO
    if spec.pending_id == transfer_id:
        return R.PENDING_ID_MUST_BE_DIFFERENT
    if spec.timeout_seconds:
        return R.TIMEOUT_RESERVED_FOR_PENDING_TRANSFER
    if spec.amount is not None and (problem := _amount_problem(spec.amount)) is not None:
        return problem
    if spec.currency and not is_valid_currency(spec.currency):
        return R.LEDGER_MUST_BE_A_CURRENCY
    pending = state.transfers.get(spec.pending_id)
    if pending is None:
        return R.PENDING_TRANSFER_NOT_FOUND
    if not int(pending.flags) & _PENDING:
        return R.PENDING_TRANSFER_NOT_PENDING
    if spec.debit_account_id and spec.debit_account_id != pending.debit_account_id:
        return R.PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID
    if spec.credit_account_id and spec.credit_account_id != pending.credit_account_id:
        return R.PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID
    if spec.currency and spec.currency != pending.currency:
        return R.PENDING_TRANSFER_HAS_DIFFERENT_LEDGER
    if spec.code and spec.code != pending.code:
        return R.PENDING_TRANSFER_HAS_DIFFERENT_CODE
    amount = pending.amount if spec.amount is None else spec.amount
    if post and amount > pending.amount:
        return R.EXCEEDS_PENDING_TRANSFER_AMOUNT
    if not post and amount != pending.amount:
        return R.PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT
    if (resolution := state.resolutions.get(pending.id)) is not None:
        return _ALREADY[TransferFlags(int(resolution) & RESOLVING)]
    expired = pending.expires_at is not None and timestamp >= pending.expires_at
    if expired != bool(int(spec.flags) & _EXPIRE):
        # A post or void comes too late; an expiry (only `expire_pending` asks) would come too early.
        return R.PENDING_TRANSFER_EXPIRED if expired else R.PENDING_TRANSFER_NOT_PENDING
    debit = state.accounts[pending.debit_account_id]
    credit = state.accounts[pending.credit_account_id]
    posted = amount if post else 0
    if debit.debits_posted + posted > INT64_MAX:
        return R.OVERFLOWS_DEBITS_POSTED
    if credit.credits_posted + posted > INT64_MAX:
        return R.OVERFLOWS_CREDITS_POSTED
    state.move(debit, debits_pending=-pending.amount, debits_posted=posted)
    state.move(credit, credits_pending=-pending.amount, credits_posted=posted)
    # The resolution names the pending transfer's accounts, currency and code, whatever the spec left empty.
    record = replace(
        pending,
        id=transfer_id,
        reference=spec.reference,
        amount=amount,
        pending_id=pending.id,
        flags=spec.flags,
        timeout_seconds=0,
        timestamp=timestamp,
        expires_at=None,
    )
    state.add_transfer(record)
    return R.OK
