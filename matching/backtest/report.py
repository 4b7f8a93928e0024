"""A backtest's result as people read it (a table) and as programs do (one JSON object).

Money is the quote currency's ledger units shown as exact decimals (`units_text`), never through a float;
the drawdown is also given in basis points of the peak it fell from.
"""

from __future__ import annotations

from typing import Any

from matching.backtest.replay import Result
from matching.markets import MarketSpec
from matching.markets.spec import units_text

QUOTE_NAMES = {"QTU": "tUSD"}


def as_json(result: Result, spec: MarketSpec) -> dict[str, Any]:
    """Every figure: money and quantities as decimal strings, counts as integers."""

    def money(units: int) -> str:
        return units_text(units, spec.quote_decimals)

    return {
        "market": spec.id,
        "strategy": result.strategy,
        "quote": QUOTE_NAMES.get(spec.quote, spec.quote),
        "bars": result.bars,
        "fills": result.fills,
        "refused_orders": result.refused,
        "pnl": money(result.pnl),
        "realised_pnl": money(result.realised),
        "unrealised_pnl": money(result.unrealised),
        "fees": money(result.fees),
        "volume": spec.qty_text(result.volume_lots) if result.volume_lots else "0",
        "volume_quote": money(result.volume_quote),
        "max_drawdown": money(result.max_drawdown),
        "max_drawdown_bps": result.max_drawdown_bps,
        "start_equity": money(result.start_equity),
        "end_equity": money(result.end_equity),
        "position": spec.qty_text(result.position) if result.position else "0",
        "mark": spec.price_text(result.mark),
    }


LABELS = {
    "strategy": "strategy",
    "bars": "bars",
    "fills": "fills",
    "refused_orders": "orders refused",
    "pnl": "PnL",
    "realised_pnl": "  realised",
    "unrealised_pnl": "  unrealised",
    "fees": "fees paid",
    "volume": "volume (base)",
    "volume_quote": "volume (quote)",
    "max_drawdown": "max drawdown",
    "max_drawdown_bps": "max drawdown (bps)",
    "start_equity": "start equity",
    "end_equity": "end equity",
    "position": "position (base)",
    "mark": "last mark",
}


def table(result: Result, spec: MarketSpec) -> str:
    """A two-column table of `as_json`'s figures, money in the quote currency."""
    figures = as_json(result, spec)
    width = max(len(label) for label in LABELS.values())
    lines = [f"backtest {spec.id}, amounts in {figures['quote']}", "-" * (width + 24)]
    lines += [f"{label:<{width}}  {figures[key]:>20}" for key, label in LABELS.items()]
    return "\n".join(lines)
