"""`config/pretrade.yaml`: the shipped file loads; every fault names the file, the line and the entry."""

from pathlib import Path

import pytest

from chain.paths import PROJECT_ROOT
from risk.engine import RuleFileError
from risk.pretrade.config import load_pretrade

SHIPPED = PROJECT_ROOT / "config" / "pretrade.yaml"
GOOD = """version: 1
rate_limit: {per_second: 5, burst: 10}
defaults:
  max_position_lots: 100
  max_order_lots: 10
  max_order_notional: 1_000_000
  price_band_bps: 500
  market_protection_bps: 200
  cooldown_seconds: 60
markets:
  TPW-tUSD: {max_order_lots: 3}
  TPW-PERP: {derivative: true, step_up_notional: 5_000}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pretrade.yaml"
    path.write_text(text)
    return path


def test_the_shipped_file_loads() -> None:
    config = load_pretrade(SHIPPED)
    assert config.limits("TPW-tUSD").max_order_lots >= 1
    assert config.rate.burst >= 1
    assert config.limits("TPW-20270326-2.5-C").derivative  # every option series, by pattern
    assert not config.limits("TPW-tUSD").derivative


def test_a_pattern_covers_markets_that_come_and_go_and_a_market_s_own_key_wins(tmp_path: Path) -> None:
    text = GOOD + '  "TPW-*-[CP]": {derivative: true, step_up_notional: 7}\n  "TPW-*": {max_order_lots: 2}\n'
    config = load_pretrade(write(tmp_path, text.replace("  TPW-tUSD: {max_order_lots: 3}\n", "")))
    assert config.limits("TPW-20270326-2.5-C").step_up_notional == 7  # the first pattern that matches
    assert config.limits("TPW-PERP").step_up_notional == 5_000  # its own key, though patterns match
    assert config.limits("TPW-tUSD").max_order_lots == 2
    assert config.limits("ETH-tUSD") == config.defaults


def test_a_market_overrides_the_defaults_it_names_and_keeps_the_rest(tmp_path: Path) -> None:
    config = load_pretrade(write(tmp_path, GOOD))
    spot, perp, other = (config.limits(name) for name in ("TPW-tUSD", "TPW-PERP", "ANY"))
    assert (spot.max_order_lots, spot.max_position_lots, spot.derivative) == (3, 100, False)
    assert (perp.derivative, perp.step_up_notional, perp.max_order_lots) == (True, 5_000, 10)
    assert other == config.defaults
    assert (config.rate.per_second, config.rate.burst) == (5.0, 10)


@pytest.mark.parametrize(
    ("old", "new", "line", "says"),
    [
        (
            "  TPW-tUSD: {max_order_lots: 3}",
            "  TPW-tUSD: {max_order_lot: 3}",
            11,
            "markets TPW-tUSD: unknown key",
        ),
        (
            "  TPW-tUSD: {max_order_lots: 3}",
            "  TPW-tUSD: {max_order_lots: 0}",
            11,
            "markets TPW-tUSD max_order_lots",
        ),
        ("  price_band_bps: 500", "  price_band_bps: 10_000", 7, "defaults price_band_bps must be under"),
        ("  cooldown_seconds: 60\n", "", 4, "defaults: missing key 'cooldown_seconds'"),
        (
            "  TPW-PERP: {derivative: true, step_up_notional: 5_000}",
            "  TPW-PERP: {derivative: true}",
            12,
            "markets TPW-PERP: a derivative market needs step_up_notional",
        ),
        ("rate_limit: {per_second: 5, burst: 10}", "rate_limit: {per_second: 0, burst: 10}", 2, "per_second"),
        ("version: 1", "version: 2", 1, "version must be 1"),
    ],
)
def test_a_fault_names_file_line_and_entry(tmp_path: Path, old: str, new: str, line: int, says: str) -> None:
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new))
    with pytest.raises(RuleFileError) as raised:
        load_pretrade(path)
    assert (raised.value.path, raised.value.line) == (str(path), line)
    assert says in raised.value.problem
    assert str(raised.value).startswith(f"{path}:{line}: ")
