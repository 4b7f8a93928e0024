"""The API half of the matching benchmark (`benchmarks.api_orders`): its rules files and a short real run."""

from pathlib import Path

import pytest

from benchmarks.api_orders import ORDER_RATE, journaled_orders, measure_orders, raised
from chain.paths import PROJECT_ROOT
from risk.pretrade.config import load_pretrade

CONFIG = PROJECT_ROOT / "config"


def test_the_load_test_limits_raise_only_the_order_bucket(tmp_path: Path) -> None:
    shipped = load_pretrade(CONFIG / "pretrade.yaml")
    path = raised(CONFIG / "pretrade.yaml", "rate_limit", f"{{per_second: {ORDER_RATE}, burst: 7}}", tmp_path)
    limits = load_pretrade(path)
    assert (limits.rate.per_second, limits.rate.burst) == (ORDER_RATE, 7)
    assert (limits.defaults, limits.markets) == (shipped.defaults, shipped.markets)


def test_a_rules_file_without_the_line_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="no single top-level frequency"):
        raised(CONFIG / "pretrade.yaml", "frequency", "{min_count: 1}", tmp_path)


@pytest.mark.slow
def test_a_short_run_answers_and_journals_every_order(database_url: str, tmp_path: Path) -> None:
    load = measure_orders(database_url, tmp_path, CONFIG, clients=4, merchants=2, seconds=1.0, seed=1)
    assert load.orders > 0
    assert load.orders_per_s > 0
    assert set(load.statuses) <= {"201", "409"}
    assert load.p50_ms <= load.p99_ms
    assert 0 < load.journaled <= len(journaled_orders(tmp_path / "matching"))
    assert load.database == ("postgresql" if database_url.startswith("postgresql") else "sqlite")
