"""The merchant routes' work: applications, approval (which issues the first keys), keys, certificates, and
reading an account, each for a caller the route has authenticated.

Who sees what: an operator's key with `merchants:admin` acts on every merchant in both modes; a merchant's
key acts on its own merchant, in its own mode, and another merchant's id answers 404 as if it did not exist.
Every merchant-scoped read goes through `payments.merchants.tenant.Tenant` (`_tenants` says which tenants a
caller may act as), so the (merchant, mode) filter cannot be left out.

Every function blocks on the database: the routes run them on a worker thread. A POST's writes and its
stored response commit in one transaction (`Progress.finish`): a retry with the same
Idempotency-Key replays the answer and never acts twice. An answer that holds a new key's secret is stored
without it (`_redacted`).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TypeVar

from cryptography.hazmat.primitives import serialization
from pydantic import BaseModel
from sqlalchemy import Row, Table, or_, select
from sqlalchemy.orm import Session

from api.auth import MERCHANT_SCOPES, ApiClient, ApiKeyError, IssuedApiKey, add_api_key
from api.db import Base
from api.errors import InvalidRequest
from api.idempotency.progress import Progress
from api.merchants import errors, schemas
from api.models import ApiKey
from custody.tls import fingerprint
from payments.merchants import certificates, store
from payments.merchants.model import (
    Application,
    FeeSchedule,
    FeeTerms,
    InvalidTransition,
    Merchant,
    MerchantError,
    MerchantStatus,
)
from payments.merchants.tenant import Tenant, mode_of
from risk.audit import append

_Out = TypeVar("_Out", bound=BaseModel)
API_KEYS: Final[Table] = Base.metadata.tables[ApiKey.__tablename__]


def _now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def _domain_errors() -> Iterator[None]:
    """The domain's refusals as the API's problems."""
    try:
        yield
    except store.MerchantNotFound as error:
        raise errors.MerchantNotFound(str(error)) from None
    except InvalidTransition as error:
        raise errors.MerchantStatusConflict(str(error)) from None
    except certificates.CsrRefused as error:
        raise errors.InvalidCsr(str(error), errors=[{"field": "csr", "message": str(error)}]) from None
    except (MerchantError, ApiKeyError) as error:
        field = getattr(error, "field", None) or "body"
        raise InvalidRequest(str(error), errors=[{"field": field, "message": str(error)}]) from None


def _tenants(client: ApiClient, merchant_id: str) -> tuple[Tenant, ...]:
    """The tenants of `merchant_id` the caller may act as: both modes for an admin, its own for a
    merchant's key; another merchant's id is not found."""
    if client.tenant is None:
        if "merchants:admin" not in client.scopes:
            raise errors.NotAMerchantKey("this route needs a merchant's key or the scope merchants:admin")
        return (Tenant(merchant_id, False), Tenant(merchant_id, True))
    if client.tenant.merchant_id != merchant_id:
        raise errors.MerchantNotFound(f"no merchant {merchant_id}")
    return (client.tenant,)


def _tenant_for_mode(client: ApiClient, merchant_id: str, mode: str | None) -> Tenant:
    """The one tenant a write acts as: `mode`'s (default: the key's own); 403 for a mode the key is not."""
    allowed = _tenants(client, merchant_id)
    if mode is None:
        if client.tenant is None:
            message = "an operator names the mode: sandbox or live"
            raise InvalidRequest(message, errors=[{"field": "mode", "message": message}])
        return client.tenant
    wanted = Tenant(merchant_id, mode == "live")
    if wanted not in allowed:
        raise errors.OtherMode(f"a {mode_of(not wanted.livemode)} key acts in its own mode only, not {mode}")
    return wanted


def merchant_out(merchant: Merchant) -> schemas.MerchantOut:
    """The API's view of an account."""
    fees = {
        method: schemas.FeeTerms.model_validate(
            {"basis_points": terms.basis_points, "fixed": str(terms.fixed)}  # the wire's spelling
        )
        for method, terms in vars(merchant.fees).items()
    }
    return schemas.MerchantOut(
        id=merchant.id,
        legal_name=merchant.legal_name,
        country=merchant.country,
        settlement_currency=merchant.settlement_currency,
        fees=schemas.FeeSchedule(**fees),
        mcc=merchant.mcc,
        status=merchant.status,
        created_at=merchant.created_at,
        updated_at=merchant.updated_at,
    )


