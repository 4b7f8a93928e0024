"""Disputes (chargebacks) of a succeeded payment, as the rail reports them: opened, then won or lost.

Opening one withholds the disputed amount from the merchant's available balance: a pending transfer
merchant -> clearing per share (shared like a refund). A lost dispute posts it (the funds are withdrawn for
good); a won one voids it (the funds are reinstated). So a merchant's posted balance is always what was
captured, less refunds, fees and lost disputes. A dispute id reported again names the same dispute.
"""

from dataclasses import replace

from ledger.store import begin_writing
from payments.intents import movements, store
from payments.intents.context import Payments, new_id
from payments.intents.errors import InvalidRequest, NotFound, UnexpectedState
from payments.intents.model import Action, Dispute, DisputeStatus
from payments.intents.postings import held, submit
from payments.intents.refunds import check_object_id, requested_amount
from payments.intents.schema import payment_disputes
from payments.merchants.tenant import Tenant

REASON_MAX_LENGTH = 64
CLOSE = "close_dispute"


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
    dispute_id = check_object_id(dispute_id, "dispute_id") if dispute_id is not None else new_id("dp")
    with payments.writing(tenant, intent_id, Action.OPEN_DISPUTE) as (connection, intent):
        existing = store.load_dispute(connection, tenant, dispute_id)
        if existing is not None:
            if existing.payment_intent_id != intent_id or amount not in (None, existing.amount):
                raise InvalidRequest(f"dispute {dispute_id} exists with other parameters", field="dispute_id")
            return existing
        value = requested_amount(amount, intent.refundable, "dispute")
        specs, shares = movements.open_dispute(intent, dispute_id, value)
        submit(connection, specs)
        now = payments.clock()
        dispute = Dispute(
            dispute_id,
            intent.id,
            tenant.merchant_id,
            tenant.livemode,
            value,
            reason,
            DisputeStatus.OPEN,
            now,
            None,
        )
        row = {name: getattr(dispute, name) for name in (column.name for column in payment_disputes.columns)}
        store.insert_row(connection, payment_disputes, row | {"status": str(dispute.status)})
        after = replace(intent, amount_disputed=intent.amount_disputed + value, shares=shares, updated_at=now)
        store.save(connection, intent, after)
    return dispute


def close_dispute(payments: Payments, tenant: Tenant, dispute_id: str, *, won: bool) -> Dispute:
    """Close an open dispute: won reinstates the withheld funds, lost withdraws them."""
    status = DisputeStatus.WON if won else DisputeStatus.LOST
    with payments.engine.begin() as connection:
        begin_writing(connection)
        dispute = store.load_dispute(connection, tenant, dispute_id, lock=True)
        if dispute is None:
            raise NotFound(f"no dispute {dispute_id}", field="dispute")
        if dispute.status is not DisputeStatus.OPEN:
            raise UnexpectedState(dispute.id, str(dispute.status), CLOSE)
        intent = store.load(connection, tenant, dispute.payment_intent_id, lock=True)
        parts = held(connection, intent, movements.dispute_step(dispute_id))
        specs, shares = movements.close_dispute(intent, dispute_id, parts, won=won)
        submit(connection, specs)
        now = payments.clock()
        disputed = intent.amount_disputed - (dispute.amount if won else 0)
        store.save(
            connection, intent, replace(intent, amount_disputed=disputed, shares=shares, updated_at=now)
        )
        store.set_status(connection, payment_disputes, tenant, dispute_id, status=status, closed_at=now)
    return replace(dispute, status=status, closed_at=now)


def retrieve_dispute(payments: Payments, tenant: Tenant, dispute_id: str) -> Dispute:
    return payments.fetch(store.load_dispute, tenant, dispute_id, "dispute")
