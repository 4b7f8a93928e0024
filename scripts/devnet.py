"""`ape run devnet`: the whole local stack left running for dApp work until Ctrl-C, then a clean shutdown."""

import signal

import click

from chain.dev_accounts import dev_accounts
from scripts._support.processes import ProcessError
from scripts._support.stack.config import DevnetSettings, Progress, StackError, exit_on_stack_error
from scripts._support.stack.devnet import running_stack


@click.command(short_help="Start both anvil chains, deploy, serve the API; Ctrl-C stops it all")
def cli() -> None:
    """Start the local stack and keep it up until Ctrl-C (or SIGTERM), then stop every process."""
    from ape.logging import logger

    logger.set_level("WARNING")
    settings = DevnetSettings()
    Progress.heading("TPWallet devnet: starting")
    try:
        with running_stack(settings) as stack:
            Progress.heading("TPWallet devnet is up")
            for chain in stack.chains:
                print(
                    f"  {chain.label} RPC   {chain.url}  (chain id {chain.node.config.chain_id}, Ape network "
                    f"{chain.ape_choice[0]})"
                )
            print(f"  API      {stack.api_url}  (OpenAPI docs at {stack.api_url}/docs)")
            print(
                f"  keeper   charging due subscriptions on L1 from {stack.keeper_relayer.address} "
                f"(log {stack.log_dir / 'keeper.log'})"
            )
            print(f"  deployments in {settings.deployments_dir}/")
            for chain in stack.chains:
                assert chain.deployments is not None
                for name in chain.deployments.names():
                    print(f"    {chain.label} {name:<18} {chain.deployments.get(name).address}")
            print("  funded dev accounts (10,000 ETH each on both chains; publicly known keys, devnet only):")
            for index, account in enumerate(dev_accounts()):
                print(f"    [{index}] {account.address}  key 0x{account.key.hex()}")
            print("\n  Press Ctrl-C to stop.", flush=True)
            signal.pause()
    except KeyboardInterrupt:
        pass
    except (StackError, ProcessError) as error:
        exit_on_stack_error(error)