def _key_out(key: ApiKey) -> schemas.ApiKeyOut:
    return schemas.ApiKeyOut(
        id=key.id,
        name=key.name,
        mode=mode_of(bool(key.livemode)),
        scopes=key.scopes.split(),
        created_at=key.created_at,
        revoked_at=key.revoked_at,
    )


def _issued_out(issued: IssuedApiKey) -> schemas.IssuedApiKeyOut:
    assert issued.tenant is not None
    assert issued.created_at is not None
    return schemas.IssuedApiKeyOut(
        id=issued.key_id,
        name=issued.name,
        mode=issued.tenant.mode,
        scopes=list(issued.scopes),
        created_at=issued.created_at,
        revoked_at=None,
        token=issued.token,
    )


def _redacted(issued: schemas.IssuedApiKeyOut) -> schemas.IssuedApiKeyOut:
    return issued.model_copy(update={"token": None})


def _commit(session: Session, progress: Progress, result: _Out, stored: _Out | None = None) -> _Out:
    """Store the response (`stored`, default the result) with the work's writes, commit, answer `result`."""
    progress.finish(lambda _: stored if stored is not None else result)(None)
    session.commit()
    return result


def apply(session: Session, body: schemas.MerchantApplication, progress: Progress) -> schemas.MerchantOut:
    """File an application (status applied); the model checks every field again (the schema did first)."""
    with _domain_errors():
        fees = FeeSchedule(
            **{
                method: FeeTerms.checked(terms.basis_points, terms.fixed, f"fees.{method}")
                for method, terms in body.fees
            }
        )
        application = Application(body.legal_name, body.country, body.settlement_currency, fees, body.mcc)
        merchant = store.apply(session, application, _now())
    return _commit(session, progress, merchant_out(merchant))


def approve(session: Session, merchant_id: str, progress: Progress) -> schemas.Approval:
    """Activate an application and issue its first keys, a sandbox one and a live one."""
    with _domain_errors():
        merchant = store.move(
            session, merchant_id, MerchantStatus.ACTIVE, _now(), only_from=MerchantStatus.APPLIED
        )
        keys = [
            _issued_out(
                add_api_key(session, f"{mode_of(live)} default", MERCHANT_SCOPES, Tenant(merchant_id, live))
            )
            for live in (False, True)
        ]
    result = schemas.Approval(merchant=merchant_out(merchant), api_keys=keys)
    stored = result.model_copy(update={"api_keys": [_redacted(key) for key in keys]})
    return _commit(session, progress, result, stored)


def reject(session: Session, merchant_id: str, progress: Progress) -> schemas.MerchantOut:
    """Reject an application (final)."""
    with _domain_errors():
        merchant = store.move(session, merchant_id, MerchantStatus.REJECTED, _now())
    return _commit(session, progress, merchant_out(merchant))


def update(
    session: Session, client: ApiClient, merchant_id: str, body: schemas.MerchantUpdate
) -> schemas.MerchantOut:
    """Set the merchant's category (whatever its status: an applicant may be categorised before approval);
    payments confirmed from then on are assessed with it. The category decides which risk rules the
    merchant's payments meet, so a change is a risk-relevant act: it is chained onto the risk audit log
    (who, from, to) in the same transaction, committed with the change or not at all; setting the same
    value again changes nothing and records nothing."""
    now = _now()
    with _domain_errors():
        before = store.get(session, merchant_id, for_update=True).mcc
        merchant = store.set_category(session, merchant_id, body.mcc, now)
    if merchant.mcc != before:
        append(
            session.connection(),
            actor=client.actor,
            action="merchant.category.changed",
            subject=merchant_id,
            details={"from": before, "to": merchant.mcc},
            now=int(now.timestamp()),
        )
    session.commit()
    return merchant_out(merchant)


def _active(session: Session, merchant_id: str) -> Merchant:
    with _domain_errors():
        merchant = store.get(session, merchant_id, for_update=True)
    if not merchant.active:
        raise errors.MerchantStatusConflict(f"merchant {merchant_id} is {merchant.status.value}, not active")
    return merchant


def issue_key(
    session: Session, client: ApiClient, merchant_id: str, body: schemas.ApiKeyCreate, progress: Progress
) -> schemas.IssuedApiKeyOut:
    """Issue a key to an active merchant, in a mode the caller may act in."""
    tenant = _tenant_for_mode(client, merchant_id, body.mode)
    _active(session, merchant_id)
    with _domain_errors():
        issued = _issued_out(add_api_key(session, body.name, body.scopes, tenant))
    return _commit(session, progress, issued, _redacted(issued))


