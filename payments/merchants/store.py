"""Merchant accounts and their certificates in the database: file an application, read an account, move
its status, record a certificate. Functions take the caller's session and commit nothing: the caller ends
the transaction (so the API can commit an account's change with its idempotent response, and its keys).

A status change reads the row FOR UPDATE (PostgreSQL; SQLite serialises writers anyway) so two operators
approving and rejecting at once cannot both win.
"""

import secrets
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from payments.merchants.model import (
    Application,
    FeeSchedule,
    FeeTerms,
    Merchant,
    MerchantError,
    MerchantStatus,
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


def move(session: Session, merchant_id: str, target: MerchantStatus, now: datetime) -> Merchant:
    """Move the account to `target` if its status allows (InvalidTransition otherwise)."""
    current = get(session, merchant_id, for_update=True)
    check_transition(current.status, target)
    session.execute(
        merchants.update().where(merchants.c.id == merchant_id).values(status=target.value, updated_at=now)
    )
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
