"""Fixtures of the factors' tests: the tables on each backend, a moved-by-hand clock, a sealing key, and
each factor's service over them.

The tables come from the factors' metadata (fast, per test); tests/api/test_migrations.py proves the Alembic
chain builds the same schema. Argon2 runs with its smallest parameters here (the defaults cost ~50 ms a hash
on two shared cores); `test_passwords.py` checks the default parameters themselves.
"""

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import Engine

import risk.audit.schema
from risk.factors.lockout import LockoutPolicy
from risk.factors.passwords import PaymentPassword
from risk.factors.recovery import RecoveryCodes
from risk.factors.schema import metadata
from risk.factors.sealing import SecretBox
from risk.factors.totp import TotpFactor
from tests.helpers.db import database_url, engine_on, pg_url, sqlite_url  # noqa: F401  (fixtures)
from tests.helpers.policy import Clock

SUBJECT = "idn_" + "a1" * 16
OTHER_SUBJECT = "idn_" + "b2" * 16
POLICY = LockoutPolicy(max_failures=3, base_lock_seconds=60, max_lock_seconds=3600)
"""Three failures lock for a minute, then two, four, ... at most an hour."""


def cheap_hasher() -> PasswordHasher:
    """Argon2id at its cheapest (1 pass over 8 KiB): the same code paths, milliseconds per hash."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, hash_len=16, salt_len=16, type=Type.ID)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:  # noqa: F811
    """Empty factor tables on this test's database."""
    with engine_on(database_url) as engine:
        metadata.create_all(engine)
        risk.audit.schema.metadata.create_all(engine)  # every factor change is chained onto the risk log
        yield engine


@pytest.fixture
def clock() -> Clock:
    """Unix seconds, inside a 30-second step (1_750_000_000 is 10 s into its step)."""
    return Clock()


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "factors.key"
    path.write_text(secrets.token_hex(32) + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def box(key_file: Path) -> SecretBox:
    return SecretBox.from_file(key_file)


@pytest.fixture
def totp(engine: Engine, box: SecretBox, clock: Clock) -> TotpFactor:
    return TotpFactor(engine, box, POLICY, clock, issuer="TPWallet")


@pytest.fixture
def passwords(engine: Engine, clock: Clock) -> PaymentPassword:
    return PaymentPassword(engine, POLICY, clock, hasher=cheap_hasher())


@pytest.fixture
def recovery(engine: Engine, clock: Clock) -> RecoveryCodes:
    return RecoveryCodes(engine, POLICY, clock)
