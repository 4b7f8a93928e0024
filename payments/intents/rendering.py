"""The payment objects as their JSON: what the API answers for an intent, a refund or a dispute, and what an
event about one carries as `data.object`.

Rendered here, once, as plain dicts (this package knows no HTTP): the API's response models validate these
very dicts (`api.payment_intents.schemas`), so a webhook never tells a merchant something else than the API
would. Stripe's shapes: amounts are decimal strings of minor units, times unix seconds, the object's kind in
`object`.
"""

import json
from typing import Any

from ledger.ids import NS_PER_SECOND
from payments.intents.model import Dispute, PaymentIntent, Refund, Share

JsonObject = dict[str, Any]


def _seconds(ns: int | None) -> int | None:
    return None if ns is None else ns // NS_PER_SECOND


def _share(share: Share) -> JsonObject:
    amounts = ("amount", "captured", "fee", "refunded", "disputed")
    return {"destination": share.destination} | {name: str(getattr(share, name)) for name in amounts}


def _next_action(intent: PaymentIntent) -> JsonObject | None:
    """The risk engine's hold (a factor to verify, a review) or the rail's challenge, or None."""
    if intent.risk_action is not None:
        action: JsonObject = json.loads(intent.risk_action)
        return action
    url = intent.next_action_url
    return None if url is None else {"type": "redirect_to_url", "redirect_to_url": {"url": url}}


def payment_intent(intent: PaymentIntent) -> JsonObject:
    amounts = ("amount", "amount_capturable", "amount_received", "amount_refunded", "amount_disputed")
    reason = intent.cancellation_reason
    return {
        "id": intent.id,
        "object": "payment_intent",
        "livemode": intent.livemode,
        "status": str(intent.status),
        "currency": intent.currency,
        "capture_method": str(intent.capture_method),
        "rail": str(intent.rail),
        "payment_method": intent.payment_method,
        **{name: str(getattr(intent, name)) for name in amounts},
        "application_fee_amount": str(intent.amount_fee),
        "next_action": _next_action(intent),
        "last_payment_error": intent.last_payment_error,
        "cancellation_reason": None if reason is None else str(reason),
        "created": _seconds(intent.created_at),
        "shares": [_share(share) for share in intent.shares],
        "customer": intent.customer,
        "risk_decision": intent.risk_decision,
        "sca_exemption": intent.sca_exemption,
    }


def refund(record: Refund) -> JsonObject:
    return {
        "id": record.id,
        "object": "refund",
        "payment_intent": record.payment_intent_id,
        "livemode": record.livemode,
        "amount": str(record.amount),
        "reason": None if record.reason is None else str(record.reason),
        "status": str(record.status),
        "created": _seconds(record.created_at),
    }


def dispute(record: Dispute) -> JsonObject:
    return {
        "id": record.id,
        "object": "dispute",
        "payment_intent": record.payment_intent_id,
        "livemode": record.livemode,
        "amount": str(record.amount),
        "reason": record.reason,
        "status": str(record.status),
        "evidence": dict(record.evidence),
        "created": _seconds(record.created_at),
        "closed": _seconds(record.closed_at),
    }
