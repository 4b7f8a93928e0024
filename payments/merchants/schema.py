"""The merchants' tables, in a MetaData of their own (migrated by api/migrations/versions/0008_merchants.py).

`merchants` holds the accounts (with their merchant category, `mcc`, since 0026_merchant_category.py) with
their fee schedule as columns (integers the database itself bounds, so
no float or out-of-range fee is ever stored), `merchant_certificates` the client certificates the merchant
CA signed: their fingerprints, validity and revocation, never a private key (the merchant keeps its own). A
certificate belongs to one mode: it carries the tenant columns (`payments.merchants.tenant.tenant_columns`)
like every merchant-scoped table.
"""

from typing import Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

from chain.sql_naming import SQL_NAMING_CONVENTION
from payments.merchants.model import MAX_BASIS_POINTS, MAX_LEGAL_NAME, MerchantStatus, PaymentMethod
from payments.merchants.tenant import tenant_columns
from risk.engine.mcc import MCC_LENGTH

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)

MERCHANT_ID_LENGTH: Final = 32
FEE_COLUMNS: Final = tuple(
    (method, f"{method.value}_fee_bps", f"{method.value}_fee_fixed") for method in PaymentMethod
)
"""(method, basis-points column, fixed-amount column) for each payment method."""
_STATUSES: Final = ", ".join(f"'{status.value}'" for status in MerchantStatus)

merchants: Final = Table(
    "merchants",
    metadata,
    Column("id", String(MERCHANT_ID_LENGTH), primary_key=True),
    Column("legal_name", String(MAX_LEGAL_NAME), nullable=False),
    Column("country", String(2), nullable=False),
    Column("settlement_currency", String(3), nullable=False),
    Column("mcc", String(MCC_LENGTH), nullable=True),  # ISO 18245, checked by the model (0026)
    Column("status", String(16), nullable=False),
    *(
        column
        for _, bps, fixed in FEE_COLUMNS
        for column in (Column(bps, Integer, nullable=False), Column(fixed, BigInteger, nullable=False))
    ),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(f"status IN ({_STATUSES})", name="status_known"),
    *(
        CheckConstraint(
            f"{bps} >= 0 AND {bps} <= {MAX_BASIS_POINTS} AND {fixed} >= 0",
            name=f"{method.value}_fee_in_range",
        )
        for method, bps, fixed in FEE_COLUMNS
    ),
)

merchant_certificates: Final = Table(
    "merchant_certificates",
    metadata,
    Column("id", String(MERCHANT_ID_LENGTH), primary_key=True),
    *tenant_columns(merchants),
    Column("serial_number", String(40), nullable=False),
    Column("fingerprint_sha256", String(64), nullable=False),
    Column("not_before", DateTime(timezone=True), nullable=False),
    Column("not_after", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("fingerprint_sha256", name="uq_merchant_certificates_fingerprint_sha256"),
)
