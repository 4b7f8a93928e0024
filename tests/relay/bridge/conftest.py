"""Fixtures of the bridge relay's tests: both bridges deployed afresh on two real anvils (L1 31337, L2 31338)
per test, tUSD on L1 and its bridged token on L2 allowlisted both ways, dev account 5 their guardian
(`tests.helpers.bridge_pair`), and the API database at the migrations' head (SQLite and PostgreSQL)."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine

from scripts._support.anvil import AnvilNode
from tests.devnet.conftest import l1_anvil, l2_anvil  # noqa: F401  (fixtures)
from tests.helpers.bridge_pair import Bridges, account_guardians, deploy_test_bridges
from tests.helpers.db import (  # noqa: F401  (fixtures)
    database_url,
    head_templates,
    migrated_database_url,
    pg_url,
    sqlite_url,
)


@pytest.fixture
def bridges(l1_anvil: AnvilNode, l2_anvil: AnvilNode) -> Bridges:  # noqa: F811
    """Fresh bridges, dev account 5 their guardian (`tests.helpers.bridge_pair.deploy_test_bridges`)."""
    return deploy_test_bridges(l1_anvil, l2_anvil, account_guardians)


@pytest.fixture
def engine(migrated_database_url: str) -> Iterator[Engine]:  # noqa: F811
    """An engine on the API's database, at the migrations' head."""
    engine = create_engine(migrated_database_url)
    yield engine
    engine.dispose()
