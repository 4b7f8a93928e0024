"""Backtests (issue 13, point 9): a strategy replayed against the same matching engine as the markets.

`python -m matching.backtest candles FILE` or `... flow FILE` (`matching.backtest.cli`) runs one of the
strategies of `matching.backtest.strategies` over a K-line CSV or a recorded order flow (JSONL) and prints
its PnL, drawdown, fills, fees and volume. Everything is integers (ticks, lots, ledger minor units) and
nothing reads a clock or a random source, so a run repeats exactly. Pure: no ledger, journal or database.
"""
