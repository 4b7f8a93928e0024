"""Merchant accounts and their certificates in the database: file an application, read an account, move
its status, set its category, record a certificate. Functions take the caller's session and commit
nothing: the caller ends the transaction (so the API can commit an account's change with its idempotent
response, and its keys).

A status change reads the row FOR UPDATE (PostgreSQL) and writes only if the status is still the one it
read (compare and set: SQLite has no row locks), so two operators approving and rejecting at once never
both win.
"""

import secrets
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Row, or_, select
from sqlalchemy.orm import Session

from payments.merchants.model import (
    Application,
    FeeSchedule,
    FeeTerms,
    InvalidTransition,
    Merchant,
    MerchantError,
    MerchantStatus,
    category_code,
    check_transition,
)
from payments.merchants.schema import FEE_COLUMNS, merchant_certificates, merchants
from payments.merchants.tenant import Tenant

MERCHANT_ID_PREFIX: Final = "mch_"
CERTIFICATE_ID_PREFIX: Final = "crt_"
_ID_BYTES: Final = 12


class MerchantNotFound(MerchantError):
    """No merchant has that id."""


def new_id(prefix: str) -> str:
    """`prefix` and 24 random hex digits: unguessable, so an id names without authorising."""
    return prefix + secrets.token_hex(_ID_BYTES)


def utc(value: datetime) -> datetime:
    """A stored time as timezone-aware UTC (SQLite keeps no zone)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _fees_row(fees: FeeSchedule) -> dict[str, int]:
    values: dict[str, int] = {}
    for method, bps, fixed in FEE_COLUMNS:
        terms = fees.for_method(method)
        values[bps], values[fixed] = terms.basis_points, terms.fixed
    return values


def _merchant(row: Row[Any]) -> Merchant:
    fees = {
        method.value: FeeTerms(row._mapping[bps], row._mapping[fixed]) for method, bps, fixed in FEE_COLUMNS
    }
    return Merchant(
        id=row.id,
        legal_name=row.legal_name,
        country=row.country,
        settlement_currency=row.settlement_currency,
        fees=FeeSchedule(**fees),
        mcc=row.mcc,
        status=MerchantStatus(row.status),
        created_at=utc(row.created_at),
        updated_at=utc(row.updated_at),
    )


def apply(session: Session, application: Application, now: datetime) -> Merchant:
    """Store `application` as a new account in status applied."""
    merchant_id = new_id(MERCHANT_ID_PREFIX)
    session.execute(
        merchants.insert().values(
            id=merchant_id,
            legal_name=application.legal_name.strip(),
            country=application.country,
            settlement_currency=application.settlement_currency,
            mcc=application.mcc,
            status=MerchantStatus.APPLIED.value,
            created_at=now,
            updated_at=now,
            **_fees_row(application.fees),
        )
    )
    return get(session, merchant_id)


def get(session: Session, merchant_id: str, *, for_update: bool = False) -> Merchant:
    """Merchant `merchant_id`; MerchantNotFound if there is none."""
    query = select(merchants).where(merchants.c.id == merchant_id)
    row = session.execute(query.with_for_update() if for_update else query).one_or_none()
    if row is None:
        raise MerchantNotFound(f"no merchant {merchant_id}", "merchant_id")
    return _merchant(row)


def move(
    session: Session,
    merchant_id: str,
    target: MerchantStatus,
    now: datetime,
    *,
    only_from: MerchantStatus | None = None,
) -> Merchant:
    """Move the account to `target` if its status allows (and is `only_from`, if given); InvalidTransition
    otherwise, also when another transaction moved it between our read and our write."""
    current = get(session, merchant_id, for_update=True).status
    if only_from is not None and current is not only_from:
        raise InvalidTransition(f"a merchant that is {current.value} is not {only_from.value}", "status")
    check_transition(current, target)
    moved = session.execute(
        merchants.update()
        .where(merchants.c.id == merchant_id, merchants.c.status == current.value)
        .values(status=target.value, updated_at=now)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]  # SQLite has no FOR UPDATE: compare and set
        raise InvalidTransition(f"merchant {merchant_id} changed status meanwhile", "status")
    return get(session, merchant_id)


def set_category(session: Session, merchant_id: str, mcc: str | None, now: datetime) -> Merchant:
    """Set (or, with None, clear) the merchant's category; MerchantNotFound if there is none. The category
    is checked by the model first (`category_code`): the table's column takes any four characters."""
    if mcc is not None:
        category_code(mcc)
    changed = session.execute(
        merchants.update().where(merchants.c.id == merchant_id).values(mcc=mcc, updated_at=now)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE's result has it
        raise MerchantNotFound(f"no merchant {merchant_id}", "merchant_id")
    return get(session, merchant_id)


def record_certificate(
    session: Session,
    tenant: Tenant,
    *,
    serial_number: int,
    fingerprint_sha256: str,
    not_before: datetime,
    not_after: datetime,
    now: datetime,
) -> str:
    """Store an issued certificate's fingerprint and validity for `tenant`; its id."""
    certificate_id = new_id(CERTIFICATE_ID_PREFIX)
    session.execute(
        merchant_certificates.insert().values(
            id=certificate_id,
            **tenant.values(),
            serial_number=format(serial_number, "x"),
            fingerprint_sha256=fingerprint_sha256,
            not_before=not_before,
            not_after=not_after,
            created_at=now,
        )
    )
    return certificate_id


def certificates(session: Session, tenant: Tenant) -> list[Row[Any]]:
    """`tenant`'s certificates, oldest first."""
    query = tenant.select(merchant_certificates).order_by(
        merchant_certificates.c.created_at, merchant_certificates.c.id
    )
    return list(session.execute(query))


def merchant_is_active(session: Session, merchant_id: str) -> bool:
    """True if the merchant exists and is active: only then do its keys act."""
    status = session.scalar(select(merchants.c.status).where(merchants.c.id == merchant_id))
    return status == MerchantStatus.ACTIVE.value


def certificate_by_fingerprint(session: Session, fingerprint_sha256: str) -> Row[Any] | None:
    """The issued certificate whose DER has this SHA-256 (any tenant's: the caller compares), or None."""
    query = select(merchant_certificates).where(
        merchant_certificates.c.fingerprint_sha256 == fingerprint_sha256
    )
    return session.execute(query).one_or_none()


def revoke_certificate(
    session: Session, tenants: tuple[Tenant, ...], certificate_id: str, now: datetime
) -> Row[Any] | None:
    """Revoke the certificate `certificate_id` of one of `tenants` from `now` on (a second revocation keeps
    the first time); the row as it is then, or None if none of `tenants` has it."""
    table = merchant_certificates
    owned = [tenant.owns(table) for tenant in tenants]
    query = select(table).where(table.c.id == certificate_id, or_(*owned))
    row = session.execute(query).one_or_none()
    if row is None:
        return None
    if row.revoked_at is None:
        session.execute(
            table.update()
            .where(table.c.id == certificate_id, table.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        row = session.execute(query).one()
    return row
