"""The local stack's chains and what is deployed on them: one `Chain` per anvil, the contracts deployed with
Ape on each, and the signer nodes' policy texts — before the contracts exist and once they do.
"""

import contextlib
from dataclasses import dataclass
from pathlib import Path

from chain.client import make_web3
from chain.deploy import TUSD_UNIT, DeployConfig, deploy_all
from chain.deployments import Deployments
from chain.dev_accounts import dev_accounts
from chain.liquidity import deploy_pool
from custody.policy.builder import asset_limits, with_custody_transfers
from scripts._support.anvil import AnvilNode

L1_NETWORK = "local"  # Ape's ethereum:local, served by anvil through the foundry provider
L2_NETWORK = "l2devnet"  # the custom network in ape-config.yaml, served by anvil through the node provider
LIQUIDITY_INDEX = 4  # dev account 4 seeds the TPW/tUSD pool and swaps the router's pool legs
POOL_SEED_TPW = 100_000  # whole TPW in the pool at start
POOL_SEED_TUSD = 250_000  # whole tUSD: an opening price of 2.50 tUSD per TPW


@dataclass
class Chain:
    """One running chain of the stack and what is deployed on it."""

    label: str
    network: str
    node: AnvilNode
    deployments: Deployments | None = None

    @property
    def url(self) -> str:
        return self.node.url

    @property
    def ape_choice(self) -> tuple[str, dict[str, str]]:
        """Ape network choice and provider settings that reach this anvil."""
        if self.network == L1_NETWORK:
            return "ethereum:local:foundry", {"host": self.url}
        return f"ethereum:{self.network}:node", {"uri": self.url}

    def ape_connection(self) -> contextlib.AbstractContextManager[object]:
        """Ape connected to this anvil for the `with` block (what `ape run ... --network` would give)."""
        from ape import networks

        choice, provider_settings = self.ape_choice
        return networks.parse_network_choice(choice, provider_settings=provider_settings)


def deploy_contracts(chain: Chain, custody_key: tuple[int, int], deployments_dir: Path) -> Deployments:
    """Every contract on `chain`, its treasury owned 2-of-3 by dev accounts 1-3 and the custody group key."""
    owners = tuple(account.address for account in dev_accounts()[1:4])
    config = DeployConfig(owners=owners, threshold=2, custody_key=custody_key)
    with chain.ape_connection():
        return deploy_all(chain.network, config, deployments_dir)


def deploy_lp_pool(chain: Chain, deployments_dir: Path) -> str:
    """The TPW/tUSD Uniswap V2 pair on `chain` (L1), seeded by dev account 4 and recorded in its registry
    (`chain.liquidity`); the pair's address."""
    registry = Deployments.load(chain.network, deployments_dir)
    accounts = dev_accounts()
    pool = deploy_pool(
        make_web3(chain.url),
        registry,
        accounts[0],
        accounts[LIQUIDITY_INDEX],
        POOL_SEED_TPW * 10**18,
        POOL_SEED_TUSD * TUSD_UNIT,
    )
    chain.deployments = registry
    return pool.address


def _anchor_policy(
    chain_id: int, contract: str, kinds: tuple[int, ...], max_signatures: int, window_seconds: int
) -> str:
    """A node policy allowing Anchor signatures of `kinds` on `contract`, `max_signatures` a window."""
    return (
        "version: 1\n"
        "default:\n"
        "  chains:\n"
        f"    {chain_id}:\n"
        "      contracts:\n"
        f'        "{contract}": [Anchor]\n'
        "      anchor:\n"
        f"        kinds: [{', '.join(str(kind) for kind in kinds)}]\n"
        f"        velocity: {{max_signatures: {max_signatures}, window_seconds: {window_seconds}}}\n"
    )


def bootstrap_policy(chain_id: int) -> str:
    """The nodes' policy before our contracts exist: it names none of them, so the nodes sign nothing."""
    return _anchor_policy(chain_id, "0x0000000000000000000000000000000000000001", (1,), 1, 60)


def devnet_policy(chain_id: int, anchor: str, max_signatures: int = 600) -> str:
    """The devnet nodes' policy: settlement (1) and reserves (2) anchors on the deployed SettlementAnchor,
    at most `max_signatures` an hour."""
    return _anchor_policy(chain_id, anchor, (1, 2), max_signatures, 3600)


def node_policy(chain_id: int, l1: Deployments, anchor_velocity: int) -> str:
    """The nodes' policy for the contracts deployed on L1: anchors on its SettlementAnchor; tUSD custody
    transfers out of its treasury up to 10,000 a transaction, 50,000 a day."""
    return with_custody_transfers(
        devnet_policy(chain_id, l1.get("SettlementAnchor").address, anchor_velocity),
        chain_id=chain_id,
        treasury=l1.get("MultisigTreasury").address,
        assets={l1.get("tUSD").address: asset_limits(10_000 * TUSD_UNIT, 50_000 * TUSD_UNIT)},
    )
