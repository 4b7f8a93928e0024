"""The ledger side of every step: which accounts an intent's money moves between, and the transfers.

Accounts, per currency and mode (live money never meets sandbox money): the rail's clearing account
(owner `rail_clearing`, what the rail owes or is owed), each merchant's balance (owner `merchant`), the
platform's fees (owner `fees`). Their ids, and the ids of the transfers, are derived from their names by
SHA-256, so a step computes them again instead of storing them, and a retried step names the same
transfers: the ledger answers `exists` and nothing posts twice. A step's transfers form one linked chain,
all or none.

The movements: an authorization is a pending transfer clearing -> merchant per share; a capture posts it
(a partial post releases the rest, a share captured at 0 is voided); the fee is a transfer merchant -> fees
linked to the capture; a cancel voids; an automatic capture posts at once; a refund moves merchant ->
clearing; a dispute holds merchant -> clearing as a pending transfer, posted when lost, voided (the funds
reinstated) when won.
"""

import enum
import hashlib
from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from sqlalchemy import Connection

from ledger.accounts import create_accounts
from ledger.deferred import create_at_commit
from ledger.model import INT64_MAX, AccountSpec, OwnerKind, TransferFlags, TransferSpec
from ledger.results import CreateAccountResult, CreateTransferResult, TransferOutcome
from ledger.store import transfers_by_id
from payments.intents.errors import LedgerRefused
from payments.intents.model import PaymentIntent, RailKind

PLATFORM: Final = "platform"
_ACCOUNT_OK: Final = frozenset({CreateAccountResult.OK, CreateAccountResult.EXISTS})


class Code(enum.IntEnum):
    """The ledger's `code` of each kind of movement (what a statement line is)."""

    PAYMENT = 100
    FEE = 101
    REFUND = 102
    DISPUTE = 103


def _derived_id(name: str) -> int:
    """A positive int64 below INT64_MAX, the same for the same name."""
    value = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") & INT64_MAX
    return value if 0 < value < INT64_MAX else 1


def _mode(livemode: bool) -> str:
    return "live" if livemode else "test"


def clearing_account(currency: str, livemode: bool, rail: RailKind) -> AccountSpec:
    owner = f"{_mode(livemode)}:{rail}"
    return _account(currency, OwnerKind.RAIL_CLEARING, owner)


def merchant_owner(livemode: bool, merchant_id: str) -> str:
    """The owner id of a merchant's balance accounts (one per currency) in a mode."""
    return f"{_mode(livemode)}:{merchant_id}"


def merchant_account(currency: str, livemode: bool, merchant_id: str) -> AccountSpec:
    return _account(currency, OwnerKind.MERCHANT, merchant_owner(livemode, merchant_id))


def fees_account(currency: str, livemode: bool) -> AccountSpec:
    return _account(currency, OwnerKind.FEES, f"{_mode(livemode)}:{PLATFORM}")


def _account(currency: str, kind: OwnerKind, owner_id: str) -> AccountSpec:
    return AccountSpec(_derived_id(f"account:{currency}:{kind}:{owner_id}"), currency, kind, owner_id)


def open_accounts(connection: Connection, specs: Sequence[AccountSpec]) -> None:
    """Create the accounts a step needs, in the step's transaction (existing ones answer `exists`)."""
    unique = list({spec.id: spec for spec in specs}.values())
    for outcome in create_accounts(connection, unique):
        if outcome.result not in _ACCOUNT_OK:
            raise LedgerRefused(f"ledger account {outcome.id}: {outcome.result}")


def reference(intent_id: str, step: str, position: int) -> str:
    """The idempotency reference of one transfer of one step of one intent."""
    return f"pi:{intent_id}:{step}:{position}"


def parsed_reference(ref: str) -> tuple[str, str, int] | None:
    """The (intent id, step, position) `reference` made `ref` of, or None for a reference it did not make.

    Reports read the ledger alone and name each movement by what it belongs to (the intent, the refund, the
    dispute: `<kind>:<id>` steps), so the one format lives here with its writer. Intent ids and record ids
    hold no `:` (`context.new_id`, `refunds.OBJECT_ID`), so the step is everything between them.
    """
    parts = ref.split(":")
    if len(parts) < 4 or parts[0] != "pi" or not parts[-1].isdigit():
        return None
    return parts[1], ":".join(parts[2:-1]), int(parts[-1])


def transfer_id(currency: str, ref: str) -> int:
    return _derived_id(f"transfer:{currency}:{ref}")


def movement(
    currency: str,
    ref: str,
    debit: AccountSpec,
    credit: AccountSpec,
    amount: int,
    code: Code,
    *,
    pending: bool,
) -> TransferSpec:
    flags = TransferFlags.PENDING if pending else TransferFlags.NONE
    return TransferSpec(
        reference=ref,
        id=transfer_id(currency, ref),
        debit_account_id=debit.id,
        credit_account_id=credit.id,
        amount=amount,
        currency=currency,
        code=int(code),
        flags=flags,
    )


def resolution(currency: str, ref: str, pending_ref: str, amount: int | None, *, post: bool) -> TransferSpec:
    """Post `amount` of the pending transfer named `pending_ref` (None: all of it), or void it."""
    return TransferSpec(
        reference=ref,
        id=transfer_id(currency, ref),
        currency=currency,
        amount=amount,
        pending_id=transfer_id(currency, pending_ref),
        flags=TransferFlags.POST_PENDING if post else TransferFlags.VOID_PENDING,
    )


def held(connection: Connection, intent: PaymentIntent, step: str) -> list[int]:
    """What each share's pending transfer of `step` holds, 0 where the step made none."""
    ids = [transfer_id(intent.currency, reference(intent.id, step, share.index)) for share in intent.shares]
    found = {transfer.id: transfer.amount for transfer in transfers_by_id(connection, ids)}
    return [found.get(transfer, 0) for transfer in ids]


def submit(connection: Connection, specs: Sequence[TransferSpec]) -> None:
    """Create `specs` as one linked chain in the caller's transaction, as it commits; a replayed chain is
    accepted.

    The chain is created by the transaction's last statements (`ledger.deferred`): the accounts every
    payment of a merchant shares are locked from there to the COMMIT only, not while the step writes the
    intent, its event and the API's answer. A chain commits whole or not at all, so when its first transfer
    already exists the whole chain does (the step ran before): the ledger then answers `exists` for it and
    `linked_event_failed` for the rest, and nothing is written. Any other refusal is a bug, raised so the
    step's transaction is not committed.
    """
    if not specs:
        return
    chain = [replace(spec, flags=spec.flags | TransferFlags.LINKED) for spec in specs[:-1]] + [specs[-1]]
    create_at_commit(connection, chain, _accept_chain)


def _accept_chain(chain: Sequence[TransferSpec], outcomes: Sequence[TransferOutcome]) -> None:
    results = [outcome.result for outcome in outcomes]
    if all(result is CreateTransferResult.OK for result in results):
        return
    replayed = results[0] is CreateTransferResult.EXISTS and all(
        result is CreateTransferResult.LINKED_EVENT_FAILED for result in results[1:]
    )
    if not replayed:
        failed = next(
            outcome for outcome in outcomes if outcome.result is not CreateTransferResult.LINKED_EVENT_FAILED
        )
        raise LedgerRefused(f"ledger transfer {chain[failed.index].reference}: {failed.result}")
