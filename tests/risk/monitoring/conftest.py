"""Fixtures of the monitoring tests: the ledger, KYC and monitoring tables on each backend, the shipped
thresholds, tier limits and IP table, a clock the test moves, and helpers to move money at a given time."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import pytest
from sqlalchemy import Engine

import ledger.schema
import risk.kyc.schema
import risk.monitoring.schema
from api.db import make_engine
from ledger.accounts import create_accounts, lookup_account
from ledger.ids import new_id
from ledger.model import AccountFlags, AccountSpec, OwnerKind, TransferSpec
from ledger.transfers import create_transfer
from risk.engine.geo import CidrTable
from risk.kyc.tiers import TierLimits, load_tier_limits
from risk.monitoring.config import MonitoringConfig, load_config
from risk.monitoring.monitor import Monitor
from tests.helpers.db import database_url, pg_url, sqlite_url  # noqa: F401  (fixtures)

CONFIG_DIR: Final = Path(__file__).resolve().parents[3] / "config" / "risk"
T0: Final = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


class Clock:
    """Unix seconds, moved by the test."""

    def __init__(self) -> None:
        self.now = int(T0.timestamp())

    def __call__(self) -> int:
        return self.now


class Money:
    """Accounts and transfers on the test's ledger, each transfer at `T0 + seconds`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.source = self.open(OwnerKind.TREASURY, "treasury", limited=False)

    def open(
        self, kind: OwnerKind = OwnerKind.CUSTOMER, owner: str | None = None, *, limited: bool = True
    ) -> int:
        account_id = new_id()
        flags = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS if limited else AccountFlags.NONE
        spec = AccountSpec(account_id, "EUR", kind, owner or f"cus-{account_id}", flags=flags)
        [outcome] = create_accounts(self.engine, [spec])
        assert outcome.result == "ok"
        return account_id

    def move(self, debit: int, credit: int, amount: int, seconds: float, **fields: object) -> str:
        spec = TransferSpec(
            reference=f"t-{new_id()}",
            debit_account_id=debit,
            credit_account_id=credit,
            amount=amount,
            currency="EUR",
            **fields,  # type: ignore[arg-type]
        )
        outcome = create_transfer(self.engine, spec, now=T0 + timedelta(seconds=seconds))
        return str(outcome.result)

    def fund(self, account: int, amount: int, seconds: float = 0) -> None:
        assert self.move(self.source, account, amount, seconds) == "ok"

    def available(self, account: int) -> int:
        found = lookup_account(self.engine, account)
        assert found is not None
        return found.balances.available


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:  # noqa: F811
    engine = make_engine(database_url)
    for metadata in (ledger.schema.metadata, risk.kyc.schema.metadata, risk.monitoring.schema.metadata):
        metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def config() -> MonitoringConfig:
    return load_config(CONFIG_DIR / "monitoring.yaml")


@pytest.fixture
def tier_limits() -> TierLimits:
    return load_tier_limits(CONFIG_DIR / "kyc_tiers.yaml")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def monitor(engine: Engine, config: MonitoringConfig, tier_limits: TierLimits, clock: Clock) -> Monitor:
    return Monitor(
        engine, config, tier_limits, CidrTable.from_csv(CONFIG_DIR / "ip_countries.csv"), clock=clock
    )


@pytest.fixture
def money(engine: Engine) -> Money:
    return Money(engine)
