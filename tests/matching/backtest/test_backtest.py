"""The backtest: deterministic, exact accounting (PnL = equity change, fees from the spec), the strategies
trade as designed on crafted candles, a recorded flow fills the strategy as a maker, and bad input is
refused naming its line."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from matching.backtest.cli import main
from matching.backtest.inputs import BacktestInputError, Candle, read_candles, read_flow
from matching.backtest.replay import Result, run_candles, run_flow
from matching.backtest.strategies import make_strategy
from matching.backtest.strategies.crossover import Crossover
from matching.backtest.strategies.grid import Grid
from matching.engine import Place, Side
from matching.markets import TPW_TUSD
from tests.matching.backtest.strategies import Fixed

SAMPLES = Path(__file__).parents[3] / "matching" / "backtest" / "samples"
CANDLES, FLOW = SAMPLES / "tpw-tusd-1h.csv", SAMPLES / "tpw-tusd-flow.jsonl"
HEADER = "ts,open,high,low,close,volume\n"
UNIT = 10**6  # a tUSD ledger unit is 10^-6 tUSD
spec = TPW_TUSD


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main([*args, "--json"]) == 0
    parsed: dict[str, object] = json.loads(capsys.readouterr().out)
    return parsed


def assert_exact(result: Result) -> None:
    assert result.pnl == result.end_equity - result.start_equity
    assert result.max_drawdown >= 0


@pytest.mark.parametrize("strategy", ["grid", "crossover"])
@pytest.mark.parametrize(("source", "path"), [("candles", CANDLES), ("flow", FLOW)])
def test_runs_repeat_exactly(
    capsys: pytest.CaptureFixture[str], strategy: str, source: str, path: Path
) -> None:
    args = (source, str(path), "--strategy", strategy, "--base", "50")
    first = cli_json(capsys, *args)
    assert first == cli_json(capsys, *args)
    assert first["fills"] != 0
    assert isinstance(first["pnl"], str)  # money as decimal strings


def test_the_module_runs_and_prints_a_table() -> None:
    command = [sys.executable, "-m", "matching.backtest", "candles", str(CANDLES), "--strategy", "grid"]
    shown = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    for label in ("PnL", "realised", "unrealised", "max drawdown", "fills", "fees paid", "volume (base)"):
        assert label in shown


def test_grid_fills_as_maker_and_accounts_exactly() -> None:
    candles = read_candles(CANDLES, spec)
    result = run_candles(spec, candles, Grid(), cash=10_000 * UNIT, lots=20)
    assert_exact(result)
    assert result.fills > 0
    # the grid never crosses the replay's quotes, so every fill rested: the maker fee on all the volume
    assert result.fees == spec.fee(result.volume_quote, spec.maker_fee_bps)


def test_crossover_buys_after_a_rise_and_sells_after_a_fall() -> None:
    closes = [200] * 6 + [210, 220, 230, 240] + [200, 160, 120, 100]
    candles, previous = [], 200
    for hour, close in enumerate(closes):
        candles.append(Candle(hour * 3600, previous, max(previous, close), min(previous, close), close, 100))
        previous = close
    result = run_candles(spec, candles, Crossover(fast=2, slow=5, qty=10), cash=1_000 * UNIT, spread=1)
    # the cross up is seen at candle 7's open (the previous close, 210, lifts the fast average above):
    # bought 10 at that open + 1 tick; the cross down at candle 11's open (the previous close, 200, brings
    # the fast average, 220, level with the slow one): sold 10 at that open - 1 tick; both IOC against the
    # replay's quotes, so both pay the taker fee
    bought, sold = spec.notional(10, closes[6] + 1), spec.notional(10, closes[10] - 1)
    fees = spec.fee(bought, spec.taker_fee_bps) + spec.fee(sold, spec.taker_fee_bps)
    assert (result.fills, result.position) == (2, 0)
    assert result.fees == fees
    assert result.realised == sold - bought - fees
    assert result.unrealised == 0
    assert_exact(result)
    assert result.max_drawdown > 0  # it held through the fall to 160


def test_candle_volume_bounds_the_fills() -> None:
    candle = Candle(0, 250, 250, 240, 240, 3)
    result = run_candles(spec, [candle], Grid(levels=5, step=1, offset=1, qty=2), cash=1_000 * UNIT)
    assert result.volume_lots == 3  # bids at 2.49 .. 2.45 want 10 lots; the candle traded 3


def test_unfunded_orders_are_refused_and_cash_never_goes_below_zero() -> None:
    candles = read_candles(CANDLES, spec)
    result = run_candles(spec, candles, Grid(levels=5, qty=50), cash=300 * UNIT)
    assert result.refused > 0
    assert result.end_equity - spec.notional(result.position, result.mark) >= 0


def test_a_recorded_flow_fills_a_resting_strategy_order(tmp_path: Path) -> None:
    flow = tmp_path / "flow.jsonl"
    records = [
        {"ts": 10, "op": "place", "id": 1, "account": 5, "side": "sell", "price": "2.60", "qty": "3"},
        {"ts": 20, "op": "place", "id": 2, "account": 6, "side": "buy", "price": "2.60", "qty": "2"},
        {
            "ts": 30,
            "op": "place",
            "id": 3,
            "account": 6,
            "side": "sell",
            "price": "2.40",
            "qty": "4",
            "tif": "ioc",
        },
    ]
    flow.write_text("".join(json.dumps(record) + "\n" for record in records))
    commands = read_flow(flow, spec)
    assert isinstance(commands[0], Place)
    # after the first trade (2.60) the strategy rests a bid of 4 at 2.50; the recorded seller hits it
    result = run_flow(spec, commands, Fixed(Side.BUY, 250, 4), cash=100 * UNIT)
    assert (result.fills, result.position, result.mark) == (1, 4, 250)
    assert result.fees == spec.fee(spec.notional(4, 250), spec.maker_fee_bps)
    assert_exact(result)


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("ts,open,high,low,close\n", 1, "header"),
        (HEADER + "1,2.50,2.60,2.40,2.55,10\n2,2.505,2.6,2.4,2.5,1\n", 3, "open"),
        (HEADER + "1,2.50,2.60,2.40,2.55,10\n2,2.50,2.52,2.40,2.55,1\n", 3, "bound"),
        (
            "ts,open,high,low,close,volume\n5,2.50,2.60,2.40,2.55,10\n5,2.50,2.60,2.40,2.55,1\n",
            3,
            "not after",
        ),
        (HEADER + "1,2.50,2.60,2.40,2.55\n", 2, "fields"),
        (HEADER + "x,2.50,2.60,2.40,2.55,1\n", 2, "ts"),
    ],
)
def test_bad_candles_are_refused_naming_the_line(tmp_path: Path, text: str, line: int, says: str) -> None:
    path = tmp_path / "k.csv"
    path.write_text(text)
    with pytest.raises(BacktestInputError, match=f"k.csv:{line}: .*{says}"):
        read_candles(path, spec)


@pytest.mark.parametrize(
    ("second", "says"),
    [
        ("{not json", "Expecting"),
        (
            '{"ts": 5, "op": "place", "id": 2, "account": 1, "side": "buy", "price": "1", "qty": "1"}',
            "strategy",
        ),
        ('{"ts": 5, "op": "amend", "id": 2, "account": 3}', "op must be"),
        ('{"ts": 5, "op": "place", "id": 2, "account": 3, "side": "up", "price": "1", "qty": "1"}', "side"),
        ('{"ts": 5, "op": "place", "id": 2, "account": 3, "side": "buy", "price": 1, "qty": "1"}', "decimal"),
        ('{"ts": 1, "op": "cancel", "id": 2, "account": 3}', "goes back"),
    ],
)
def test_bad_flow_records_are_refused_naming_the_line(tmp_path: Path, second: str, says: str) -> None:
    path = tmp_path / "f.jsonl"
    path.write_text('{"ts": 3, "op": "cancel", "id": 1, "account": 3}\n' + second + "\n")
    with pytest.raises(BacktestInputError, match=f"f.jsonl:2: .*{says}"):
        read_flow(path, spec)


def test_the_cli_refuses_bad_input_with_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    path.write_text(HEADER + "1,2.50,2.60,2.70,2.55,10\n")
    assert main(["candles", str(path), "--strategy", "grid"]) == 2
    assert capsys.readouterr().err.startswith(f"error: {path}:2: ")
    assert main(["candles", str(CANDLES), "--strategy", "grid", "-p", "levels=0"]) == 2
    assert "levels" in capsys.readouterr().err
    assert main(["candles", str(CANDLES), "--strategy", "crossover", "-p", "fast=9", "-p", "slow=3"]) == 2
    assert main(["candles", str(CANDLES), "--strategy", "grid", "--cash", "1.0000001"]) == 2
    assert main(["candles", str(tmp_path / "missing.csv"), "--strategy", "grid"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_strategy_parameters_are_checked() -> None:
    assert make_strategy("grid", {"levels": "3"}) == Grid(levels=3)
    with pytest.raises(ValueError, match="no parameter 'depth'"):
        make_strategy("grid", {"depth": "3"})
    with pytest.raises(ValueError, match="unknown strategy"):
        make_strategy("martingale", {})
