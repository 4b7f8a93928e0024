"""Payment intents and refunds behind the routes: the domain's calls (`payments.intents`), its refusals as
problem documents, its records as the API's bodies.

The caller's tenant is its API key's: until merchant keys exist (issue 11 point 3), every key is a sandbox
merchant of its own (`key_<key id>`), so two keys never see each other's intents. The domain runs on the
request session's engine; a POST's last transaction (the step with its ledger transfers) is the request
session's own, and the answer is stored with the Idempotency-Key in it before it commits (`answered`), as
the ledger's routes do: the step and its stored answer commit together or not at all, so a retry after a
crash between them either replays the answer or runs afresh (the rail, asked again under the same
key, answers as before), never making a second intent or answering 409 for the first one's move. The
rails are the app's (`app.state.payment_rails`, registered by the rails' clients).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from hashlib import sha256
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from api.auth import ApiClient
from api.errors import ApiError, NotFound, ServiceUnavailable
from api.errors import InvalidRequest as ApiInvalidRequest
from api.idempotency.progress import Progress, committed
from api.payment_intents.schemas import (
    PaymentIntentCancel,
    PaymentIntentCapture,
    PaymentIntentConfirm,
    PaymentIntentCreate,
    PaymentIntentOut,
    RefundCreate,
    RefundOut,
    StablecoinInstructionsOut,
)
from custody.problems import invalid_fields_detail
from payments.intents import errors, intents, refunds, rendering
from payments.intents.context import Payments
from payments.intents.guard.gate import RiskSignals
from payments.intents.model import CancellationReason, FeeSchedule, PaymentIntent, RailKind, Refund, ShareSpec
from payments.merchants import store as merchant_store
from payments.merchants.model import PaymentMethod
from payments.merchants.tenant import Tenant
from payments.rails.stablecoin.config import StablecoinConfig
from payments.rails.stablecoin.instructions import instructions_for

_T = TypeVar("_T")


class PaymentIntentNotFound(NotFound, problem="payment-intent-not-found", title="Payment intent not found"):
    """No payment intent of this id is the caller's."""


class RefundNotFound(NotFound, problem="refund-not-found", title="Refund not found"):
    """No refund of this id is the caller's."""


class UnexpectedState(
    ApiError, status=409, problem="payment-intent-unexpected-state", title="Unexpected state"
):
    """The action is not allowed from the intent's status; `intent_status` names it."""


class ConcurrentStep(ApiError, status=409, problem="payment-intent-busy", title="Another step is under way"):
    """Another request on the same intent reached the rail first with other parameters; retry after it."""


class PaymentRefused(ApiError, status=402, problem="payment-refused", title="The rail refused"):
    """The rail refused a capture, cancel or refund; nothing changed."""


class RailUnavailable(ServiceUnavailable, problem="rail-unavailable", title="Rail unavailable"):
    """No client of the intent's rail is configured on this server."""


def tenant_of(client: ApiClient) -> Tenant:
    """Whose intents a key reaches: a merchant's key its merchant's in its own mode; an operator's key (no
    merchant) a sandbox book of its own, so operators can exercise the flow without touching a merchant."""
    if client.tenant is not None:
        return client.tenant
    return Tenant(f"key_{client.key_id}", livemode=False)


def answered(
    payments: Payments, session: Session, progress: Progress, work: Callable[..., BaseModel], *args: Any
) -> BaseModel:
    """`work(payments, *args)` (its caller's tenant first, or the operator's key) with its last transaction
    on `session`, the answer stored in it (`Progress.finish`) and both committed at once; on failure,
    rolled back together."""
    return committed(session, progress, lambda _: work(payments.joining(session.connection), *args))


def _invalid(field: str, message: str) -> ApiInvalidRequest:
    problems = [{"field": field, "message": message}]
    return ApiInvalidRequest(invalid_fields_detail(problems), errors=problems)


@contextmanager
def _answered(missing: type[NotFound]) -> Iterator[None]:
    """The domain's refusals as the API's problems (`missing`: what a NotFound is here)."""
    try:
        yield
    except errors.NotFound as error:
        raise missing(error.detail) from error
    except errors.UnexpectedState as error:
        raise UnexpectedState(error.detail, intent_status=error.status) from error
    except errors.RailRefused as error:
        raise PaymentRefused(error.detail) from error
    except errors.RailConflict as error:
        raise ConcurrentStep(error.detail) from error
    except (errors.InvalidAmount, errors.InvalidRequest) as error:
        if error.field == "rail":
            raise RailUnavailable(error.detail) from error
        raise _invalid(error.field or "body", error.detail) from error


def domain_call(missing: type[NotFound], work: Callable[[], _T]) -> _T:
    """`work()`, the domain's refusals raised as the API's problems (`missing`: what a NotFound is here)."""
    with _answered(missing):
        return work()


def intent_out(intent: PaymentIntent) -> PaymentIntentOut:
    """The intent in Stripe's shape, as its events carry it (`payments.intents.rendering`)."""
    return PaymentIntentOut.model_validate(rendering.payment_intent(intent))


