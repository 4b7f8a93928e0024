"""Fixtures of the relay tests: compiled contracts, an in-process chain with a clock, and a relay database."""

from pathlib import Path

import pytest
from web3 import EthereumTesterProvider, Web3

from tests.chain.conftest import compiled_manifest  # noqa: F401  (fixture)


class TesterChain:
    """eth-tester's py-evm chain behind web3, with the two devnet cheats the tests need."""

    def __init__(self) -> None:
        self.provider = EthereumTesterProvider()
        self.w3 = Web3(self.provider)
        self.deployer = self.w3.eth.accounts[0]

    def increase_time(self, seconds: int) -> None:
        """Move the clock forward and mine a block at the new time."""
        latest = int(self.w3.eth.get_block("latest")["timestamp"])
        self.provider.ethereum_tester.time_travel(latest + seconds)

    def mine(self, blocks: int) -> None:
        self.provider.ethereum_tester.mine_blocks(blocks)


@pytest.fixture
def tester_chain(compiled_manifest: Path) -> TesterChain:  # noqa: F811
    return TesterChain()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A SQLite file of this test's own, not yet created."""
    return f"sqlite:///{tmp_path / 'relay' / 'relay.db'}"
