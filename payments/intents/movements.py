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
    currency, live = intent.currency, intent.livemode
    return [
        clearing_account(currency, live, intent.rail),
        fees_account(currency, live),
        *(merchant_account(currency, live, share.destination) for share in intent.shares),
    ]


def _merchant(intent: PaymentIntent, share: Share) -> AccountSpec:
    return merchant_account(intent.currency, intent.livemode, share.destination)


def _clearing(intent: PaymentIntent) -> AccountSpec:
    return clearing_account(intent.currency, intent.livemode, intent.rail)


def _fees(intent: PaymentIntent, captured: Sequence[int]) -> tuple[list[TransferSpec], list[int]]:
    """The fee on what was captured, shared like the capture, as transfers merchant -> fees."""
    schedule = FeeSchedule(intent.fee_bps, intent.fee_fixed)
    fees = allocate(schedule.fee(sum(captured)), captured)
    specs = [
        movement(
            intent.currency,
            reference(intent.id, "fee", share.index),
            _merchant(intent, share),
            fees_account(intent.currency, intent.livemode),
            fee,
            Code.FEE,
            pending=False,
        )
        for share, fee in zip(intent.shares, fees, strict=True)
        if fee
    ]
    return specs, fees


def authorize(intent: PaymentIntent) -> list[TransferSpec]:
    """Hold each share: a pending transfer clearing -> merchant."""
    return [
        movement(
            intent.currency,
            reference(intent.id, "authorize", share.index),
            _clearing(intent),
            _merchant(intent, share),
            share.amount,
            Code.PAYMENT,
            pending=True,
        )
        for share in intent.shares
    ]


def capture_at_once(intent: PaymentIntent) -> Step:
    """Automatic capture: each share posted clearing -> merchant, its fee linked."""
    specs = [
        movement(
            intent.currency,
            reference(intent.id, "capture", share.index),
            _clearing(intent),
            _merchant(intent, share),
            share.amount,
            Code.PAYMENT,
            pending=False,
        )
        for share in intent.shares
    ]
    captured = [share.amount for share in intent.shares]
    fee_specs, fees = _fees(intent, captured)
    return specs + fee_specs, _captured_shares(intent, captured, fees)


def capture_held(intent: PaymentIntent, amount: int) -> Step:
    """Manual capture of `amount`: each share's hold posted in part (the rest released), or voided at 0."""
    captured = allocate(amount, [share.amount for share in intent.shares])
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
    fee_specs, fees = _fees(intent, captured)
    return specs + fee_specs, _captured_shares(intent, captured, fees)


def _captured_shares(
    intent: PaymentIntent, captured: Sequence[int], fees: Sequence[int]
) -> tuple[Share, ...]:
    return tuple(
        replace(share, captured=part, fee=fee)
        for share, part, fee in zip(intent.shares, captured, fees, strict=True)
    )


def release(intent: PaymentIntent) -> list[TransferSpec]:
    """Cancel a held authorization: each share's hold voided."""
    return [
        resolution(
            intent.currency,
            reference(intent.id, "cancel", share.index),
            reference(intent.id, "authorize", share.index),
            None,
            post=False,
        )
        for share in intent.shares
    ]


def remaining(intent: PaymentIntent) -> list[int]:
    """What each share can still give back: captured, less refunds and what disputes hold or took."""
    return [share.captured - share.refunded - share.disputed for share in intent.shares]


def refund(intent: PaymentIntent, refund_id: str, amount: int) -> Step:
    """A refund of `amount`, shared by what each share can still give back: merchant -> clearing."""
    parts = allocate(amount, remaining(intent))
    specs = [
        movement(
            intent.currency,
            reference(intent.id, f"refund:{refund_id}", share.index),
            _merchant(intent, share),
            _clearing(intent),
            part,
            Code.REFUND,
            pending=False,
        )
        for share, part in zip(intent.shares, parts, strict=True)
        if part
    ]
    shares = tuple(
        replace(share, refunded=share.refunded + part)
        for share, part in zip(intent.shares, parts, strict=True)
    )
    return specs, shares


def dispute_step(dispute_id: str) -> str:
    return f"dispute:{dispute_id}"


def open_dispute(intent: PaymentIntent, dispute_id: str, amount: int) -> Step:
    """Withhold a disputed `amount`: a pending transfer merchant -> clearing per share."""
    parts = allocate(amount, remaining(intent))
    specs = [
        movement(
            intent.currency,
            reference(intent.id, dispute_step(dispute_id), share.index),
            _merchant(intent, share),
            _clearing(intent),
            part,
            Code.DISPUTE,
            pending=True,
        )
        for share, part in zip(intent.shares, parts, strict=True)
        if part
    ]
    shares = tuple(
        replace(share, disputed=share.disputed + part)
        for share, part in zip(intent.shares, parts, strict=True)
    )
    return specs, shares


def close_dispute(intent: PaymentIntent, dispute_id: str, held: Sequence[int], *, won: bool) -> Step:
    """A won dispute voids the holds (funds reinstated); a lost one posts them (funds withdrawn)."""
    outcome = "won" if won else "lost"
    step = dispute_step(dispute_id)
    specs = [
        resolution(
            intent.currency,
            reference(intent.id, f"{step}:{outcome}", share.index),
            reference(intent.id, step, share.index),
            None,
            post=not won,
        )
        for share, part in zip(intent.shares, held, strict=True)
        if part
    ]
    if not won:
        return specs, intent.shares
    shares = tuple(
        replace(share, disputed=share.disputed - part)
        for share, part in zip(intent.shares, held, strict=True)
    )
    return specs, shares
