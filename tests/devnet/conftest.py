"""Real anvil chains on free loopback ports, started once per test session."""

from collections.abc import Iterator

import pytest

from chain.anvil import AnvilConfig, AnvilNode
from chain.processes import free_port


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
