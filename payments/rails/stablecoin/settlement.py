"""What a confirmed `Paid` event does: record it once, and move the intent it names.

The watcher calls `settle` for each `Paid` event of a confirmed window, on the connection of the transaction
that also moves its cursor, so the payments, the intents' new states and their ledger transfers commit with
the cursor or not at all. A payment is recorded under (chain id, tx hash, log index): a window read again
(after a crash, or a reorg that rewound the cursor) finds it recorded and moves nothing.

Outcomes (`PaymentOutcome`), chosen so that a payment never succeeds an intent it does not pay in full:
- `succeeded`: the intent was processing (confirmed on this rail, in this chain's mode), the token is the
  rail's and the amount exactly the intent's: the intent succeeds (`complete_processing`), its ledger
  transfers post.
- `rejected`: the intent was waiting for this payment but the token or the amount is wrong (an underpayment,
  an overpayment): the intent fails with the reason as its `last_payment_error`
  (`stablecoin_wrong_token`, `stablecoin_wrong_amount`). The funds are in the treasury; the recorded
  payment (payer, token, amount) is what an operator refunds from.
- `unmatched`: the key names no intent, or one that is not a processing stablecoin intent of this chain's
  mode (paid before confirming, paid after a cancel): nothing moves; the funds wait for an operator, who
  finds the payment recorded with the reason.
"""

import enum
from typing import Final

from sqlalchemy import ColumnElement, Connection, insert, select

from chain.payment_router import RouterPayment
from payments.intents import intents
from payments.intents.context import Payments
from payments.intents.model import IntentStatus, RailKind
from payments.intents.rails import OutcomeKind, RailOutcome
from payments.intents.schema import payment_intents
from payments.merchants.tenant import Tenant
from payments.rails.stablecoin.config import StablecoinConfig
from payments.rails.stablecoin.instructions import NoIntentKey, intent_id_of
from payments.rails.stablecoin.schema import stablecoin_payments

WRONG_TOKEN: Final = "stablecoin_wrong_token"  # noqa: S105 (a decline code, not a secret)
WRONG_AMOUNT: Final = "stablecoin_wrong_amount"


class PaymentOutcome(enum.StrEnum):
    SUCCEEDED = "succeeded"
    REJECTED = "rejected"
    UNMATCHED = "unmatched"


def settle(
    payments: Payments, connection: Connection, config: StablecoinConfig, payment: RouterPayment, paid_at: int
) -> PaymentOutcome | None:
    """Record `payment` (paid at block time `paid_at`) and move its intent, on `connection`'s transaction,
    which the caller commits; None if the payment was recorded before (nothing done)."""
    key = (config.chain_id, payment.tx_hash, payment.log_index)
    if connection.execute(select(stablecoin_payments.c.outcome).where(_is(key))).first() is not None:
        return None
    outcome, reason, intent = _judge(connection, config, payment)
    if intent is not None and outcome is not PaymentOutcome.UNMATCHED:
        intent_id, tenant = intent
        report = (
            RailOutcome(OutcomeKind.SUCCEEDED)
            if outcome is PaymentOutcome.SUCCEEDED
            else RailOutcome(OutcomeKind.FAILED, decline_code=reason)
        )
        intents.complete_processing(payments.joining(lambda: connection), tenant, intent_id, report)
    connection.execute(
        insert(stablecoin_payments).values(
            chain_id=config.chain_id,
            tx_hash=payment.tx_hash,
            log_index=payment.log_index,
            block_number=payment.block_number,
            block_hash=payment.block_hash,
            paid_at=paid_at,
            intent_key="0x" + payment.intent_key.hex(),
            payment_intent_id=None if intent is None else intent[0],
            merchant_id=None if intent is None else intent[1].merchant_id,
            livemode=None if intent is None else intent[1].livemode,
            payer=payment.payer,
            token=payment.token,
            token_amount=str(payment.amount),
            outcome=outcome,
            reason=reason,
            recorded_at=payments.clock(),
        )
    )
    return outcome


def _is(key: tuple[int, str, int]) -> ColumnElement[bool]:
    chain_id, tx_hash, log_index = key
    table = stablecoin_payments.c
    return (table.chain_id == chain_id) & (table.tx_hash == tx_hash) & (table.log_index == log_index)


def _judge(
    connection: Connection, config: StablecoinConfig, payment: RouterPayment
) -> tuple[PaymentOutcome, str | None, tuple[str, Tenant] | None]:
    """The payment's outcome, why (None when it succeeds), and the intent it names (id and tenant) if any."""
    try:
        intent_id = intent_id_of(payment.intent_key)
    except NoIntentKey:
        return PaymentOutcome.UNMATCHED, "the key names no payment intent", None
    row = connection.execute(
        select(
            payment_intents.c.merchant_id,
            payment_intents.c.livemode,
            payment_intents.c.rail,
            payment_intents.c.status,
            payment_intents.c.amount,
        ).where(payment_intents.c.id == intent_id)
    ).one_or_none()
    if row is None:
        return PaymentOutcome.UNMATCHED, f"no payment intent {intent_id}", None
    intent = (intent_id, Tenant(row.merchant_id, bool(row.livemode)))
    if row.rail != RailKind.STABLECOIN or bool(row.livemode) != config.livemode:
        return (
            PaymentOutcome.UNMATCHED,
            f"{intent_id} is not a stablecoin intent of this chain's mode",
            intent,
        )
    if row.status != IntentStatus.PROCESSING:
        return PaymentOutcome.UNMATCHED, f"{intent_id} was {row.status}, not waiting for a payment", intent
    if payment.token != config.token:
        return PaymentOutcome.REJECTED, WRONG_TOKEN, intent
    if payment.amount != config.token_amount(int(row.amount)):
        return PaymentOutcome.REJECTED, WRONG_AMOUNT, intent
    return PaymentOutcome.SUCCEEDED, None, intent
