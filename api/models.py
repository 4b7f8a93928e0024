"""The API's tables as typed ORM models: the cache of decoded chain events.

A receipt's decoded events are stored only once its block is final (`ApiSettings.finality_blocks` deep), so
the cache never has to be rewound on a reorg; a receipt that is not final yet is always read from the chain.
Events hang off their receipt, so a transaction whose logs hold none of our events is cached too.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKeyConstraint, Integer, SmallInteger, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base

HASH_LENGTH = 66  # 0x + 32 bytes in hex
ADDRESS_LENGTH = 42  # 0x + 20 bytes in hex
NAME_LENGTH = 128


class ChainReceipt(Base):
    """A final transaction receipt whose events were decoded once and kept."""

    __tablename__ = "chain_receipts"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    tx_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger)
    block_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    status: Mapped[int] = mapped_column(SmallInteger)
    cached_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    events: Mapped[list["ChainEvent"]] = relationship(
        back_populates="receipt",
        cascade="all, delete-orphan",
        order_by="ChainEvent.log_index",
        lazy="selectin",
    )


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
