"""`ape run deploy --network ...`: deploy every TPWallet contract and record it in deployments/<network>.json.

On a local devnet (`ethereum:local:foundry`, `ethereum:l2devnet:node`) the deployer defaults to Ape's first
test account (anvil's funded account 0); anywhere else name one with `--account`.
"""

from typing import Any

import click
from ape.cli import ConnectedProviderCommand, account_option, network_option

from chain.deploy import deploy_all
from chain.errors import ChainError


@click.command(cls=ConnectedProviderCommand, short_help="Deploy TPWallet's contracts to --network")
@network_option()
@account_option(prompt=False)
def cli(ecosystem: Any, network: Any, provider: Any, account: Any) -> None:
    """Deploy every contract to the connected network and write deployments/<network>.json."""
    try:
        registry = deploy_all(network.name, deployer=account)
    except ChainError as error:
        raise click.UsageError(str(error)) from error
    click.echo(f"deployed to {network.name} (chain id {registry.chain_id}); registry {registry.path}")
    for name in registry.names():
        click.echo(f"  {name:<18} {registry.get(name).address}")
