"""The deployment plan on real anvil chains through Ape's foundry and node providers, as the devnet does."""

from pathlib import Path

import pytest
from ape import networks
from eth_typing import HexStr

from chain.artifacts import contract
from chain.client import make_web3
from chain.deploy import PLAN, DeployConfig, deploy_all
from chain.deployments import Deployments
from chain.dev_accounts import dev_accounts
from chain.errors import ChainError, ChainIdMismatch
from chain.transactions import TransactionFailed, send_call
from scripts._support.anvil import AnvilNode

pytestmark = pytest.mark.devnet


@pytest.fixture(scope="module")
def l1_registry(deployments_dir: Path) -> Deployments:
    return Deployments.load("local", deployments_dir)


def test_every_planned_contract_is_recorded_with_code(l1_anvil: AnvilNode, l1_registry: Deployments) -> None:
    w3 = make_web3(l1_anvil.url)
    assert l1_registry.chain_id == 31337
    assert l1_registry.names() == sorted(spec.name for spec in PLAN)
    for name in l1_registry.names():
        entry = l1_registry.get(name)
        assert len(w3.eth.get_code(entry.address)) > 0
        assert w3.eth.get_transaction_receipt(HexStr(entry.tx_hash))["contractAddress"] == entry.address


def test_tokens_have_their_decimals_and_the_deployer_mints(
    l1_anvil: AnvilNode, l1_registry: Deployments
) -> None:
    w3 = make_web3(l1_anvil.url)
    deployer, outsider = dev_accounts()[0], dev_accounts()[7]
    tusd = contract(w3, "Token", l1_registry.get("tUSD").address)
    assert tusd.functions.decimals().call() == 6
    assert contract(w3, "Token", l1_registry.get("TPW").address).functions.decimals().call() == 18
    send_call(w3, deployer, tusd.functions.mint(outsider.address, 5))
    assert tusd.functions.balanceOf(outsider.address).call() == 5
    with pytest.raises(TransactionFailed, match="minter"):
        send_call(w3, outsider, tusd.functions.mint(outsider.address, 5))


def test_registry_refuses_the_other_chain(l2_anvil: AnvilNode, l1_registry: Deployments) -> None:
    with pytest.raises(ChainIdMismatch):
        l1_registry.check_chain_id(make_web3(l2_anvil.url))


def test_a_real_network_needs_a_named_deployer(
    l2_anvil: AnvilNode, deploy_config: DeployConfig, tmp_path: Path
) -> None:
    with (
        networks.parse_network_choice("ethereum:l2devnet:node", provider_settings={"uri": l2_anvil.url}),
        pytest.raises(ChainError, match="--account"),
    ):
        deploy_all("mainnet", deploy_config, tmp_path)


def test_contracts_are_wired_to_each_other_and_to_the_custody_key(
    l1_anvil: AnvilNode, l1_registry: Deployments, deploy_config: DeployConfig
) -> None:
    w3 = make_web3(l1_anvil.url)
    treasury = l1_registry.get("MultisigTreasury").address
    anchor = contract(w3, "SettlementAnchor", l1_registry.get("SettlementAnchor").address)
    assert anchor.functions.owner().call() == treasury
    assert anchor.functions.custody_key().call()[0] == deploy_config.custody_key[0]
    escrow = contract(w3, "VestingEscrow", l1_registry.get("VestingEscrow").address)
    assert escrow.functions.token().call() == l1_registry.get("TPW").address
