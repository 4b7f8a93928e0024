"""`/v1/payment-intents` and `/v1/refunds`: Stripe's payment intents, their money booked on the ledger.

Thin routes over `api.payment_intents.service`. Reads need `payments:read` (or `payments:write`), writes
`payments:write`; every POST needs an `Idempotency-Key` (`api.idempotency`). A caller sees only its own
intents and refunds: another's answer 404, as one that does not exist.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Annotated, Any, Final

from fastapi import APIRouter, FastAPI, Path, Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.auth import KEY_RESPONSES
from api.deps import CustomerSession, PaymentsReader, PaymentsWriter, SessionDep, payments_of
from api.errors import problem_doc
from api.idempotency.progress import Progress
from api.idempotency.route import idempotent_posts
from api.monitoring.sightings import sighted
from api.payment_intents import confirmation, schemas, service, stepup
from api.payment_intents.lapses import lapsing
from api.signed_requests import verify_device_request
from risk.devices.verifier import VerifiedDevice


@asynccontextmanager
async def payments_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Cancel lapsed authorizations while the app serves (`api.payment_intents.lapses`)."""
    settings = app.state.settings
    lapse, interval = settings.payment_authorization_lapse_seconds, settings.payment_lapse_interval_seconds
    async with lapsing(app.state.engine, lapse, interval):
        yield


router = APIRouter(tags=["payments"], lifespan=payments_lifespan)

IntentIdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="The payment intent's id.")]
RefundIdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="The refund's id.")]

AUTH_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    **KEY_RESPONSES,
    422: problem_doc("The request is invalid; `errors` names each bad field."),
}
NOT_FOUND: Final[dict[int | str, dict[str, Any]]] = {
    404: problem_doc("No payment intent of this id is the caller's.")
}
STEP_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    **NOT_FOUND,
    402: problem_doc("The rail refused; nothing changed."),
    409: problem_doc(
        "The intent's status does not allow this (`intent_status` names it), another request on it reached "
        "the rail first, or the Idempotency-Key was used for another request."
    ),
    503: problem_doc("No client of the intent's rail is configured on this server."),
}


CONFIRM_401: Final = (
    "No valid API key, or the customer's device signature the request carries is refused "
    "(`device-signature-refused`: `reason` says why, `errors` names the TPW-Device-* header at fault)."
)
CONFIRM_422: Final = (
    "The request is invalid (`errors` names each bad field): `risk.device_id` names another device than "
    "the one that signed the request, or device headers came for an intent without a customer."
)

_post = idempotent_posts(router, {**AUTH_RESPONSES, **STEP_RESPONSES})


@_post(
    "/v1/payment-intents", schemas.PaymentIntentOut, "Create a payment intent", status_code=HTTPStatus.CREATED
)
async def create_payment_intent(body: schemas.PaymentIntentCreate, post: PaymentsWriter) -> Response:
    """Scope `payments:write`. `requires_payment_method`, or `requires_confirmation` with a payment method."""
    return await post.run(service.create_intent, body, body=body, status_code=HTTPStatus.CREATED)


@router.get(
    "/v1/payment-intents/{intent_id}",
    summary="A payment intent",
    responses={**AUTH_RESPONSES, **NOT_FOUND},
)
async def get_payment_intent(intent_id: IntentIdPath, call: PaymentsReader) -> schemas.PaymentIntentOut:
    """Scope `payments:read`."""
    return await call.read(service.get_intent, intent_id)  # type: ignore[return-value]


@router.get(
    "/v1/payment-intents/{intent_id}/stablecoin",
    summary="How to pay a stablecoin payment intent on-chain",
    responses={
        **AUTH_RESPONSES,
        404: problem_doc("No stablecoin payment intent of this id is the caller's."),
        503: problem_doc("No client of the stablecoin rail is configured on this server."),
    },
)
async def get_stablecoin_instructions(
    intent_id: IntentIdPath, call: PaymentsReader
) -> schemas.StablecoinInstructionsOut:
    """Scope `payments:read`. The PaymentRouter, token, token amount and bytes32 intent key to pay with;
    the intent succeeds when the payment is confirmed on-chain (docs/rails.md, "Stablecoin")."""
    return await call.read(service.stablecoin_instructions, intent_id)  # type: ignore[return-value]


