"""TPWallet's deployment plan and the function that carries it out on the connected Ape network.

The Ape script `scripts/deploy.py`, the devnet and the tests all deploy through `deploy_all`, so every
environment gets the same contracts wired the same way, recorded in deployments/<network>.json.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chain.deployments import Deployments
from chain.errors import ChainError

DEV_NETWORKS = frozenset({"local", "l2devnet"})


@dataclass(frozen=True)
class ContractSpec:
    """One entry of the deployment plan: registry name, artifact name, constructor arguments."""

    name: str
    contract_type: str
    args: tuple[Any, ...]


PLAN: tuple[ContractSpec, ...] = (
    ContractSpec("tUSD", "Token", ("TPWallet USD", "tUSD", 6)),
    ContractSpec("TPW", "Token", ("TPWallet", "TPW", 18)),
)


def deploy_all(network: str, directory: Path | None = None, deployer: Any = None) -> Deployments:
    """Deploy the plan on the connected network and save its registry; returns the registry.

    Must run inside an Ape provider context. The deployer becomes the tokens' owner and first minter.
    """
    from ape import accounts, project
    from ape import chain as ape_chain

    if deployer is None:
        if network not in DEV_NETWORKS:
            raise ChainError(f"network {network!r} is not a devnet: name the deployer with --account")
        deployer = accounts.test_accounts[0]
    registry = Deployments.create(network, ape_chain.chain_id, directory)
    deployed = {}
    for spec in PLAN:
        instance = deployer.deploy(project.get_contract(spec.contract_type), *spec.args)
        receipt = instance.creation_metadata.receipt
        registry.record(
            spec.name,
            address=instance.address,
            tx_hash=receipt.txn_hash,
            block_number=receipt.block_number,
            contract_type=spec.contract_type,
            chain_id=ape_chain.chain_id,
        )
        deployed[spec.name] = instance
    for token in ("tUSD", "TPW"):
        deployed[token].set_minter(deployer, True, sender=deployer)
    registry.save()
    return registry
