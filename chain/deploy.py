"""TPWallet's deployment plan and the function that carries it out on the connected Ape network.

The Ape script `scripts/deploy.py`, the devnet and the tests all deploy through `deploy_all`, so every
environment gets the same contracts wired the same way, recorded in deployments/<network>.json.
A contract's constructor arguments may name contracts deployed before it in the plan, the deployer
(`DEPLOYER`) and the `DeployConfig` (owners, custody group key, limits), never addresses typed by hand.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chain.deployments import Deployments
from chain.errors import ChainError

DEV_NETWORKS = frozenset({"local", "l2devnet"})
TUSD_UNIT = 10**6
DAY = 86_400
DEPLOYER = "deployer"
"""The key under which a plan entry's arguments find the deployer's address among the deployed contracts."""


@dataclass(frozen=True)
class DeployConfig:
    """Who governs the contracts: the treasury's owners and threshold and the custody group key (x, y).

    `custody_key` is the FROST group public key that signs hot-tier treasury transfers and settlement
    anchors; it comes from a DKG across the signer nodes (or `tpw-custody keygen`).
    """

    owners: tuple[str, ...]
    threshold: int
    custody_key: tuple[int, int]
    treasury_delay: int = 3_600
    custody_daily_limit_tusd: int = 100_000 * TUSD_UNIT
    anchor_challenge_window: int = DAY
    subscription_fee_bps: int = 50
    extra: Mapping[str, Any] = field(default_factory=dict)


Args = Callable[[DeployConfig, Mapping[str, str]], tuple[Any, ...]]


@dataclass(frozen=True)
class ContractSpec:
    """One entry of the deployment plan: registry name, artifact name, constructor arguments."""

    name: str
    contract_type: str
    args: Args


PLAN: tuple[ContractSpec, ...] = (
    ContractSpec("tUSD", "Token", lambda config, deployed: ("TPWallet USD", "tUSD", 6)),
    ContractSpec("TPW", "Token", lambda config, deployed: ("TPWallet", "TPW", 18)),
    ContractSpec(
        "MultisigTreasury",
        "MultisigTreasury",
        lambda config, deployed: (
            list(config.owners),
            config.threshold,
            *config.custody_key,
            [(deployed["tUSD"], config.custody_daily_limit_tusd)],
            config.treasury_delay,
        ),
    ),
    ContractSpec(
        "SettlementAnchor",
        "SettlementAnchor",
        lambda config, deployed: (
            deployed["MultisigTreasury"],
            *config.custody_key,
            config.anchor_challenge_window,
        ),
    ),
    ContractSpec(
        "SubscriptionManager",
        "SubscriptionManager",
        lambda config, deployed: (deployed["MultisigTreasury"], config.subscription_fee_bps),
    ),
    ContractSpec("VestingEscrow", "VestingEscrow", lambda config, deployed: (deployed["TPW"],)),
    ContractSpec(
        "PaymentRouter",
        "PaymentRouter",
        lambda config, deployed: (deployed[DEPLOYER], deployed["MultisigTreasury"]),
    ),
)
MINTABLE = ("tUSD", "TPW")
ROUTER_TOKENS = ("tUSD",)
"""The tokens the PaymentRouter accepts from the start."""


def deploy_all(
    network: str, config: DeployConfig, directory: Path | None = None, deployer: Any = None
) -> Deployments:
    """Deploy the plan on the connected network and save its registry; returns the registry.

    Must run inside an Ape provider context. The deployer becomes the tokens' owner and first minter
    and the vesting escrow's admin; the treasury governs the anchor and receives subscription fees and
    stablecoin payments. The deployer owns the payment router (tUSD allowed) like the tokens; a production
    deployment hands it to the treasury with `transfer_ownership`.
    """
    from ape import accounts, project
    from ape import chain as ape_chain

    if deployer is None:
        if network not in DEV_NETWORKS:
            raise ChainError(f"network {network!r} is not a devnet: name the deployer with --account")
        deployer = accounts.test_accounts[0]
    registry = Deployments.create(network, ape_chain.chain_id, directory)
    instances: dict[str, Any] = {}
    for spec in PLAN:
        addresses = {DEPLOYER: deployer.address} | {name: item.address for name, item in instances.items()}
        instance = deployer.deploy(project.get_contract(spec.contract_type), *spec.args(config, addresses))
        receipt = instance.creation_metadata.receipt
        registry.record(
            spec.name,
            address=instance.address,
            tx_hash=receipt.txn_hash,
            block_number=receipt.block_number,
            contract_type=spec.contract_type,
            chain_id=ape_chain.chain_id,
        )
        instances[spec.name] = instance
    for token in MINTABLE:
        instances[token].set_minter(deployer, True, sender=deployer)
    for token in ROUTER_TOKENS:
        instances["PaymentRouter"].set_token_allowed(instances[token], True, sender=deployer)
    registry.save()
    return registry
