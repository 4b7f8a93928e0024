"""The tiers' limits file: the shipped one loads, malformed ones are refused naming the key, limits hold."""

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain.paths import PROJECT_ROOT
from risk.kyc.errors import InvalidTierConfig
from risk.kyc.tiers import NO_LIMITS, Limits, Tier, load_tier_limits, parse_tier_limits

SHIPPED = PROJECT_ROOT / "config" / "risk" / "kyc_tiers.yaml"


def _limits(per_transaction: int, per_day: int, per_month: int) -> dict[str, int]:
    return {"per_transaction": per_transaction, "per_day": per_day, "per_month": per_month}


VALID: dict[str, Any] = {
    "version": 1,
    "tiers": {
        "none": {"EUR": _limits(100, 100, 100)},
        "light": {"EUR": _limits(1_000, 2_000, 5_000)},
        "full": {"EUR": _limits(10_000, 20_000, 50_000), "USD": _limits(1, 1, 1)},
    },
}


def test_the_shipped_file_loads_and_tiers_widen():
    limits = load_tier_limits(SHIPPED)
    assert limits.limits_in(Tier.NONE, "EUR") == Limits(15_000, 15_000, 15_000)
    assert limits.limits_in(Tier.FULL, "tUSD").per_transaction == 50_000_000_000
    assert set(limits.limits_for(Tier.LIGHT)) == {"EUR", "USD", "tUSD"}
    assert len(limits.version) == 64


def test_a_currency_a_tier_does_not_list_allows_nothing():
    limits = parse_tier_limits(VALID)
    assert limits.limits_in(Tier.LIGHT, "USD") == NO_LIMITS
    assert NO_LIMITS.exceeded(1, 0, 0) == "per_transaction"


def test_the_version_follows_content_not_layout(tmp_path: Path):
    reordered = tmp_path / "tiers.yaml"
    reordered.write_text(
        "# a comment\ntiers:\n"
        "  full: {USD: {per_month: 1, per_day: 1, per_transaction: 1}, EUR: {per_transaction: 10_000,"
        " per_day: 20_000, per_month: 50_000}}\n"
        "  light: {EUR: {per_transaction: 1000, per_day: 2000, per_month: 5000}}\n"
        "  none: {EUR: {per_transaction: 100, per_day: 100, per_month: 100}}\n"
        "version: 1\n"
    )
    assert load_tier_limits(reordered).version == parse_tier_limits(VALID).version
    changed = copy.deepcopy(VALID)
    changed["tiers"]["full"]["USD"]["per_month"] = 2
    assert parse_tier_limits(changed).version != parse_tier_limits(VALID).version


def _broken(path: str, value: Any) -> dict[str, Any]:
    document = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    node = document
    for key in parents:
        node = node[key]
    if value is KeyError:
        del node[last]
    else:
        node[last] = value
    return document


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (_broken("version", 2), "version"),
        (_broken("tiers.light", KeyError), "tiers"),
        (_broken("tiers.gold", {}), "tiers"),
        (_broken("tiers.light", ["EUR"]), "tiers.light"),
        (_broken("tiers.light.EUR.per_day", 20.5), "tiers.light.EUR.per_day"),
        (_broken("tiers.light.EUR.per_day", "2000"), "tiers.light.EUR.per_day"),
        (_broken("tiers.light.EUR.per_day", True), "tiers.light.EUR.per_day"),
        (_broken("tiers.light.EUR.per_day", -1), "tiers.light.EUR.per_day"),
        (_broken("tiers.light.EUR.per_year", 1), "tiers.light.EUR"),
        (_broken("tiers.light.EUR.per_day", 500), "tiers.light.EUR"),  # below per_transaction
        (_broken("tiers.full.EUR.per_month", 4_999), "tiers.full.EUR"),  # below light's
        (_broken("tiers.full.EUR", KeyError), "tiers.full.EUR"),  # light allows EUR, full would not
        (_broken("tiers.light.E1", _limits(1, 1, 1)), "tiers.light"),
    ],
)
def test_a_malformed_file_is_refused_naming_the_key(document: dict[str, Any], field: str):
    with pytest.raises(InvalidTierConfig) as refused:
        parse_tier_limits(document)
    assert refused.value.field == field


def test_a_file_that_is_not_yaml_is_refused(tmp_path: Path):
    path = tmp_path / "tiers.yaml"
    path.write_text("tiers: [unclosed\n")
    with pytest.raises(InvalidTierConfig) as refused:
        load_tier_limits(path)
    assert refused.value.field == "file"


def test_tiers_are_ordered():
    assert [tier.rank for tier in (Tier.NONE, Tier.LIGHT, Tier.FULL)] == [0, 1, 2]


LIMITS = Limits(per_transaction=1_000, per_day=2_000, per_month=5_000)


@pytest.mark.parametrize(
    ("amount", "today", "month", "broken"),
    [
        (1_000, 1_000, 4_000, None),  # exactly at every limit
        (1_001, 0, 0, "per_transaction"),
        (1_000, 1_001, 1_001, "per_day"),
        (1_000, 0, 4_001, "per_month"),
    ],
)
def test_exceeded_names_the_first_broken_limit(amount: int, today: int, month: int, broken: str | None):
    assert LIMITS.exceeded(amount, today, month) == broken


@given(st.integers(0, 10_000), st.integers(0, 10_000), st.integers(0, 10_000))
def test_an_amount_that_fits_stays_within_every_limit(amount: int, today: int, month: int):
    if LIMITS.exceeded(amount, today, month) is None:
        assert amount <= LIMITS.per_transaction
        assert today + amount <= LIMITS.per_day
        assert month + amount <= LIMITS.per_month
