"""The eip712 Vyper module against chain/eip712.py and chain/intents.py: the same separator, the same digests.

Runs the module through `contracts/testing/Eip712Harness.vy` on py-evm. The fork-safety test changes the
chain id py-evm executes with, which only Ape's local test provider lets a test do.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ape
import pytest
from ape_test.provider import LocalProvider
from hypothesis import given

from chain.eip712 import domain_separator, typed_data_digest
from chain.intents import Anchor, BridgeBatch, Permit, TreasuryTx
from tests.chain.test_intents import anchors, bridge_batches, permits, treasury_txs

pytestmark = pytest.mark.chain

FORK_CHAIN_ID = 4242


@pytest.fixture(scope="module")
def deployer(accounts: Any) -> Any:
    return accounts[0]


@pytest.fixture(scope="module")
def harness(project: Any, deployer: Any) -> Any:
    return project.Eip712Harness.deploy("TPWallet", "1", sender=deployer)


@contextmanager
def executing_chain_id(chain: Any, chain_id: int) -> Iterator[None]:
    """Makes py-evm run calls with CHAINID = `chain_id`, as on a fork that changed the chain id."""
    provider = chain.provider
    assert isinstance(provider, LocalProvider), "changing the chain id needs Ape's py-evm test provider"
    evm_chain = provider.evm_backend.chain
    original = evm_chain.chain_id
    evm_chain.chain_id = chain_id
    try:
        yield
    finally:
        evm_chain.chain_id = original


def test_domain_is_tpwallet_version_1_on_this_chain(harness: Any, chain: Any) -> None:
    fields, name, version, chain_id, verifying_contract, salt, extensions = harness.eip712Domain()
    assert (fields, name, version, chain_id, verifying_contract) == (
        b"\x0f",
        "TPWallet",
        "1",
        chain.chain_id,
        harness.address,
    )
    assert (salt, extensions) == (b"\x00" * 32, [])
    assert harness.DOMAIN_SEPARATOR() == domain_separator("TPWallet", "1", chain.chain_id, harness.address)


def test_name_and_version_are_deployment_parameters(project: Any, deployer: Any, chain: Any) -> None:
    token_domain = project.Eip712Harness.deploy("Test USD", "2", sender=deployer)
    assert token_domain.eip712Domain()[1:3] == ("Test USD", "2")
    expected = domain_separator("Test USD", "2", chain.chain_id, token_domain.address)
    assert token_domain.DOMAIN_SEPARATOR() == expected


@pytest.mark.parametrize(
    ("name", "version", "error"),
    [("", "1", "eip712: empty domain name"), ("TPWallet", "", "eip712: empty domain version")],
)
def test_an_empty_name_or_version_is_refused(
    project: Any, deployer: Any, name: str, version: str, error: str
) -> None:
    with ape.reverts(error):
        project.Eip712Harness.deploy(name, version, sender=deployer)


@given(intent=treasury_txs)
def test_treasury_tx_digest_matches(harness: Any, chain: Any, intent: TreasuryTx) -> None:
    onchain = harness.treasury_tx_digest(
        intent.to, intent.token, intent.amount, intent.data, intent.nonce, intent.deadline
    )
    assert onchain == intent.digest(chain.chain_id, harness.address)


@given(intent=anchors)
def test_anchor_digest_matches(harness: Any, chain: Any, intent: Anchor) -> None:
    onchain = harness.anchor_digest(
        intent.kind, intent.seq, intent.root, intent.count, intent.total, intent.prev_root
    )
    assert onchain == intent.digest(chain.chain_id, harness.address)


@given(intent=bridge_batches)
def test_bridge_batch_digest_matches(harness: Any, chain: Any, intent: BridgeBatch) -> None:
    onchain = harness.bridge_batch_digest(
        intent.src_chain_id,
        intent.dst_chain_id,
        intent.src_bridge,
        intent.dst_bridge,
        intent.seq,
        intent.root,
        intent.count,
        intent.prev_root,
    )
    assert onchain == intent.digest(chain.chain_id, harness.address)


@given(intent=permits)
def test_hash_typed_data_prefixes_any_struct_hash(harness: Any, chain: Any, intent: Permit) -> None:
    assert harness.hash_typed_data(intent.struct_hash()) == intent.digest(chain.chain_id, harness.address)


def test_domain_is_rebuilt_when_the_chain_id_changes(harness: Any, chain: Any) -> None:
    anchor = Anchor(kind=0, seq=1, root=b"\x01" * 32, count=2, total=3, prev_root=b"\x00" * 32)
    cached = harness.DOMAIN_SEPARATOR()
    assert chain.chain_id != FORK_CHAIN_ID
    with executing_chain_id(chain, FORK_CHAIN_ID):
        forked = harness.DOMAIN_SEPARATOR()
        assert harness.eip712Domain()[3] == FORK_CHAIN_ID
        forked_digest = harness.anchor_digest(0, 1, b"\x01" * 32, 2, 3, b"\x00" * 32)
    assert forked != cached
    assert forked == domain_separator("TPWallet", "1", FORK_CHAIN_ID, harness.address)
    assert forked_digest == anchor.digest(FORK_CHAIN_ID, harness.address)
    assert forked_digest == typed_data_digest(forked, anchor.struct_hash())
    assert harness.DOMAIN_SEPARATOR() == cached
