"""The thresholds file: the shipped one loads; every fault is refused with its file and line."""

from pathlib import Path

import pytest

from risk.engine.errors import RuleFileError
from risk.monitoring.config import load_config
from tests.risk.monitoring.conftest import CONFIG_DIR

SHIPPED = (CONFIG_DIR / "monitoring.yaml").read_text()


def test_the_shipped_file_loads() -> None:
    config = load_config(CONFIG_DIR / "monitoring.yaml")
    assert config.frequency.min_count == 10
    assert config.rate.min_amount["EUR"] == 500_000
    assert config.structuring.margin_percent == 10
    assert config.geography.points["DE"] == (51.2, 10.4)
    assert config.off_market.pair_min_amount == {"QTU": 250_000_000}
    assert config.off_market.min_deviation_bps == 300
    assert len(config.digest) == 16


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        (
            "frequency: {window_seconds: 600,",
            "frequency: {window_secs: 600,",
            "frequency: unknown key 'window_secs'",
        ),
        ("factor: 5, min_count: 10}", "factor: 5}", "frequency: missing key 'min_count'"),
        ("factor: 5, min_count: 10}", "factor: 5, min_count: 10, factor: 6}", "duplicate key 'factor'"),
        ("min_count: 10}", "min_count: 0}", "frequency min_count must be an integer >= 1, not 0"),
        ("percent: 80", "percent: 180", "drain percent must be at most 100, not 180"),
        ("margin_percent: 10,", "margin_percent: 1.5,", "structuring margin_percent must be an integer >= 1"),
        ("{EUR: 500_000,", "{EUR: 5.5,", "rate min_amount: EUR needs a non-negative int in minor units"),
        ("{EUR: 100_000,", "{eur: 100_000,", "drain min_amount: 'eur' is not a currency code"),
        ("window_seconds: 86_400,", "window_seconds: 9_999_999,", "structuring window_seconds exceeds"),
        ("    DE: [51.2, 10.4]", "    DEU: [51.2, 10.4]", "'DEU' is not an ISO 3166-1 alpha-2 code"),
        ("    FR: [46.6, 2.2]", "    FR: [146.6, 2.2]", "geography countries FR: latitude within -90..90"),
        ("    GB: [54.0, -2.5]", "    GB: [54.0]", "geography countries GB must be [latitude, longitude]"),
        (
            "pair_min_amount: {QTU: 250_000_000}",
            "pair_min_amount: {QTU: 0}",
            "off_market pair_min_amount: QTU must be at least 1 minor unit, not 0",
        ),
        (
            "trader_min_amount: {QTU: 1_000_000_000}",
            "trader_min_amount: {QTU: 1.5}",
            "off_market trader_min_amount: QTU needs a non-negative int in minor units",
        ),
        ("min_deviation_bps: 300", "min_deviation_bps: 10_000", "off_market min_deviation_bps must be below"),
        (
            "  reference_seconds: 900",
            "  reference_seconds: 0",
            "off_market reference_seconds must be an integer",
        ),
        (
            "  window_seconds: 3_600\n  reference",
            "  window_seconds: 9_999_999\n  reference",
            "off_market window",
        ),
    ],
)
def test_a_fault_names_its_file_and_line(tmp_path: Path, old: str, new: str, problem: str) -> None:
    assert old in SHIPPED
    text = SHIPPED.replace(old, new, 1)
    path = tmp_path / "monitoring.yaml"
    path.write_text(text)
    with pytest.raises(RuleFileError) as raised:
        load_config(path)
    assert raised.value.path == str(path)
    assert raised.value.line == text[: text.index(new)].count("\n") + 1  # the line edited
    assert problem in raised.value.problem


def test_version_empty_and_not_yaml(tmp_path: Path) -> None:
    path = tmp_path / "monitoring.yaml"
    for text, line, problem in [
        (SHIPPED.replace("version: 1", "version: 2"), _line_of(SHIPPED, "version: 1"), "version must be 1"),
        ("", 1, "empty"),
        ("version: [1\n", 2, "not YAML"),
        ("- 1\n", 1, "the monitoring file must be a mapping"),
    ]:
        path.write_text(text)
        with pytest.raises(RuleFileError) as raised:
            load_config(path)
        assert (raised.value.line, problem in raised.value.problem) == (line, True), raised.value
    with pytest.raises(RuleFileError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
