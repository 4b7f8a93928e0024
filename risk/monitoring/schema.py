"""The monitoring's tables, in a MetaData of their own (migrated by 0019_monitoring). Times are unix seconds.

`monitoring_alerts` holds each alert: what was found (check, reason, figures as JSON), about whom (the
ledger owner, or a payout's refund), and where its review stands. `monitoring_holds` holds each ledger hold
a freeze placed (the pending transfer's id) and when it was voided. `monitoring_observed` is the journal
consumer's memory: the ledger transfers already checked, by id, kept for `LOOKBACK_SECONDS`, so a transfer
committed late (its timestamp is taken before it waits for locks) is still checked once and never twice.
`monitoring_trades` is the trade surveillance's memory (migrated by 0041): each settled trade checked, by id,
with what its losing side gave away against the reference (0 for a trade near the market) and to whom, kept
for the longer of the off-market window and `LOOKBACK_US` twice: the sums per trader and per pair are read
from it, and a trade in it is never checked again. `monitoring_sightings` keeps a subject's last country
(never the IP); `monitoring_audit` the hash-chained record of every alert, freeze, release and decision
(`risk.monitoring.audit`).
"""

from typing import Final

from sqlalchemy import BigInteger, Column, ForeignKey, Index, MetaData, String, Table, Text

from chain.sql_naming import SQL_NAMING_CONVENTION

metadata: Final = MetaData(naming_convention=SQL_NAMING_CONVENTION)

alerts: Final = Table(
    "monitoring_alerts",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("check", String(32), nullable=False),
    Column("subject_kind", String(16), nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("account_id", BigInteger, nullable=True),
    Column("transfer_id", BigInteger, nullable=True),
    Column("reason", String(512), nullable=False),
    Column("details", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("case_id", String(64), nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("decided_at", BigInteger, nullable=True),
    Column("decided_by", String(64), nullable=True),
    Column("decision_reason", String(512), nullable=True),
    Index("ix_monitoring_alerts_subject", "subject_kind", "subject_id", "status"),
    Index("ix_monitoring_alerts_status", "status", "created_at"),
)

holds: Final = Table(
    "monitoring_holds",
    metadata,
    Column("transfer_id", BigInteger, primary_key=True, autoincrement=False),
    Column("alert_id", String(32), ForeignKey("monitoring_alerts.id"), nullable=False),
    Column("account_id", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("released_at", BigInteger, nullable=True),
    Index("ix_monitoring_holds_alert_id", "alert_id"),
)

observed: Final = Table(
    "monitoring_observed",
    metadata,
    Column("transfer_id", BigInteger, primary_key=True, autoincrement=False),
    Column("timestamp", BigInteger, nullable=False),  # the transfer's, ns since the epoch
    Index("ix_monitoring_observed_timestamp", "timestamp"),
)

trades: Final = Table(
    "monitoring_trades",
    metadata,
    Column("trade_id", String(128), primary_key=True),
    Column("recorded_us", BigInteger, nullable=False),  # the trade's, microseconds since the epoch
    Column("currency", String(8), nullable=False),
    Column("given", BigInteger, nullable=False),  # quote minor units the loser gave away, 0 when none
    Column("loser", String(64), nullable=True),  # the losing side's ledger owner id
    Column("gainer", String(64), nullable=True),
    Index("ix_monitoring_trades_recorded_us", "recorded_us"),
    Index("ix_monitoring_trades_loser", "loser", "recorded_us"),
)

sightings: Final = Table(
    "monitoring_sightings",
    metadata,
    Column("subject_kind", String(16), primary_key=True),
    Column("subject_id", String(64), primary_key=True),
    Column("country", String(2), nullable=False),
    Column("at", BigInteger, nullable=False),
)

audit: Final = Table(
    "monitoring_audit",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("line", Text, nullable=False),
)
