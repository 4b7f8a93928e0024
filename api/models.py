"""The API's tables as typed ORM models: the cache of decoded chain events, API keys, idempotency keys, and
the custody keys, sign requests and operator approvals the API hosts.

A receipt's decoded events are stored only once its block is final (`ApiSettings.finality_blocks` deep), so
the cache never has to be rewound on a reorg; a receipt that is not final yet is always read from the chain.
Events hang off their receipt, so a transaction whose logs hold none of our events is cached too.

Custody tables hold only public material: a key's public key package, the intents asked for, the operators'
approvals (signatures anyone may see) and the group signatures. Shares live on the signer nodes alone.
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base
from payments.merchants.schema import merchants

HASH_LENGTH = 66  # 0x + 32 bytes in hex
ADDRESS_LENGTH = 42  # 0x + 20 bytes in hex
NAME_LENGTH = 128
SCOPES_LENGTH = 1024
"""Room for every scope name, space-separated, as features add them."""
API_KEY_ID_LENGTH = 16  # 8 random bytes in hex
SHA256_HEX_LENGTH = 64
IDEMPOTENCY_KEY_LENGTH = 255
PATH_LENGTH = 512
CUSTODY_KEY_ID_LENGTH = 64  # custody.protocol.ids.KEY_ID_PATTERN
SIGNATURE_HEX_LENGTH = 132  # 0x + 65 bytes in hex (FROST (R, z) or an ECDSA r || s || v)
STATUS_LENGTH = 16
RECOVERY_POINT_LENGTH = 64


def owned_children(parent: str, order_by: str) -> Any:
    """A one-to-many relationship to rows that belong to their parent: loaded with it (in one more query, in
    `order_by` order), and deleted with it or when taken out of the list; `parent` names the way back."""
    return relationship(
        back_populates=parent, cascade="all, delete-orphan", order_by=order_by, lazy="selectin"
    )


class ChainReceipt(Base):
    """A final transaction receipt whose events were decoded once and kept."""

    __tablename__ = "chain_receipts"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tx_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    status: Mapped[int] = mapped_column(SmallInteger)
    cached_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    events: Mapped[list["ChainEvent"]] = owned_children("receipt", "ChainEvent.log_index")


class ChainEvent(Base):
    """One decoded log of a contract we deployed, at `log_index` in its block."""

    __tablename__ = "chain_events"
    __table_args__ = (
        ForeignKeyConstraint(
            ["chain_id", "tx_hash"],
            ["chain_receipts.chain_id", "chain_receipts.tx_hash"],
            ondelete="CASCADE",
        ),
    )

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tx_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), primary_key=True)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    contract_type: Mapped[str] = mapped_column(String(NAME_LENGTH))
    contract_address: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    event_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    args: Mapped[dict[str, Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))

    receipt: Mapped[ChainReceipt] = relationship(back_populates="events")


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend: SQLite keeps no zone, so one is put back on reading."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a naive datetime has no meaning here; pass a timezone-aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


class ApiKey(Base):
    """A caller's API key: its public id, the SHA-256 of its secret (never the secret), scopes, revocation."""

    __tablename__ = "api_keys"
    __table_args__ = (  # a merchant's key has a mode; an operator's has neither
        CheckConstraint("(merchant_id IS NULL) = (livemode IS NULL)", name="merchant_keys_have_a_mode"),
    )

    id: Mapped[str] = mapped_column(String(API_KEY_ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    secret_sha256: Mapped[str] = mapped_column(String(SHA256_HEX_LENGTH))
    scopes: Mapped[str] = mapped_column(String(SCOPES_LENGTH))  # space-separated scope names
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    merchant_id: Mapped[str | None] = mapped_column(ForeignKey(merchants.c.id), index=True)
    """The merchant a key acts for (`payments.merchants.tenant`), in the mode `livemode` says; None for the
    operators' keys, which act for no merchant."""
    livemode: Mapped[bool | None] = mapped_column(Boolean)

    def __repr__(self) -> str:
        return f"ApiKey(id={self.id!r}, name={self.name!r}, scopes={self.scopes!r})"


class IdempotencyKey(Base):
    """One caller's idempotency key: the request it was first used for and, once done, the response.

    The primary key (principal, key) is the unique constraint two concurrent first uses race on. A row whose
    `status_code` is null is in flight, claimed by `claim_token` since `locked_at` (or, with no claim token,
    free for a retry to resume), its work committed up to `recovery_point` (`api.idempotency`).
    """

    __tablename__ = "idempotency_keys"

    principal: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    key: Mapped[str] = mapped_column(String(IDEMPOTENCY_KEY_LENGTH), primary_key=True)
    request_sha256: Mapped[str] = mapped_column(String(SHA256_HEX_LENGTH))
    request_path: Mapped[str] = mapped_column(String(PATH_LENGTH))
    claim_token: Mapped[str | None] = mapped_column(String(SHA256_HEX_LENGTH))
    locked_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    recovery_point: Mapped[str] = mapped_column(String(RECOVERY_POINT_LENGTH), default="started")
    recovery_data: Mapped[dict[str, Any]] = mapped_column(
        JSON().with_variant(JSONB(), "postgresql"), default=dict
    )


class CustodyKey(Base):
    """A custody group key the API made by DKG, or registered from its holders' signed statements: its
    public key package, nothing secret."""

    __tablename__ = "custody_keys"

    key_id: Mapped[str] = mapped_column(String(CUSTODY_KEY_ID_LENGTH), primary_key=True)
    public_key_package: Mapped[bytes] = mapped_column(LargeBinary)  # PublicKeyPackage.to_bytes()
    created_by: Mapped[str] = mapped_column(String(API_KEY_ID_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class CustodySignRequest(Base):
    """A request to sign one typed intent with one custody key, and what the nodes made of it so far."""

    __tablename__ = "custody_sign_requests"
    __table_args__ = (  # the lists' keyset orders (`api.pagination`): all, by status, by creator
        Index("ix_custody_sign_requests_created", "created_at", "id"),
        Index("ix_custody_sign_requests_status_created", "status", "created_at", "id"),
        Index("ix_custody_sign_requests_creator_created", "created_by", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(HASH_LENGTH), primary_key=True)  # 0x + 32 random bytes
    key_id: Mapped[str] = mapped_column(ForeignKey("custody_keys.key_id"), index=True)
    intent: Mapped[dict[str, Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))  # envelope
    digest: Mapped[str] = mapped_column(String(HASH_LENGTH))
    status: Mapped[str] = mapped_column(String(STATUS_LENGTH))
    reasons: Mapped[list[str]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))
    nodes: Mapped[dict[str, Any]] = mapped_column(JSON().with_variant(JSONB(), "postgresql"))  # last attempt
    anchor_leaves: Mapped[dict[str, Any] | None] = mapped_column(  # an Anchor's batch, sent on every attempt
        JSON().with_variant(JSONB(), "postgresql"), nullable=True
    )
    bridge_messages: Mapped[dict[str, Any] | None] = mapped_column(  # a BridgeBatch's, sent on every attempt
        JSON().with_variant(JSONB(), "postgresql"), nullable=True
    )
    attempts: Mapped[int] = mapped_column(Integer)
    signature: Mapped[str | None] = mapped_column(String(SIGNATURE_HEX_LENGTH))
    created_by: Mapped[str] = mapped_column(String(API_KEY_ID_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    approvals: Mapped[list["CustodyApproval"]] = owned_children("sign_request", "CustodyApproval.id")


class CustodyApproval(Base):
    """One operator's EIP-712 approval of one sign request; one per operator and request."""

    __tablename__ = "custody_approvals"
    __table_args__ = (UniqueConstraint("request_id", "operator"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    request_id: Mapped[str] = mapped_column(ForeignKey("custody_sign_requests.id", ondelete="CASCADE"))
    operator: Mapped[str] = mapped_column(String(ADDRESS_LENGTH))
    signature: Mapped[str] = mapped_column(String(SIGNATURE_HEX_LENGTH))
    submitted_by: Mapped[str] = mapped_column(String(API_KEY_ID_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    sign_request: Mapped[CustodySignRequest] = relationship(back_populates="approvals")
