"""Shared custody fixtures: a group CA, a dealer key, node directories, and a running group of node processes.

Starting node processes costs seconds, so `running_group` starts a 2-of-3 group once per test module; a test
that stops or kills a node brings it back before it ends (`CustodyGroup.revived`), leaving the group as it
found it.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from custody.tls import CertificateAuthority
from tests.helpers.custody_nodes import TEST_DEALER_SEED, TEST_KEY_ID, CustodyGroup, Key
from tests.helpers.frost_signing import fixed_key


@pytest.fixture(scope="session")
def group_ca() -> CertificateAuthority:
    """A devnet CA for tests that only need certificates."""
    return CertificateAuthority.create()


@pytest.fixture(scope="session")
def dealer_key() -> Key:
    """A deterministic 2-of-3 dealer key (key packages for nodes 1-3 and the public package)."""
    return fixed_key(TEST_DEALER_SEED)


@pytest.fixture
def group_files(tmp_path: Path, dealer_key: Key) -> CustodyGroup:
    """Node directories of a 2-of-3 group holding `dealer_key` as TEST_KEY_ID; no process is started."""
    return CustodyGroup(tmp_path / "group", {TEST_KEY_ID: dealer_key})


@pytest.fixture(scope="module")
def running_group(tmp_path_factory: pytest.TempPathFactory, dealer_key: Key) -> Iterator[CustodyGroup]:
    """A 2-of-3 group of real node processes over mutual TLS, started once for the test module."""
    with CustodyGroup(tmp_path_factory.mktemp("running-group"), {TEST_KEY_ID: dealer_key}) as group:
        group.start()
        yield group
