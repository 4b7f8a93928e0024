"""Real anvil chains on free loopback ports, started once per test session."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from ape import networks

from chain.deploy import DeployConfig, deploy_all
from chain.dev_accounts import dev_accounts
from scripts._support.anvil import AnvilConfig, AnvilNode
from scripts._support.processes import free_port
from tests.helpers.frost_signing import fixed_key


def anvil(tmp_path_factory: pytest.TempPathFactory, name: str, chain_id: int) -> AnvilNode:
    """An anvil for chain `chain_id` on a free port, logging to a directory of its own (not started)."""
    return AnvilNode(
        AnvilConfig(name, free_port(), chain_id), log_dir=tmp_path_factory.mktemp(f"anvil-{name}")
    )


@pytest.fixture(scope="session")
def l1_anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    with anvil(tmp_path_factory, "l1", 31337) as node:
        yield node


@pytest.fixture(scope="session")
def l2_anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    with anvil(tmp_path_factory, "l2", 31338) as node:
        yield node


@pytest.fixture(scope="session")
def deploy_config() -> DeployConfig:
    """Dev accounts 1-3 own the treasury (2 of 3); a fixed dealer key stands in for the custody DKG's key."""
    owners = tuple(account.address for account in dev_accounts()[1:4])
    return DeployConfig(
        owners=owners, threshold=2, custody_key=fixed_key(7)[1].group_public_key.coordinates()
    )


@pytest.fixture(scope="module")
def deployments_dir(
    l1_anvil: AnvilNode, deploy_config: DeployConfig, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Every contract of the plan deployed afresh on the L1 anvil, once per test module: the registry's
    directory."""
    directory = tmp_path_factory.mktemp("deployments")
    with networks.parse_network_choice("ethereum:local:foundry", provider_settings={"host": l1_anvil.url}):
        deploy_all("local", deploy_config, directory)
    return directory
