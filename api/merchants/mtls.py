"""Mutual TLS for merchant keys: a request with a merchant's API key of a mode `merchant_mtls` covers must
come over the API's own TLS with a client certificate the API issued to that merchant for that mode.

The key alone is a bearer secret: whoever copies it (a log, a leaked CI variable) can spend with it. With
mutual TLS it is worth nothing without the merchant's private key, which never leaves the merchant. Plain
HTTP is refused for such keys rather than waved through, so the check cannot be skipped by leaving TLS out;
that also means the API must terminate TLS itself (`api.tls`): behind a TLS-terminating proxy every
request looks like plain HTTP. Operators' keys and customers are not affected.

What the certificate must be is `payments.merchants.client_auth`'s decision; here the request's scope is
read (`api.tls.scope`), the certificate's issuance record is looked up, and a refusal becomes a 403 problem
whose ``reason`` names it.
"""

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from anyio import to_thread
from cryptography import x509
from sqlalchemy.orm import Session

from api.merchants import errors
from api.settings import ApiSettings
from api.tls.scope import client_certificate_pem, over_tls
from custody.tls import fingerprint
from payments.merchants import certificates, store
from payments.merchants.client_auth import Refusal, refusal
from payments.merchants.tenant import Tenant

EXPLANATIONS: Final = {
    Refusal.UNKNOWN_ISSUER: "the client certificate was not issued by a TPWallet merchant CA",
    Refusal.OTHER_MODE: "the client certificate is of the other mode: a {mode} key needs a {mode} one",
    Refusal.OTHER_MERCHANT: "the client certificate names another merchant than the API key's",
    Refusal.NOT_ISSUED: "the client certificate is not one the API issued to this merchant",
    Refusal.REVOKED: "the client certificate has been revoked; ask for a new one",
    Refusal.NOT_YET_VALID: "the client certificate is not valid yet",
    Refusal.EXPIRED: "the client certificate has expired; ask for a new one",
}


def _now() -> datetime:
    return datetime.now(UTC)


@lru_cache(maxsize=8)
def merchant_cas(directory: Path) -> dict[bool, x509.Certificate]:
    """Each mode's merchant CA certificate (livemode -> certificate); a CA never changes once created."""
    return {
        livemode: certificates.load_or_create_ca(directory, livemode).certificate
        for livemode in (False, True)
    }


def _issuance(session: Session, digest: str) -> tuple[Tenant | None, bool]:
    """To whom the certificate with this fingerprint was issued (None: never by the API), and whether it is
    revoked; the read transaction ended so the session gives its connection back."""
    try:
        row = store.certificate_by_fingerprint(session, digest)
    finally:
        session.rollback()
    return (
        (None, False) if row is None else (Tenant(row.merchant_id, row.livemode), row.revoked_at is not None)
    )


async def require_client_certificate(
    settings: ApiSettings, scope: Mapping[str, Any], session: Session, tenant: Tenant
) -> None:
    """Nothing if `tenant`'s mode needs no certificate or the request's (its ASGI `scope`) is right; 403
    otherwise."""
    if tenant.livemode not in settings.merchant_mtls_modes:
        return
    needs = f"a {tenant.mode} merchant key needs its client certificate"
    if not over_tls(scope):
        raise errors.ClientCertificateRequired(
            f"{needs}, over HTTPS: plain HTTP is refused for it", reason="plain-http"
        )
    pem = client_certificate_pem(scope)
    if pem is None:
        raise errors.ClientCertificateRequired(
            f"{needs}: connect with the certificate issued at POST /v1/merchants/{{id}}/certificates",
            reason="no-certificate",
        )
    certificate = x509.load_pem_x509_certificate(pem.encode())
    issued_to, revoked = await to_thread.run_sync(_issuance, session, fingerprint(certificate))
    why = refusal(certificate, tenant, merchant_cas(settings.merchant_ca_dir), issued_to, revoked, _now())
    if why is not None:
        raise errors.ClientCertificateRefused(EXPLANATIONS[why].format(mode=tenant.mode), reason=why.value)