@_post(
    "/v1/payment-intents/{intent_id}/confirm",
    schemas.PaymentIntentOut,
    "Confirm a payment intent",
    {401: problem_doc(CONFIRM_401), 422: problem_doc(CONFIRM_422)},
)
async def confirm_payment_intent(
    request: Request,
    intent_id: IntentIdPath,
    post: PaymentsWriter,
    body: schemas.PaymentIntentConfirm | None = None,
) -> Response:
    """Scope `payments:write`. The rail's answer moves the intent: `requires_action` (a challenge at
    `next_action.redirect_to_url.url`), `processing`, `requires_capture`, `succeeded`, or back to
    `requires_payment_method` on a decline. The customer's device may sign the request (the `TPW-Device-*`
    headers, forwarded with the body as signed): only then is it the customer's proven device for the risk
    engine (`api.payment_intents.confirmation`)."""
    confirm, session = body or schemas.PaymentIntentConfirm(), post.idempotency.session

    async def verify(customer: str) -> VerifiedDevice:
        return await verify_device_request(request, session, customer)

    async def work(progress: Progress) -> BaseModel:
        # Under the key's claim: a replayed answer verifies nothing again, a refusal releases the claim.
        intent = await run_in_threadpool(service.get_intent, post.payments, post.tenant, intent_id)
        signals = await confirmation.risk_signals(request.headers, intent, confirm, verify)
        result = await run_in_threadpool(
            service.answered,
            post.payments,
            session,
            progress,
            service.confirm_intent,
            post.tenant,
            intent_id,
            confirm,
            signals,
        )
        if intent.customer is not None and signals.device_verified:
            await sighted(request.app.state, signals.ip_address, confirmation.SIGHTING_KIND, intent.customer)
        return result

    return await post.idempotency.run(work, body=body, status_code=HTTPStatus.OK)


@router.post(
    "/v1/payment-intents/{intent_id}/verify-factor",
    summary="Complete the risk engine's step-up on a payment intent",
    responses=stepup.RESPONSES,
)
async def verify_factor(
    request: Request,
    intent_id: IntentIdPath,
    body: schemas.VerifyFactorIn,
    principal: CustomerSession,
    session: SessionDep,
) -> schemas.PaymentIntentOut:
    """A session of the intent's customer (no API key, no Idempotency-Key: `api.payment_intents.stepup`).
    The right code or password, or a passkey's assertion over the challenge of `.../passkey-options`,
    resumes the confirmation at the rail (`requires_capture`, `succeeded`, ...)."""
    payments = payments_of(request, session)
    return await run_in_threadpool(stepup.verify_factor, payments, principal.subject_id, intent_id, body)


@router.post(
    "/v1/payment-intents/{intent_id}/verify-factor/passkey-options",
    summary="WebAuthn options for a passkey step-up bound to the payment",
    responses=stepup.RESPONSES,
)
async def passkey_options(
    request: Request, intent_id: IntentIdPath, principal: CustomerSession, session: SessionDep
) -> schemas.PasskeyOptionsOut:
    """A session of the intent's customer, while the step-up offers `passkey`. The challenge is bound to the
    intent's amount, currency and payee (shown in `payment`) and answers one `verify-factor` until
    `expires_at`; ask again for a new one (no Idempotency-Key: each call issues a fresh challenge)."""
    payments = payments_of(request, session)
    return await run_in_threadpool(stepup.passkey_options_for, payments, principal.subject_id, intent_id)


@_post("/v1/payment-intents/{intent_id}/capture", schemas.PaymentIntentOut, "Capture a payment intent")
async def capture_payment_intent(
    intent_id: IntentIdPath, post: PaymentsWriter, body: schemas.PaymentIntentCapture | None = None
) -> Response:
    """Scope `payments:write`. Captures `amount_to_capture` (default: all) of `amount_capturable`; the rest is
    released."""
    return await post.run(
        service.capture_intent, intent_id, body or schemas.PaymentIntentCapture(), body=body
    )


@_post("/v1/payment-intents/{intent_id}/cancel", schemas.PaymentIntentOut, "Cancel a payment intent")
async def cancel_payment_intent(
    intent_id: IntentIdPath, post: PaymentsWriter, body: schemas.PaymentIntentCancel | None = None
) -> Response:
    """Scope `payments:write`. From `requires_payment_method`, `requires_confirmation`, `requires_action` or
    `requires_capture` (a held authorization is released)."""
    return await post.run(service.cancel_intent, intent_id, body or schemas.PaymentIntentCancel(), body=body)


@_post("/v1/refunds", schemas.RefundOut, "Refund a succeeded payment intent", status_code=HTTPStatus.CREATED)
async def create_refund(body: schemas.RefundCreate, post: PaymentsWriter) -> Response:
    """Scope `payments:write`. Refunds never exceed what was captured, less earlier refunds and disputes."""
    refund_id = service.refund_id_for(post.tenant, post.idempotency.key)
    return await post.run(service.create_refund, body, refund_id, body=body, status_code=HTTPStatus.CREATED)


@router.get(
    "/v1/refunds/{refund_id}",
    summary="A refund",
    responses={**AUTH_RESPONSES, 404: problem_doc("No refund of this id is the caller's.")},
)
async def get_refund(refund_id: RefundIdPath, call: PaymentsReader) -> schemas.RefundOut:
    """Scope `payments:read`."""
    return await call.read(service.get_refund, refund_id)  # type: ignore[return-value]
