"""Disputes (chargebacks) of a succeeded payment, as the rail reports them: opened, then won or lost.

Opening one withholds the disputed amount from the merchant's available balance (a hold, see
`payments.intents.holds`: pending transfers merchant -> clearing, shared like a refund). A lost dispute
posts it (the funds are withdrawn for good); a won one voids it (the funds are reinstated). So a merchant's
posted balance is always what was captured, less refunds, fees and lost disputes. A dispute id reported
again names the same dispute.
"""

from functools import partial
from typing import Final

from payments.intents import holds, store
from payments.intents.context import Payments, new_id
from payments.intents.errors import InvalidRequest
from payments.intents.model import Action, Dispute, DisputeStatus
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


def retrieve_dispute(payments: Payments, tenant: Tenant, dispute_id: str) -> Dispute:
    return payments.fetch(store.load_dispute, tenant, dispute_id, "dispute")
