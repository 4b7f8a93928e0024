"""`/v1/merchants/...` and `/v1/merchant`: onboarding (apply, approve, reject), modes and keys, certificates.

Thin routes over `api.merchants.service`. Applications are filed by an operator's key (`merchants:apply`,
or `merchants:admin`), not by an anonymous caller: an application is reviewed by an operator anyway (know
your business), an anonymous write route would be an open door for spam that no per-address bucket closes
behind a proxy, and every POST's Idempotency-Key is scoped to the calling key, which an anonymous caller
does not have. The application may name the merchant category (ISO 18245 `mcc`, read by the risk rules);
only an admin changes it later (`PATCH /v1/merchants/{id}`). An admin (`merchants:admin`) approves
(issuing a sandbox and a live key, shown once, to hand to the merchant, who rotates them with its own keys)
or rejects. A merchant's key reads and manages its own
merchant in its own mode; another merchant's id is 404. Certificates are issued from CSRs and revoked here;
whether a merchant key must come with one is `api.merchants.mtls`'s business.
"""

from collections.abc import Callable
from http import HTTPStatus
from typing import Annotated, Any, Final

from anyio import to_thread
from fastapi import APIRouter, Path
from fastapi.responses import Response

from api.deps import (
    IdempotencyDep,
    MerchantReader,
    MerchantsAdmin,
    MerchantsApplicant,
    MerchantWriter,
    ScreeningDep,
    SessionDep,
    SettingsDep,
    TenantReader,
)
from api.errors import problem_doc
from api.idempotency.progress import Progress
from api.idempotency.route import RESPONSES, idempotent_posts
from api.merchants import schemas, service
from api.merchants.screening import hold_unless_clear, screen_applicant

router = APIRouter(tags=["merchants"])

MerchantIdPath = Annotated[
    str, Path(pattern=schemas.MERCHANT_ID_PATTERN, description="The merchant's id: mch_ and 24 hex digits.")
]
KeyIdPath = Annotated[str, Path(pattern=schemas.KEY_ID_PATTERN, description="The API key's id.")]
CertificateIdPath = Annotated[
    str,
    Path(pattern=schemas.CERTIFICATE_ID_PATTERN, description="The certificate's id: crt_ and 24 hex digits."),
]

AUTH_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    401: problem_doc("No API key, or an invalid or revoked one (`WWW-Authenticate: Bearer`)."),
    403: problem_doc("The key lacks the scope, or acts in the other mode; `detail` says which."),
    422: problem_doc("The request is invalid; `errors` names each bad field."),
}
NOT_FOUND: Final[dict[int | str, dict[str, Any]]] = {
    404: problem_doc("No such merchant, or another merchant's (for a merchant's key).")
}
CONFLICT: Final[dict[int | str, dict[str, Any]]] = {
    409: problem_doc("The merchant's status does not allow it, or the Idempotency-Key was reused.")
}
POST_RESPONSES: Final = {**AUTH_RESPONSES, **RESPONSES, **NOT_FOUND, **CONFLICT}


_post = idempotent_posts(router, POST_RESPONSES, HTTPStatus.CREATED)
"""A merchant POST: an `Idempotency-Key` (read by `IdempotencyDep`); 201 unless it says otherwise."""


@_post("/v1/merchants/applications", schemas.MerchantOut, "Apply for a merchant account")
async def apply(
    body: schemas.MerchantApplication,
    client: MerchantsApplicant,
    idempotency: IdempotencyDep,
    session: SessionDep,
    screening: ScreeningDep,
) -> Response:
    """Scope `merchants:apply` (or `merchants:admin`). The account starts as `applied`: no key acts for it
    until an admin approves it. Its legal name is screened against the sanctions list."""

    def apply_and_screen(progress: Progress) -> schemas.MerchantOut:
        applied = service.apply(session, body, progress)
        screen_applicant(screening, applied.id, body.legal_name)
        return applied

    return await idempotency.run(
        lambda progress: to_thread.run_sync(apply_and_screen, progress),
        body=body,
        status_code=HTTPStatus.CREATED,
    )


def _decision(
    action: str, work: Callable[[Any, str, Progress], Any], response_model: type[Any], summary: str, doc: str
) -> None:
    """`POST /v1/merchants/{merchant_id}/<action>`: an admin's decision on an application, no body."""
    shown_once = response_model is schemas.Approval  # it holds the new keys' tokens
    screen_first = action == "approve"  # held unless the legal name screens clear

    async def decide(
        merchant_id: MerchantIdPath,
        client: MerchantsAdmin,
        idempotency: IdempotencyDep,
        session: SessionDep,
        screening: ScreeningDep,
    ) -> Response:
        def screened_work(progress: Progress) -> Any:
            if screen_first:
                hold_unless_clear(session, screening, merchant_id)
            return work(session, merchant_id, progress)

        return await idempotency.run(
            lambda progress: to_thread.run_sync(screened_work, progress),
            body=None,
            status_code=HTTPStatus.OK,
            shown_once=shown_once,
        )

    decide.__name__, decide.__doc__ = action, doc
    _post(f"/v1/merchants/{{merchant_id}}/{action}", response_model, summary, status_code=HTTPStatus.OK)(
        decide
    )


