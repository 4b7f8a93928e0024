"""Disputes (chargebacks) of a succeeded payment, as the rail reports them: opened, then won or lost.

Opening one withholds the disputed amount from the merchant's available balance (a hold, see
`payments.intents.holds`: pending transfers merchant -> clearing, shared like a refund). A lost dispute
posts it (the funds are withdrawn for good); a won one voids it (the funds are reinstated). So a merchant's
posted balance is always what was captured, less refunds, fees and lost disputes. A dispute id reported
again names the same dispute. While it is open, the merchant answers it with evidence (text fields, kept
for whoever decides it).
"""

from collections.abc import Mapping
from dataclasses import replace
from functools import partial
from typing import Final

from payments.intents import holds, rendering, store
from payments.intents.context import Payments, new_id
from payments.intents.errors import InvalidRequest
from payments.intents.events import announce
from payments.intents.model import EVIDENCE_FIELDS, EVIDENCE_MAX_LENGTH, Action, Dispute, DisputeStatus
from payments.intents.postings import Code
from payments.intents.refunds import check_object_id
from payments.intents.schema import payment_disputes
from payments.merchants.tenant import Tenant

REASON_MAX_LENGTH = 64

DISPUTES: Final = holds.HoldKind[Dispute](
    what="dispute",
    action=Action.OPEN_DISPUTE,
    field="disputed",
    code=Code.DISPUTE,
    table=payment_disputes,
    load=store.load_dispute,
    open_status=DisputeStatus.OPEN,
    opened="charge.dispute.created",
    ended="charge.dispute.closed",
    render=rendering.dispute,
)


def open_dispute(
    payments: Payments,
    tenant: Tenant,
    intent_id: str,
    amount: int | None = None,
    reason: str = "general",
    dispute_id: str | None = None,
) -> Dispute:
    """Record a dispute of `amount` (default: all still refundable) and withhold it."""
    if not 0 < len(reason) <= REASON_MAX_LENGTH:
        raise InvalidRequest(f"a reason is 1..{REASON_MAX_LENGTH} characters", field="reason")
    chosen = check_object_id(dispute_id, "dispute_id") if dispute_id is not None else new_id("dp")

    opened = partial(Dispute, reason=reason, status=DisputeStatus.OPEN, closed_at=None)
    return holds.take(payments, tenant, DISPUTES, intent_id, chosen, amount, opened)


def close_dispute(payments: Payments, tenant: Tenant, dispute_id: str, *, won: bool) -> Dispute:
    """Close an open dispute: won reinstates the withheld funds, lost withdraws them."""
    status = DisputeStatus.WON if won else DisputeStatus.LOST
    return holds.release(payments, tenant, DISPUTES, dispute_id, post=not won, status=status, closed_at=None)


def submit_evidence(
    payments: Payments, tenant: Tenant, dispute_id: str, evidence: Mapping[str, str]
) -> Dispute:
    """Add `evidence` (text by `EVIDENCE_FIELDS` name) to an open dispute's, a field given again replacing
    its earlier text; refused (`UnexpectedState`) once the dispute is closed, as Stripe does."""
    unknown = sorted(set(evidence) - set(EVIDENCE_FIELDS))
    if unknown:
        raise InvalidRequest(f"{unknown[0]} is no evidence field", field=f"evidence.{unknown[0]}")
    with payments.transaction() as connection:
        dispute = holds.open_record(connection, tenant, DISPUTES, dispute_id)
        merged = {**dispute.evidence, **evidence}
        if sum(map(len, merged.values())) > EVIDENCE_MAX_LENGTH:
            raise InvalidRequest(
                f"a dispute's evidence is at most {EVIDENCE_MAX_LENGTH} characters in all", field="evidence"
            )
        store.set_evidence(connection, tenant, dispute_id, merged)
        answered = replace(dispute, evidence=merged)
        announce(connection, tenant, "charge.dispute.updated", rendering.dispute(answered), payments.clock())
    return answered


def retrieve_dispute(payments: Payments, tenant: Tenant, dispute_id: str) -> Dispute:
    return payments.fetch(store.load_dispute, tenant, dispute_id, "dispute")
