"""`ape run deploy --network ... --custody-key HEX`: deploy every contract, record deployments/<network>.json.

On a local devnet (`ethereum:local:foundry`, `ethereum:l2devnet:node`) the deployer defaults to Ape's first
test account (anvil's funded account 0) and the treasury owners to test accounts 1-3 (2 of 3); anywhere else
name them. The custody key is the group public key of a custody DKG (`tpw-custody keygen` or the API's
`POST /v1/custody/keys`), as 33-byte compressed hex.
"""

from typing import Any

import click
from ape.cli import ConnectedProviderCommand, account_option, network_option

from chain.deploy import DEV_NETWORKS, DeployConfig, deploy_all
from chain.errors import ChainError
from custody.frost import FrostError, Point, require_onchain_verifiable

DEV_OWNER_INDEXES = (1, 2, 3)


def parse_custody_key(text: str) -> tuple[int, int]:
    """(x, y) of a 33-byte compressed secp256k1 key the on-chain verifier can take."""
    try:
        point = Point.from_bytes(bytes.fromhex(text.removeprefix("0x")))
        require_onchain_verifiable(point)
    except (ValueError, FrostError) as error:
        raise click.BadParameter(
            f"not a usable custody group key: {error}", param_hint="--custody-key"
        ) from None
    return point.coordinates()


@click.command(cls=ConnectedProviderCommand, short_help="Deploy TPWallet's contracts to --network")
@network_option()
@account_option(prompt=False)
@click.option("--custody-key", required=True, help="custody group public key, 33-byte compressed hex")
@click.option(
    "--owners", default="", help="treasury owners, comma-separated addresses (devnet: test accounts 1-3)"
)
@click.option("--threshold", type=click.IntRange(min=1), default=2, show_default=True, help="owners needed")
def cli(
    ecosystem: Any, network: Any, provider: Any, account: Any, custody_key: str, owners: str, threshold: int
) -> None:
    """Deploy every contract to the connected network and write deployments/<network>.json."""
    from ape import accounts

    owner_list = tuple(owner.strip() for owner in owners.split(",") if owner.strip())
    if not owner_list:
        if network.name not in DEV_NETWORKS:
            raise click.UsageError("name the treasury owners with --owners on a non-devnet network")
        owner_list = tuple(accounts.test_accounts[index].address for index in DEV_OWNER_INDEXES)
    config = DeployConfig(owners=owner_list, threshold=threshold, custody_key=parse_custody_key(custody_key))
    try:
        registry = deploy_all(network.name, config, deployer=account)
    except ChainError as error:
        raise click.UsageError(str(error)) from error
    click.echo(f"deployed to {network.name} (chain id {registry.chain_id}); registry {registry.path}")
    for name in registry.names():
        click.echo(f"  {name:<20} {registry.get(name).address}")
