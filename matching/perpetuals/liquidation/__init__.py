"""Liquidation in tiers: partial (the smallest close that restores maintenance), then full; the book
first (reduce-only IOC orders at the bankruptcy price), then the insurance fund's take-over, then
auto-deleveraging when the fund cannot bear it."""

from matching.perpetuals.liquidation.adl import adl_queue, adl_score
from matching.perpetuals.liquidation.plan import (
    LiquidationPlan,
    bankruptcy_price,
    liquidation_order,
    partial_lots,
    plan_liquidation,
)

__all__ = [
    "LiquidationPlan",
    "adl_queue",
    "adl_score",
    "bankruptcy_price",
    "liquidation_order",
    "partial_lots",
    "plan_liquidation",
]
