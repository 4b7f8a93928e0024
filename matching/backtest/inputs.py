"""The two inputs a backtest replays, read strictly: a K-line CSV and a recorded order flow (JSONL).

Prices and quantities are decimal strings read exactly into ticks and lots by the market's spec (a price
off the tick is refused, never rounded); timestamps are integers. Every refusal is a `BacktestInputError`
naming the file, the line and what is wrong with it, so a bad row is found without a debugger.

K-lines: a header `ts,open,high,low,close,volume`, then one candle a row: `ts` in unix seconds, strictly
increasing; high the highest and low the lowest of the four prices; volume in base (0 allowed).

Order flow: one JSON object a line, `ts` in µs (never going back), `op` `place` or `cancel`, `id` and
`account` positive integers (not the strategy's: account 1 and ids from 2^62 are reserved); a place has
`side` (buy/sell), `price`, `qty` and optionally `tif` (gtc, ioc, fok).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from matching.backtest.venue import STRATEGY, STRATEGY_IDS
from matching.engine import Cancel, Command, Kind, Place, Side, Tif
from matching.markets import MarketSpec, MarketSpecError

CANDLE_HEADER: Final = ["ts", "open", "high", "low", "close", "volume"]
SIDES: Final = {"buy": Side.BUY, "sell": Side.SELL}
TIFS: Final = {"gtc": Tif.GTC, "ioc": Tif.IOC, "fok": Tif.FOK}


class BacktestInputError(ValueError):
    """An input the backtest refuses; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Candle:
    """One K-line: `ts` in unix seconds, prices in ticks, volume in lots."""

    ts: int
    open: int
    high: int
    low: int
    close: int
    volume: int


def _integer(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{name} must be an integer")
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name} must be an integer, not {value!r}") from None
    if number <= 0:
        raise ValueError(f"{name} must be positive")
    return number


def _volume(spec: MarketSpec, text: str) -> int:
    return 0 if text.strip() in ("0", "0.0") else spec.qty_lots(text, "volume")


def _candle(spec: MarketSpec, row: list[str]) -> Candle:
    if len(row) != len(CANDLE_HEADER):
        raise ValueError(f"expected {len(CANDLE_HEADER)} fields ({','.join(CANDLE_HEADER)}), got {len(row)}")
    ts = _integer(row[0], "ts")
    open_, high, low, close = (
        spec.price_ticks(text, name) for text, name in zip(row[1:5], CANDLE_HEADER[1:5], strict=True)
    )
    if high < max(open_, close, low) or low > min(open_, close):
        raise ValueError(f"high {row[2]} and low {row[3]} must bound open {row[1]} and close {row[4]}")
    return Candle(ts, open_, high, low, close, _volume(spec, row[5]))


def read_candles(path: Path, spec: MarketSpec) -> list[Candle]:
    """The candles of a K-line CSV, oldest first."""
    candles: list[Candle] = []
    reader = csv.reader(_lines(path))
    header = next(reader, None)
    if header is None or [name.strip() for name in header] != CANDLE_HEADER:
        raise BacktestInputError(f"{path}:1: the header must be {','.join(CANDLE_HEADER)}")
    for row in reader:
        if not row:
            continue
        try:
            candle = _candle(spec, [field.strip() for field in row])
            if candles and candle.ts <= candles[-1].ts:
                raise ValueError(f"ts {candle.ts} is not after the previous row's {candles[-1].ts}")
        except (ValueError, MarketSpecError) as error:
            raise BacktestInputError(f"{path}:{reader.line_num}: {error}") from None
        candles.append(candle)
    if not candles:
        raise BacktestInputError(f"{path}: no candles")
    return candles


def _command(spec: MarketSpec, record: Any) -> Command:
    if not isinstance(record, dict):
        raise ValueError("a line must be a JSON object")
    ts = _integer(record.get("ts"), "ts")
    order_id, account = _integer(record.get("id"), "id"), _integer(record.get("account"), "account")
    if account == STRATEGY or order_id >= STRATEGY_IDS:
        raise ValueError(f"account {STRATEGY} and ids from 2^62 are the strategy's")
    op = record.get("op")
    if op == "cancel":
        return Cancel(ts, order_id, account)
    if op != "place":
        raise ValueError(f"op must be place or cancel, not {op!r}")
    side, tif = record.get("side"), record.get("tif", "gtc")
    if side not in SIDES:
        raise ValueError(f"side must be buy or sell, not {side!r}")
    if tif not in TIFS:
        raise ValueError(f"tif must be one of {', '.join(TIFS)}, not {tif!r}")
    price, qty = record.get("price"), record.get("qty")
    if not isinstance(price, str) or not isinstance(qty, str):
        raise ValueError("price and qty must be decimal strings")
    return Place(
        ts,
        order_id,
        account,
        SIDES[side],
        Kind.LIMIT,
        spec.qty_lots(qty),
        spec.price_ticks(price),
        tif=TIFS[tif],
    )


def read_flow(path: Path, spec: MarketSpec) -> list[Command]:
    """The commands of a recorded order flow, in order."""
    commands: list[Command] = []
    for number, line in enumerate(_lines(path), 1):
        if not line.strip():
            continue
        try:
            command = _command(spec, json.loads(line))
            if commands and command.ts < commands[-1].ts:
                raise ValueError(f"ts {command.ts} goes back from {commands[-1].ts}")
        except (ValueError, MarketSpecError) as error:  # json.JSONDecodeError is a ValueError
            raise BacktestInputError(f"{path}:{number}: {error}") from None
        commands.append(command)
    if not commands:
        raise BacktestInputError(f"{path}: no records")
    return commands


def _lines(path: Path) -> list[str]:
    """`path`'s lines; its absence, unreadability or bytes that are not UTF-8 a `BacktestInputError`."""
    try:
        return path.read_text(encoding="utf-8").splitlines(keepends=True)
    except OSError as error:
        raise BacktestInputError(f"{path}: cannot read it ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise BacktestInputError(f"{path}: not UTF-8 text (byte {error.start})") from None
