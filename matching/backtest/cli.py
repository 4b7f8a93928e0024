"""`python -m matching.backtest candles|flow FILE --strategy NAME [-p NAME=VALUE ...] [--json]`.

Prints the result table (or, with `--json`, one JSON object). A bad input file, parameter or amount exits
with status 2 and one line on stderr naming what (and, for a file, the line) is wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from matching.backtest.inputs import BacktestInputError, read_candles, read_flow
from matching.backtest.replay import Result, run_candles, run_flow
from matching.backtest.report import as_json, table
from matching.backtest.strategies import STRATEGIES, make_strategy
from matching.markets import MarketSpec, MarketSpecError, markets
from matching.markets.spec import parse_units


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m matching.backtest", description=__doc__)
    parser.add_argument("source", choices=("candles", "flow"), help="a K-line CSV or a recorded flow (JSONL)")
    parser.add_argument("file", type=Path)
    parser.add_argument("--strategy", required=True, choices=sorted(STRATEGIES))
    parser.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--market", default="TPW-tUSD", help="the market whose ticks, lots and fees apply")
    parser.add_argument("--cash", default="10000", help="starting quote, a decimal (default 10000)")
    parser.add_argument("--base", default="0", help="starting base, whole lots (default 0)")
    parser.add_argument("--spread", type=int, default=1, help="candles: ticks the replay quotes off the open")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def run(args: argparse.Namespace) -> tuple[Result, MarketSpec]:
    spec = markets().get(args.market)
    if spec is None:
        raise ValueError(f"unknown market {args.market!r}; known: {', '.join(markets())}")
    params = dict(item.partition("=")[::2] for item in args.param)
    strategy = make_strategy(args.strategy, params)
    cash = parse_units(args.cash, spec.quote_decimals, "--cash")
    lots = 0 if args.base == "0" else spec.qty_lots(args.base, "--base")
    if args.spread < 0:
        raise ValueError("--spread must not be negative")
    if args.source == "candles":
        candles = read_candles(args.file, spec)
        return run_candles(spec, candles, strategy, cash=cash, lots=lots, spread=args.spread), spec
    return run_flow(spec, read_flow(args.file, spec), strategy, cash=cash, lots=lots), spec


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        result, spec = run(args)
    except (BacktestInputError, MarketSpecError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(as_json(result, spec)) if args.json else table(result, spec))
    return 0
