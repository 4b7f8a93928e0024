"""Real anvil chains on free loopback ports, started once per test session."""

from collections.abc import Iterator

import pytest

from chain.deploy import DeployConfig
from chain.dev_accounts import dev_accounts
from scripts._support.anvil import AnvilConfig, AnvilNode
from scripts._support.processes import free_port
from tests.helpers.frost_signing import fixed_key


@pytest.fixture(scope="session")
def l1_anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    node = AnvilNode(AnvilConfig("l1", free_port(), 31337), log_dir=tmp_path_factory.mktemp("anvil-l1"))
    node.start()
    yield node
    node.stop()


@pytest.fixture(scope="session")
def l2_anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    node = AnvilNode(AnvilConfig("l2", free_port(), 31338), log_dir=tmp_path_factory.mktemp("anvil-l2"))
    node.start()
    yield node
    node.stop()


@pytest.fixture(scope="session")
def deploy_config() -> DeployConfig:
    """Dev accounts 1-3 own the treasury (2 of 3); a fixed dealer key stands in for the custody DKG's key."""
    owners = tuple(account.address for account in dev_accounts()[1:4])
    return DeployConfig(
        owners=owners, threshold=2, custody_key=fixed_key(7)[1].group_public_key.coordinates()
    )
