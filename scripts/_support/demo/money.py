"""Flow 4, the money core, in order: the merchant's webhook server starts, the merchant is onboarded, its
customers pay on each rail, part of a payment is refunded, money is converted (FX), and at the end every
event the merchant's server received must have verified, and the day must reconcile with no break."""

import datetime

from scripts._support.demo.merchants import check_webhooks, fx_flow, onboard
from scripts._support.demo.payments import (
    bank_flow,
    card_flow,
    reconciliation_flow,
    refund_flow,
    stablecoin_flow,
)
from scripts._support.demo.receiver import running_receiver
from scripts._support.demo.report import Summary
from scripts._support.demo.risk import risk_flow
from scripts._support.stack.config import Progress
from scripts._support.stack.devnet import DevnetStack

EXPECTED_EVENTS = frozenset(
    {
        "payment_intent.created",
        "payment_intent.requires_action",
        "payment_intent.processing",
        "payment_intent.succeeded",
        "refund.created",
        "refund.updated",
    }
)
"""What the payments below announce to the merchant (docs/webhooks.md): each must arrive, signed."""


def money_flow(stack: DevnetStack, progress: Progress, summary: Summary) -> None:
    Progress.heading("flow 4: the money core: a merchant onboarded and paid by card, bank and tUSD")
    first_day = datetime.datetime.now(datetime.UTC).date()
    with running_receiver() as receiver:
        merchant = onboard(stack, progress, summary, receiver)
        card_payment = card_flow(stack, progress, summary, merchant)
        bank_flow(stack, progress, summary, merchant)
        stablecoin_flow(stack, progress, summary, merchant)
        refund_flow(progress, summary, merchant, card_payment)
        fx_flow(stack, progress, summary)
        risk_flow(stack, progress, summary, merchant)
        check_webhooks(progress, summary, receiver, set(EXPECTED_EVENTS))
    reconciliation_flow(stack, progress, summary, {first_day, datetime.datetime.now(datetime.UTC).date()})