def certify(
    session: Session,
    ca_dir: Path,
    client: ApiClient,
    merchant_id: str,
    body: schemas.CertificateCreate,
    progress: Progress,
) -> schemas.IssuedCertificateOut:
    """Sign the merchant's CSR with the mode's merchant CA and keep the certificate's fingerprint."""
    tenant = _tenant_for_mode(client, merchant_id, body.mode)
    merchant = _active(session, merchant_id)
    now = _now()
    with _domain_errors():
        csr = certificates.parse_csr(body.csr)
        ca = certificates.load_or_create_ca(ca_dir, tenant.livemode)
        certificate = certificates.certify(ca, csr, tenant, merchant.legal_name, now)
        digest = fingerprint(certificate)
        certificate_id = store.record_certificate(
            session,
            tenant,
            serial_number=certificate.serial_number,
            fingerprint_sha256=digest,
            not_before=certificate.not_valid_before_utc,
            not_after=certificate.not_valid_after_utc,
            now=now,
        )
    result = schemas.IssuedCertificateOut(
        id=certificate_id,
        mode=tenant.mode,
        serial_number=format(certificate.serial_number, "x"),
        fingerprint_sha256=digest,
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        created_at=now,
        certificate=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        ca_certificate=ca.credential.certificate_pem().decode(),
    )
    return _commit(session, progress, result)


def _certificate_out(row: Row[Any]) -> schemas.CertificateOut:
    return schemas.CertificateOut(
        id=row.id,
        mode=mode_of(row.livemode),
        serial_number=row.serial_number,
        fingerprint_sha256=row.fingerprint_sha256,
        not_before=store.utc(row.not_before),
        not_after=store.utc(row.not_after),
        created_at=store.utc(row.created_at),
        revoked_at=None if row.revoked_at is None else store.utc(row.revoked_at),
    )


def _detail(session: Session, merchant_id: str, tenants: tuple[Tenant, ...]) -> schemas.MerchantDetail:
    """The account with the keys and certificates of `tenants` (and of no other tenant)."""
    try:
        with _domain_errors():
            merchant = store.get(session, merchant_id)
        keys = session.scalars(
            select(ApiKey)
            .where(or_(*(tenant.owns(API_KEYS) for tenant in tenants)))
            .order_by(ApiKey.created_at, ApiKey.id)
        )
        certificate_rows = [row for tenant in tenants for row in store.certificates(session, tenant)]
        return schemas.MerchantDetail(
            **dict(merchant_out(merchant)),
            api_keys=[_key_out(key) for key in keys],
            certificates=[_certificate_out(row) for row in certificate_rows],
        )
    finally:
        session.rollback()


def read(session: Session, client: ApiClient, merchant_id: str) -> schemas.MerchantDetail:
    """A merchant as the caller may see it."""
    return _detail(session, merchant_id, _tenants(client, merchant_id))


def read_own(session: Session, tenant: Tenant) -> schemas.MerchantDetail:
    """The calling key's own merchant, in the key's mode."""
    return _detail(session, tenant.merchant_id, (tenant,))


def revoke_key(session: Session, client: ApiClient, merchant_id: str, key_id: str) -> schemas.ApiKeyOut:
    """Revoke one of the merchant's keys (again: answered as revoked the first time)."""
    tenants = _tenants(client, merchant_id)
    key = session.scalars(
        select(ApiKey).where(ApiKey.id == key_id, or_(*(tenant.owns(API_KEYS) for tenant in tenants)))
    ).one_or_none()
    if key is None:
        session.rollback()
        raise errors.ApiKeyNotFound(f"merchant {merchant_id} has no key {key_id} in this mode")
    if key.revoked_at is None:
        key.revoked_at = _now()
    answer = _key_out(key)
    session.commit()
    return answer


def revoke_certificate(
    session: Session, client: ApiClient, merchant_id: str, certificate_id: str
) -> schemas.CertificateOut:
    """Revoke one of the merchant's certificates (again: answered as revoked the first time)."""
    row = store.revoke_certificate(session, _tenants(client, merchant_id), certificate_id, _now())
    if row is None:
        session.rollback()
        raise errors.CertificateNotFound(
            f"merchant {merchant_id} has no certificate {certificate_id} in this mode"
        )
    answer = _certificate_out(row)
    session.commit()
    return answer
