"""Disputes behind the routes: the operators record what the card networks decide, the merchants read
their own disputes and answer them with evidence.

An operator's key (`disputes:write`) acts on every merchant's intents: the dispute's tenant is its intent's
(`store.intent_owner`), never the key's. Its dispute id is derived from the request's Idempotency-Key, so
a retry after the dispute's hold committed (it commits before the answer does) names the same dispute and
withholds nothing more. A merchant's key (`payments:read`, `payments:write`) reaches its own tenant's
disputes only: another's answer 404, as one that does not exist. An operator's key with `disputes:read`
reads them all; without it, its own sandbox book's (`api.payment_intents.service.tenant_of`).
"""

from functools import partial

from api.auth import ApiClient
from api.disputes.schemas import DisputeClose, DisputeCreate, DisputeEvidence, DisputeOut, DisputePage
from api.errors import NotFound
from api.pagination import Listing, Page, key_part
from api.payment_intents.service import PaymentIntentNotFound, domain_call, id_for_key
from payments.intents import disputes, rendering, store
from payments.intents.context import Payments
from payments.intents.model import Dispute
from payments.merchants.tenant import Tenant

DISPUTES = Listing("disputes", (int, str))


class DisputeNotFound(NotFound, problem="dispute-not-found", title="Dispute not found"):
    """No dispute of this id is the caller's."""


def dispute_out(dispute: Dispute) -> DisputeOut:
    return DisputeOut.model_validate(rendering.dispute(dispute))


def dispute_id_for(client: ApiClient, idempotency_key: str) -> str:
    return id_for_key("dp", client.key_id, idempotency_key)


def _owner(payments: Payments, dispute_id: str, viewer: Tenant | None) -> Tenant:
    """Whose dispute `dispute_id` is, if `viewer` may see it (None: an operator, who sees all)."""
    if viewer is not None:
        return viewer
    with payments.engine.connect() as connection:
        owner = store.dispute_owner(connection, dispute_id)
    if owner is None:
        raise DisputeNotFound(f"no dispute {dispute_id}")
    return owner


def open_dispute(payments: Payments, client: ApiClient, body: DisputeCreate, dispute_id: str) -> DisputeOut:
    """Record the dispute on `body.payment_intent`'s tenant (the desk's `client` acts for none: its scope
    was the route's check)."""
    with payments.engine.connect() as connection:
        owner = store.intent_owner(connection, body.payment_intent)
    if owner is None:
        raise PaymentIntentNotFound(
            f"no payment intent {body.payment_intent}",
            errors=[{"field": "payment_intent", "message": "no payment intent of this id"}],
        )
    work = partial(
        disputes.open_dispute, payments, owner, body.payment_intent, body.amount, str(body.reason), dispute_id
    )
    return dispute_out(domain_call(PaymentIntentNotFound, work))


def get_dispute(payments: Payments, viewer: Tenant | None, dispute_id: str) -> DisputeOut:
    owner = _owner(payments, dispute_id, viewer)
    return dispute_out(
        domain_call(DisputeNotFound, lambda: disputes.retrieve_dispute(payments, owner, dispute_id))
    )


def list_disputes(
    payments: Payments, viewer: Tenant | None, payment_intent: str | None, cursor: str | None, limit: int
) -> DisputePage:
    """A page of the disputes `viewer` sees (every tenant's for an operator), oldest first."""
    filters = {"viewer": None if viewer is None else viewer.values(), "payment_intent": payment_intent}
    after = DISPUTES.decode(cursor, filters)
    position = None if after is None else (key_part(after, 0, int), key_part(after, 1, str))
    with payments.engine.connect() as connection:
        found = store.disputes_page(connection, viewer, payment_intent, position, limit + 1)
    page: Page[Dispute] = DISPUTES.page(
        found, limit, lambda dispute: (dispute.created_at, dispute.id), cursor=cursor, filters=filters
    )
    return DisputePage(
        data=[dispute_out(d) for d in page.data], has_more=page.has_more, next_cursor=page.next_cursor
    )


def submit_evidence(payments: Payments, tenant: Tenant, dispute_id: str, body: DisputeEvidence) -> DisputeOut:
    evidence = body.model_dump(exclude_none=True)
    work = partial(disputes.submit_evidence, payments, tenant, dispute_id, evidence)
    return dispute_out(domain_call(DisputeNotFound, work))


def close_dispute(payments: Payments, client: ApiClient, dispute_id: str, body: DisputeClose) -> DisputeOut:
    owner = _owner(payments, dispute_id, None)
    work = partial(disputes.close_dispute, payments, owner, dispute_id, won=body.won)
    return dispute_out(domain_call(DisputeNotFound, work))
