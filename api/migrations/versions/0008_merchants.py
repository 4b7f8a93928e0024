"""Merchants (payments/merchants/schema.py): accounts with their fee schedule, client certificates by
fingerprint, and the merchant and mode of a merchant's API key (an operator's key keeps neither).

Revision ID: 0008_merchants
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

METHODS = ("card", "bank", "stablecoin")


def upgrade() -> None:
    op.create_table(
        "merchants",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("legal_name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("settlement_currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        *(
            column
            for method in METHODS
            for column in (
                sa.Column(f"{method}_fee_bps", sa.Integer(), nullable=False),
                sa.Column(f"{method}_fee_fixed", sa.BigInteger(), nullable=False),
            )
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('applied', 'active', 'rejected', 'suspended')", name=op.f("ck_merchants_status_known")
        ),
        *(
            sa.CheckConstraint(
                f"{method}_fee_bps >= 0 AND {method}_fee_bps <= 10000 AND {method}_fee_fixed >= 0",
                name=op.f(f"ck_merchants_{method}_fee_in_range"),
            )
            for method in METHODS
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merchants")),
    )
    op.create_table(
        "merchant_certificates",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("merchant_id", sa.String(length=32), nullable=False),
        sa.Column("livemode", sa.Boolean(), nullable=False),
        sa.Column("serial_number", sa.String(length=40), nullable=False),
        sa.Column("fingerprint_sha256", sa.String(length=64), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_merchant_certificates_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merchant_certificates")),
        sa.UniqueConstraint("fingerprint_sha256", name="uq_merchant_certificates_fingerprint_sha256"),
    )
    op.create_index(
        op.f("ix_merchant_certificates_merchant_id"), "merchant_certificates", ["merchant_id", "livemode"]
    )
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("merchant_id", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("livemode", sa.Boolean(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_api_keys_merchant_id_merchants"), "merchants", ["merchant_id"], ["id"]
        )
        batch.create_check_constraint(
            op.f("ck_api_keys_merchant_keys_have_a_mode"), "(merchant_id IS NULL) = (livemode IS NULL)"
        )
        batch.create_index(op.f("ix_api_keys_merchant_id"), ["merchant_id"])


def downgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_index(op.f("ix_api_keys_merchant_id"))
        batch.drop_constraint(op.f("ck_api_keys_merchant_keys_have_a_mode"), type_="check")
        batch.drop_constraint(op.f("fk_api_keys_merchant_id_merchants"), type_="foreignkey")
        batch.drop_column("livemode")
        batch.drop_column("merchant_id")
    op.drop_index(op.f("ix_merchant_certificates_merchant_id"), table_name="merchant_certificates")
    op.drop_table("merchant_certificates")
    op.drop_table("merchants")
