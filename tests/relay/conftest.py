"""Fixtures of the relay tests: compiled contracts, an in-process chain with a clock, and a relay database."""

from pathlib import Path

import pytest
from eth_tester import EthereumTester
from web3 import EthereumTesterProvider, Web3

from tests.chain.conftest import compiled_manifest  # noqa: F401  (fixture)


class InProcessChain:
    """eth-tester's py-evm chain behind web3, with the devnet cheats the tests need (clock, mining, reorg)."""

    def __init__(self) -> None:
        self.tester = EthereumTester()
        self.w3 = Web3(EthereumTesterProvider(self.tester))
        self.deployer = self.w3.eth.accounts[0]

    def increase_time(self, seconds: int) -> None:
        """Move the clock forward and mine a block at (at least) the new time."""
        target = self.timestamp() + seconds
        self.tester.time_travel(target)
        while self.timestamp() < target:  # eth-tester's time travel may land a second short
            self.mine(1)

    def timestamp(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def mine(self, blocks: int) -> None:
        self.tester.mine_blocks(blocks)


@pytest.fixture
def tester_chain(compiled_manifest: Path) -> InProcessChain:  # noqa: F811
    return InProcessChain()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A SQLite file of this test's own, not yet created."""
    return f"sqlite:///{tmp_path / 'relay' / 'relay.db'}"
