"""The webhooks' tables, in a MetaData of their own (migrated by api/migrations/versions/0010_webhooks.py).

Endpoints, events and deliveries are merchant-scoped: each carries the tenant columns (`merchant_id`, a
foreign key to the merchant, and `livemode`) of `payments.merchants.tenant.tenant_columns`.
Times are BIGINT unix milliseconds: one exact type on both backends, compared in SQL by the worker's claim.
Endpoints are never deleted (a deleted one keeps its id so its events and deliveries still name it): deletion
is `deleted_at`. Each signing secret is a row, sealed with AES-256-GCM (`sealing`); a rotated-out secret keeps
signing until its `expires_at`. Events are the outbox: their `body` is the exact bytes every delivery sends.
"""

from typing import Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)

from chain.sql_naming import SQL_NAMING_CONVENTION
from payments.merchants.schema import merchants
from payments.merchants.tenant import tenant_columns

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)

endpoints: Final = Table(
    "webhook_endpoints",
    metadata,
    Column("id", String(32), primary_key=True),
    *tenant_columns(merchants),
    Column("url", String(2048), nullable=False),
    Column("enabled_events", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("deleted_at", BigInteger, nullable=True),
)

endpoint_secrets: Final = Table(
    "webhook_endpoint_secrets",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("endpoint_id", String(32), ForeignKey("webhook_endpoints.id"), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=True),
    Index("ix_webhook_endpoint_secrets_endpoint_id", "endpoint_id"),
)

events: Final = Table(
    "webhook_events",
    metadata,
    Column("id", String(32), primary_key=True),
    *tenant_columns(merchants),
    Column("type", String(128), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

deliveries: Final = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("event_id", String(32), ForeignKey("webhook_events.id"), nullable=False),
    Column("endpoint_id", String(32), ForeignKey("webhook_endpoints.id"), nullable=False),
    *tenant_columns(merchants),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", BigInteger, nullable=False),
    Column("lease_token", String(32), nullable=True),
    Column("lease_until", BigInteger, nullable=True),
    Column("last_status_code", Integer, nullable=True),
    Column("last_error", String(256), nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("delivered_at", BigInteger, nullable=True),
    CheckConstraint("status IN ('pending', 'succeeded', 'dead', 'canceled')", name="status_known"),
    CheckConstraint("attempts >= 0", name="attempts_not_negative"),
    Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_tenant", "merchant_id", "livemode", "status", "created_at", "id"),
)

replays: Final = Table(
    "webhook_replays",
    metadata,
    Column("scope", String(64), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("signature", String(64), nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("scope", "timestamp", "signature"),
    Index("ix_webhook_replays_expires_at", "expires_at"),
)
