"""The stack's bridge wiring: on two real anvils, the bridges deployed as `make devnet` does (guardians the
treasuries, tUSD allowlisted through the owners' multisig, linked, recorded in both registries) and the signer
nodes' policy allowing each bridge's inbound route; the bridge relay's secrets are 0600 files named by path,
never values in its environment, and its settings are the ones `relay.bridge` reads."""

import stat
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest
from web3 import Web3
from web3.types import TxReceipt

from chain.bridge.deploy import Deployed, DeployedBridges
from chain.client import make_web3
from chain.deployments import Deployments
from custody.policy.config import parse_policy
from relay.bridge.settings import BridgeRelaySettings
from scripts._support.anvil import AnvilConfig, AnvilNode
from scripts._support.stack.bridge import (
    BRIDGE_DAILY_LIMIT,
    BRIDGED_TUSD,
    bridge_policy,
    bridge_relay_process,
    deploy_bridge,
    funded_relayer,
)
from scripts._support.stack.deployments import (
    L1_NETWORK,
    L2_NETWORK,
    Chain,
    deploy_contracts,
    deploy_lp_pool,
    node_policy,
)
from tests.devnet.conftest import anvil
from tests.helpers.frost_signing import fixed_key

API_KEY = "tpw_bridge_relay_secret_key_value"
WINDOW = 7


@pytest.fixture
def fresh_anvils(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AnvilNode, AnvilNode]]:
    """Two anvils of their own: no other test's transactions, so the deployer's nonces start equal."""
    with anvil(tmp_path_factory, "l1", 31337) as l1, anvil(tmp_path_factory, "l2", 31338) as l2:
        yield l1, l2


@pytest.mark.devnet
def test_the_stack_deploys_linked_bridges_guarded_by_the_treasuries(
    fresh_anvils: tuple[AnvilNode, AnvilNode], tmp_path: Path
) -> None:
    l1_anvil, l2_anvil = fresh_anvils
    key = fixed_key(7)[1].group_public_key.coordinates()
    l1, l2 = Chain("L1", L1_NETWORK, l1_anvil), Chain("L2", L2_NETWORK, l2_anvil)
    for chain in (l1, l2):
        chain.deployments = deploy_contracts(chain, key, tmp_path)
    deploy_lp_pool(l1, tmp_path)  # as the stack does
    bridges = deploy_bridge(l1, l2, key, WINDOW)

    registry_l1, registry_l2 = Deployments.load(L1_NETWORK, tmp_path), Deployments.load(L2_NETWORK, tmp_path)
    assert registry_l1.get("BridgeL1").address == bridges.l1.address
    assert registry_l2.get("BridgeL2").address == bridges.l2.address
    assert registry_l2.get(BRIDGED_TUSD).address == bridges.bridged_token.address
    assert registry_l2.get(BRIDGED_TUSD).contract_type == "BridgedToken"
    w1, w2 = make_web3(l1_anvil.url), make_web3(l2_anvil.url)
    l1_bridge, l2_bridge = bridges.bridge_l1(w1), bridges.bridge_l2(w2)
    treasuries = (registry_l1.get("MultisigTreasury").address, registry_l2.get("MultisigTreasury").address)
    assert l1_bridge.contract.functions.guardian().call() == treasuries[0]
    assert l2_bridge.contract.functions.guardian().call() == treasuries[1]
    assert l1_bridge.remote() == (31338, bridges.l2.address)
    assert l2_bridge.remote() == (31337, bridges.l1.address)
    assert l1_bridge.custody_key() == l2_bridge.custody_key() == (key[0], key[1] % 2)
    assert l1_bridge.contract.functions.challenge_window().call() == WINDOW
    assert l2_bridge.contract.functions.challenge_window().call() == 0  # deposits: claimable once attested
    tusd = registry_l1.get("tUSD").address
    assert l1_bridge.contract.functions.token(tusd).call()[:2] == [
        bridges.bridged_token.address,
        BRIDGE_DAILY_LIMIT,
    ]
    assert l2_bridge.contract.functions.token(bridges.bridged_token.address).call()[:2] == [
        tusd,
        BRIDGE_DAILY_LIMIT,
    ]

    policy = parse_policy(bridge_policy(node_policy(31337, registry_l1, 600), (31337, 31338), bridges))
    chains = policy.default.chains  # type: ignore[union-attr]
    for chain_id, bridge, src in ((31337, bridges.l1.address, 31338), (31338, bridges.l2.address, 31337)):
        assert chains[chain_id].allows_contract(bridge, "BridgeBatch")
        rules = chains[chain_id].bridge_batch
        assert rules is not None
        assert [(route.src_chain_id, route.dst_chain_id) for route in rules.routes] == [(src, chain_id)]
    assert chains[31337].allows_contract(registry_l1.get("SettlementAnchor").address, "Anchor")

    relayer = funded_relayer([l1, l2])
    assert w1.eth.get_balance(relayer.address) > 0
    assert w2.eth.get_balance(relayer.address) > 0


def test_the_bridge_relay_gets_its_secrets_as_0600_files_and_its_settings_from_the_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TPW_BRIDGE_CONFIRMATIONS", "0")  # a shell's leftover is not passed on
    chains = tuple(
        Chain(label, network, AnvilNode(AnvilConfig(label.lower(), port, chain_id), log_dir=tmp_path))
        for label, network, port, chain_id in (
            ("L1", L1_NETWORK, 18545, 31337),
            ("L2", L2_NETWORK, 19545, 31338),
        )
    )

    def deployed(address: str, block: int) -> Deployed:
        receipt = cast(TxReceipt, {"blockNumber": block, "transactionHash": b"\x01" * 32})
        return Deployed(Web3.to_checksum_address(address), receipt)

    bridges = DeployedBridges(
        deployed("0x" + "11" * 20, 12), deployed("0x" + "22" * 20, 5), deployed("0x" + "33" * 20, 6)
    )
    relayer = funded_relayer([])
    process = bridge_relay_process(
        tmp_path / "run",
        tmp_path / "logs",
        chains=(chains[0], chains[1]),
        bridges=bridges,
        database_url="sqlite:///run/api.db",
        api_url="http://127.0.0.1:18000",
        api_key=API_KEY,
        custody_key_id="treasury",
        relayer=relayer,
    )
    assert process.env is not None
    relayer_key = "0x" + bytes(relayer.key).hex()
    values = "\n".join(process.env.values())
    assert API_KEY not in values
    assert relayer_key[2:] not in values
    api_key_file = Path(process.env["TPW_BRIDGE_API_KEY_FILE"])
    relayer_key_file = Path(process.env["TPW_BRIDGE_RELAYER_KEY_FILE"])
    assert (api_key_file.read_text(), relayer_key_file.read_text()) == (API_KEY, relayer_key)
    for secret in (api_key_file, relayer_key_file):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    for name, value in process.env.items():
        if name.startswith("TPW_BRIDGE_"):
            monkeypatch.setenv(name, value)
    settings = BridgeRelaySettings()  # type: ignore[call-arg]  # the required fields come from the environment
    assert (settings.l1_rpc_url, settings.l2_rpc_url) == ("http://127.0.0.1:18545", "http://127.0.0.1:19545")
    assert (settings.l1_bridge, settings.l2_bridge) == (bridges.l1.address, bridges.l2.address)
    assert (settings.l1_from_block, settings.l2_from_block) == (12, 5)
    assert (settings.confirmations, settings.custody_key_id) == (2, "treasury")
    assert process.argv[1:] == ["-m", "relay.bridge"]
