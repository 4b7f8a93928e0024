"""Fixtures of the rules engine tests: the shipped rule and CIDR files, a movable clock, an engine on them.

`base_assessment` is a small domestic card-less payment that no shipped rule matches (asserted in
test_shipped_rules), so each test changes only what its case is about.
"""

import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from risk.engine import Assessment, CidrTable, Kind, KycTier, RiskEngine, RuleSource

ROOT = Path(__file__).resolve().parents[3]
SHIPPED_RULES = ROOT / "config" / "risk" / "rules.yaml"
SHIPPED_COUNTRIES = ROOT / "config" / "risk" / "ip_countries.csv"
T0 = 1_800_000_000


@dataclass
class Clock:
    """Seconds, moved by hand."""

    now: int = T0

    def __call__(self) -> int:
        return self.now


def base_assessment() -> Assessment:
    """A payment no shipped rule matches: a year-old, fully verified customer on a device that proved
    itself by its signature (an unverified one adds the reason `device-unverified`)."""
    return Assessment(
        subject="idn_a",
        kind=Kind.PAYMENT,
        amount=1_000,
        currency="EUR",
        at=T0,
        customer_country="DE",
        kyc_tier=KycTier.FULL,
        account_age_days=365,
        mcc="5411",
        device_id="dev_a",
        device_verified=True,
        ip="192.0.2.10",
    )


def run_history(engine: RiskEngine, history: Iterable[Assessment]) -> None:
    """Decide and record each action, as a caller going ahead as decided does."""
    for action in history:
        engine.record(action, engine.decide(action))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def countries() -> CidrTable:
    return CidrTable.from_csv(SHIPPED_COUNTRIES)


@pytest.fixture
def rules_file(tmp_path: Path) -> Path:
    """A copy of the shipped rule file the test may edit."""
    path = tmp_path / "rules.yaml"
    shutil.copyfile(SHIPPED_RULES, path)
    return path


@pytest.fixture
def make_engine(clock: Clock, countries: CidrTable) -> Callable[[Path], RiskEngine]:
    def make(path: Path) -> RiskEngine:
        return RiskEngine(RuleSource(path, clock), countries)

    return make


@pytest.fixture
def engine(make_engine: Callable[[Path], RiskEngine]) -> RiskEngine:
    return make_engine(SHIPPED_RULES)
