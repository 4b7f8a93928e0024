"""Off-market trade surveillance (risk/monitoring/surveillance.py): `monitoring_trades`, the settled trades
the monitoring checked, what each one's losing side gave away against the market's reference price, and to
whom; and the two indexes of `settlement_trades` the surveillance reads by (market and time, time alone).

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0041"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitoring_trades",
        sa.Column("trade_id", sa.String(length=128), nullable=False),
        sa.Column("recorded_us", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=8), nullable=False),
        sa.Column("given", sa.BigInteger(), nullable=False),
        sa.Column("loser", sa.String(length=64), nullable=True),
        sa.Column("gainer", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("trade_id", name="pk_monitoring_trades"),
    )
    op.create_index("ix_monitoring_trades_recorded_us", "monitoring_trades", ["recorded_us"])
    op.create_index("ix_monitoring_trades_loser", "monitoring_trades", ["loser", "recorded_us"])
    op.create_index("ix_settlement_trades_market", "settlement_trades", ["market", "recorded_us"])
    op.create_index("ix_settlement_trades_recorded_us", "settlement_trades", ["recorded_us"])


def downgrade() -> None:
    op.drop_index("ix_settlement_trades_recorded_us", table_name="settlement_trades")
    op.drop_index("ix_settlement_trades_market", table_name="settlement_trades")
    op.drop_index("ix_monitoring_trades_loser", table_name="monitoring_trades")
    op.drop_index("ix_monitoring_trades_recorded_us", table_name="monitoring_trades")
    op.drop_table("monitoring_trades")