def refund_out(refund: Refund) -> RefundOut:
    return RefundOut.model_validate(rendering.refund(refund))


def create_intent(payments: Payments, tenant: Tenant, body: PaymentIntentCreate) -> PaymentIntentOut:
    shares = (
        None if body.shares is None else [ShareSpec(share.destination, share.amount) for share in body.shares]
    )
    created = domain_call(
        PaymentIntentNotFound,
        lambda: intents.create(
            payments,
            tenant,
            amount=body.amount,
            currency=body.currency,
            rail=body.rail,
            capture_method=body.capture_method,
            payment_method=body.payment_method,
            shares=shares,
            fee_schedule=fee_schedule(payments, tenant, body.rail),
            customer=body.customer,
        ),
    )
    return intent_out(created)


def fee_schedule(payments: Payments, tenant: Tenant, rail: RailKind) -> FeeSchedule:
    """The merchant's price for `rail` (its application's fee terms); an operator key's sandbox book, which
    is no merchant, pays none."""
    with Session(payments.engine) as session:
        try:
            merchant = merchant_store.get(session, tenant.merchant_id)
        except merchant_store.MerchantNotFound:
            return FeeSchedule()
    terms = merchant.fees.for_method(PaymentMethod(str(rail)))
    return FeeSchedule(bps=terms.basis_points, fixed=terms.fixed)


def get_intent(payments: Payments, tenant: Tenant, intent_id: str) -> PaymentIntentOut:
    return intent_out(
        domain_call(PaymentIntentNotFound, lambda: intents.retrieve(payments, tenant, intent_id))
    )


def confirm_intent(
    payments: Payments, tenant: Tenant, intent_id: str, body: PaymentIntentConfirm, signals: RiskSignals
) -> PaymentIntentOut:
    """Confirm with `signals`: the checkout's, the device proven or not (`api.payment_intents.confirmation`
    decides which)."""
    work = partial(intents.confirm, payments, tenant, intent_id, body.payment_method, signals)
    return intent_out(domain_call(PaymentIntentNotFound, work))


def capture_intent(
    payments: Payments, tenant: Tenant, intent_id: str, body: PaymentIntentCapture
) -> PaymentIntentOut:
    work = partial(intents.capture, payments, tenant, intent_id, body.amount_to_capture)
    return intent_out(domain_call(PaymentIntentNotFound, work))


def cancel_intent(
    payments: Payments, tenant: Tenant, intent_id: str, body: PaymentIntentCancel
) -> PaymentIntentOut:
    reason = None if body.cancellation_reason is None else CancellationReason(body.cancellation_reason)
    work = partial(intents.cancel, payments, tenant, intent_id, reason)
    return intent_out(domain_call(PaymentIntentNotFound, work))


def refund_id_for(tenant: Tenant, idempotency_key: str) -> str:
    """The refund's id, derived from the request's Idempotency-Key: the refund's hold commits before the rail
    is asked, so a retry of a request that died after it (at the rail, or before its answer committed)
    names the same refund, finishes it and refunds nothing more."""
    return id_for_key("re", f"{tenant.merchant_id}:{tenant.livemode}", idempotency_key)


def id_for_key(prefix: str, caller: str, idempotency_key: str) -> str:
    """An object's id derived from its caller's Idempotency-Key (`prefix`, then 24 hex digits), so a retry of
    a request whose object committed before its answer did names that object again."""
    digest = sha256(f"{caller}:{idempotency_key}".encode()).hexdigest()
    return f"{prefix}_{digest[:24]}"


def create_refund(payments: Payments, tenant: Tenant, body: RefundCreate, refund_id: str) -> RefundOut:
    work = partial(refunds.refund, payments, tenant, body.payment_intent, body.amount, body.reason, refund_id)
    return refund_out(domain_call(PaymentIntentNotFound, work))


def get_refund(payments: Payments, tenant: Tenant, refund_id: str) -> RefundOut:
    return refund_out(
        domain_call(RefundNotFound, lambda: refunds.retrieve_refund(payments, tenant, refund_id))
    )


def stablecoin_instructions(payments: Payments, tenant: Tenant, intent_id: str) -> StablecoinInstructionsOut:
    """How to pay the caller's stablecoin intent on-chain; 404 for an intent of another rail."""

    def work() -> StablecoinInstructionsOut:
        intent = intents.retrieve(payments, tenant, intent_id)
        if intent.rail is not RailKind.STABLECOIN:
            raise errors.NotFound(
                f"payment intent {intent_id} is paid on the {intent.rail} rail, not on-chain"
            )
        config = getattr(payments.rail(RailKind.STABLECOIN), "config", None)  # a 503 while it is unknown
        if not isinstance(config, StablecoinConfig):
            raise errors.InvalidRequest("no stablecoin rail is configured", field="rail")
        how = instructions_for(config, intent.id, intent.amount)
        return StablecoinInstructionsOut(
            payment_intent=how.payment_intent_id,
            chain_id=how.chain_id,
            router=how.router,
            token=how.token,
            token_symbol=how.token_symbol,
            amount=how.token_amount,
            intent_key=how.intent_key,
        )

    return domain_call(PaymentIntentNotFound, work)