_decision(
    "approve",
    service.approve,
    schemas.Approval,
    "Approve an application: the merchant becomes active and gets a sandbox and a live key",
    "Scope `merchants:admin`. The keys' tokens are in this answer only (a replay has `token: null`). Held "
    "(409 `merchant-screening-hold`) while the legal name is not clear in sanctions screening.",
)
_decision(
    "reject",
    service.reject,
    schemas.MerchantOut,
    "Reject an application",
    "Scope `merchants:admin`. Final: a rejected merchant is never activated.",
)


@router.get(
    "/v1/merchants/{merchant_id}",
    summary="Read a merchant, with its keys and certificates",
    responses={**AUTH_RESPONSES, **NOT_FOUND},
)
async def read(
    merchant_id: MerchantIdPath, client: MerchantReader, session: SessionDep
) -> schemas.MerchantDetail:
    """Scope `merchant:read` (the merchant's own key: its own mode's keys and certificates) or
    `merchants:admin` (both modes)."""
    return await to_thread.run_sync(service.read, session, client, merchant_id)


@router.patch(
    "/v1/merchants/{merchant_id}",
    summary="Change a merchant's category (ISO 18245 MCC)",
    responses={**AUTH_RESPONSES, **NOT_FOUND},
)
async def update(
    merchant_id: MerchantIdPath, body: schemas.MerchantUpdate, client: MerchantsAdmin, session: SessionDep
) -> schemas.MerchantOut:
    """Scope `merchants:admin` only: the category decides which risk rules its customers' payments meet,
    so, like the rest of what was applied for, it is the operator's finding, never the merchant's own say
    (a merchant's key reads it). Setting the same value again answers the same. A change is recorded on the
    risk audit log (`merchant.category.changed`: who, from, to) in the change's transaction."""
    return await to_thread.run_sync(service.update, session, client, merchant_id, body)


@router.get("/v1/merchant", summary="Read the calling key's own merchant", responses=AUTH_RESPONSES)
async def read_own(tenant: TenantReader, session: SessionDep) -> schemas.MerchantDetail:
    """Scope `merchant:read`, a merchant's key: its merchant, with the keys and certificates of its mode."""
    return await to_thread.run_sync(service.read_own, session, tenant)


@_post(
    "/v1/merchants/{merchant_id}/api-keys",
    schemas.IssuedApiKeyOut,
    "Issue a sandbox or live API key (the token is shown once)",
)
async def issue_key(
    merchant_id: MerchantIdPath,
    body: schemas.ApiKeyCreate,
    client: MerchantWriter,
    idempotency: IdempotencyDep,
    session: SessionDep,
) -> Response:
    """Scope `merchant:write` (a key of the mode asked for: a sandbox key never issues a live one) or
    `merchants:admin`. Rotate by issuing a new key, then revoking the old one."""
    return await idempotency.run(
        lambda progress: to_thread.run_sync(service.issue_key, session, client, merchant_id, body, progress),
        body=body,
        status_code=HTTPStatus.CREATED,
        shown_once=True,
    )


@router.delete(
    "/v1/merchants/{merchant_id}/api-keys/{key_id}",
    summary="Revoke one of the merchant's API keys",
    responses={**AUTH_RESPONSES, 404: problem_doc("No such key in a mode the caller may see.")},
)
async def revoke_key(
    merchant_id: MerchantIdPath, key_id: KeyIdPath, client: MerchantWriter, session: SessionDep
) -> schemas.ApiKeyOut:
    """Scope `merchant:write` (its own mode's keys) or `merchants:admin`. Revoking again answers the first
    revocation."""
    return await to_thread.run_sync(service.revoke_key, session, client, merchant_id, key_id)


@_post(
    "/v1/merchants/{merchant_id}/certificates",
    schemas.IssuedCertificateOut,
    "Sign the merchant's CSR: a client certificate for mutual TLS",
)
async def certify(
    merchant_id: MerchantIdPath,
    body: schemas.CertificateCreate,
    client: MerchantWriter,
    idempotency: IdempotencyDep,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """Scope `merchant:write` (a certificate of the key's mode) or `merchants:admin` (naming the mode). The
    merchant keeps its private key: only the CSR comes here, and only the certificate's fingerprint is
    kept."""
    ca_dir = settings.merchant_ca_dir
    return await idempotency.run(
        lambda progress: to_thread.run_sync(
            service.certify, session, ca_dir, client, merchant_id, body, progress
        ),
        body=body,
        status_code=HTTPStatus.CREATED,
    )


@router.delete(
    "/v1/merchants/{merchant_id}/certificates/{certificate_id}",
    summary="Revoke one of the merchant's client certificates",
    responses={**AUTH_RESPONSES, 404: problem_doc("No such certificate in a mode the caller may see.")},
)
async def revoke_certificate(
    merchant_id: MerchantIdPath,
    certificate_id: CertificateIdPath,
    client: MerchantWriter,
    session: SessionDep,
) -> schemas.CertificateOut:
    """Scope `merchant:write` (its own mode's certificates) or `merchants:admin`. From then on the API
    refuses the certificate (`client-certificate-refused`, reason `revoked`). Revoking again answers the
    first revocation."""
    return await to_thread.run_sync(service.revoke_certificate, session, client, merchant_id, certificate_id)
