"""Fixtures of the `chain` tests: a compiled build manifest and an in-process chain for plain-web3 calls."""

from pathlib import Path
from typing import Any

import pytest
from web3 import EthereumTesterProvider, Web3

from chain.artifacts import MANIFEST_PATH


@pytest.fixture(scope="session")
def compiled_manifest(project: Any) -> Path:
    """Ape's build manifest, compiled now if the sources changed (Ape's `project` fixture does the work)."""
    project.load_contracts()
    assert MANIFEST_PATH.is_file()
    return MANIFEST_PATH


@pytest.fixture
def tester_w3() -> Web3:
    """A fresh py-evm chain behind web3's EthereumTesterProvider, with unlocked funded accounts."""
    return Web3(EthereumTesterProvider())
