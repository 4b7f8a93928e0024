"""Each money step as the ledger transfers it makes and the shares it leaves: pure, no I/O.

A function takes the intent as it is and returns the transfers (for `postings.submit`, one linked chain)
and the shares after the step. Every transfer's reference is (intent id, step, share position), so the
same step on the same intent always yields the same transfers.
"""

from collections.abc import Sequence
from dataclasses import replace

from ledger.model import AccountSpec, TransferSpec
from payments.intents.model import FeeSchedule, PaymentIntent, Share
from payments.intents.postings import (
    Code,
    clearing_account,
    fees_account,
    merchant_account,
    movement,
    reference,
    resolution,
)
from payments.intents.split import allocate

Step = tuple[list[TransferSpec], tuple[Share, ...]]


def accounts_of(intent: PaymentIntent) -> list[AccountSpec]:
    """Every account the intent's money can touch: its rail's clearing, its merchants', the fees."""
    return [_clearing(intent), _fees(intent), *(_merchant(intent, share) for share in intent.shares)]


def _merchant(intent: PaymentIntent, share: Share) -> AccountSpec:
    return merchant_account(intent.currency, intent.livemode, share.destination)


def _clearing(intent: PaymentIntent) -> AccountSpec:
    return clearing_account(intent.currency, intent.livemode, intent.rail)


def _fees(intent: PaymentIntent) -> AccountSpec:
    return fees_account(intent.currency, intent.livemode)


def _moves(
    intent: PaymentIntent,
    step: str,
    parts: Sequence[int],
    code: Code,
    other: AccountSpec,
    *,
    to_merchants: bool,
    pending: bool = False,
) -> list[TransferSpec]:
    """Each share's part moved `other` -> its merchant (`to_merchants`) or back; none for a part of 0."""
    specs = []
    for share, part in zip(intent.shares, parts, strict=True):
        if part:
            merchant = _merchant(intent, share)
            debit, credit = (other, merchant) if to_merchants else (merchant, other)
            ref = reference(intent.id, step, share.index)
            specs.append(movement(intent.currency, ref, debit, credit, part, code, pending=pending))
    return specs


def _with_fees(intent: PaymentIntent, specs: list[TransferSpec], captured: Sequence[int]) -> Step:
    """`specs` (a capture) with the fee on what they capture, shared like it: merchant -> fees."""
    schedule = FeeSchedule(intent.fee_bps, intent.fee_fixed)
    fees = allocate(schedule.fee(sum(captured)), captured)
    fee_specs = _moves(intent, "fee", fees, Code.FEE, _fees(intent), to_merchants=False)
    triples = zip(intent.shares, captured, fees, strict=True)
    return specs + fee_specs, tuple(replace(share, captured=part, fee=fee) for share, part, fee in triples)


def _amounts(intent: PaymentIntent) -> list[int]:
    return [share.amount for share in intent.shares]


def authorize(intent: PaymentIntent) -> list[TransferSpec]:
    """Hold each share: a pending transfer clearing -> merchant."""
    clearing = _clearing(intent)
    return _moves(
        intent, "authorize", _amounts(intent), Code.PAYMENT, clearing, to_merchants=True, pending=True
    )


def capture_at_once(intent: PaymentIntent) -> Step:
    """Automatic capture: each share posted clearing -> merchant, its fee linked."""
    specs = _moves(intent, "capture", _amounts(intent), Code.PAYMENT, _clearing(intent), to_merchants=True)
    return _with_fees(intent, specs, _amounts(intent))


def capture_held(intent: PaymentIntent, amount: int) -> Step:
    """Manual capture of `amount`: each share's hold posted in part (the rest released), or voided at 0."""
    captured = allocate(amount, _amounts(intent))
    specs = [
        resolution(
            intent.currency,
            reference(intent.id, "capture" if part else "release", share.index),
            reference(intent.id, "authorize", share.index),
            part or None,
            post=bool(part),
        )
        for share, part in zip(intent.shares, captured, strict=True)
    ]
    return _with_fees(intent, specs, captured)


def release(intent: PaymentIntent) -> list[TransferSpec]:
    """Cancel a held authorization: each share's hold voided."""
    authorize_refs = [reference(intent.id, "authorize", share.index) for share in intent.shares]
    return [
        resolution(intent.currency, reference(intent.id, "cancel", share.index), ref, None, post=False)
        for share, ref in zip(intent.shares, authorize_refs, strict=True)
    ]


def remaining(intent: PaymentIntent) -> list[int]:
    """What each share can still give back: captured, less refunds and what disputes hold or took."""
    return [share.captured - share.refunded - share.disputed for share in intent.shares]


def hold(intent: PaymentIntent, step: str, amount: int, code: Code, field: str) -> Step:
    """Hold `amount` back from the merchants (a refund under way, a dispute): a pending transfer
    merchant -> clearing per share, shared by what each can still give back; the shares' `field`
    (refunded or disputed) counts it."""
    parts = allocate(amount, remaining(intent))
    specs = _moves(intent, step, parts, code, _clearing(intent), to_merchants=False, pending=True)
    return specs, _adjusted(intent, field, parts, 1)


def release_hold(intent: PaymentIntent, step: str, held: Sequence[int], field: str, *, post: bool) -> Step:
    """Post the holds of `step` (the money leaves: refund done, dispute lost) or void them (it stays:
    refund refused, dispute won, and `field` no longer counts it)."""
    return _settle(intent, step, held, post=post), intent.shares if post else _adjusted(
        intent, field, held, -1
    )


def _settle(intent: PaymentIntent, step: str, held: Sequence[int], *, post: bool) -> list[TransferSpec]:
    """Post or void the holds `step` made (`held`: each share's, 0 where it made none)."""
    closing = f"{step}:{'post' if post else 'void'}"
    return [
        resolution(
            intent.currency,
            reference(intent.id, closing, share.index),
            reference(intent.id, step, share.index),
            None,
            post=post,
        )
        for share, part in zip(intent.shares, held, strict=True)
        if part
    ]


def _adjusted(intent: PaymentIntent, field: str, parts: Sequence[int], sign: int) -> tuple[Share, ...]:
    """The shares with `field` (refunded or disputed) moved by `sign` x each part."""
    pairs = zip(intent.shares, parts, strict=True)
    return tuple(replace(share, **{field: getattr(share, field) + sign * part}) for share, part in pairs)
