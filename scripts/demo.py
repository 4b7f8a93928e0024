"""`ape run demo`: bring the stack up, run TPWallet's main flow end to end, print a summary, shut down.

Every step talks to the real thing: anvil over JSON-RPC, the contracts deployed by the Ape deploy
script, the API over HTTP. A failed step stops the demo with a non-zero exit and leaves no process behind.
The flows live in `scripts/_support/demo/`, one module per part of the product.
"""

import time

import click

from chain.errors import ChainError
from scripts._support.demo import bridge, custody, exchange, subscriptions, tokens, vesting
from scripts._support.demo.money import money_flow
from scripts._support.demo.report import DemoFailed, Summary
from scripts._support.processes import ProcessError
from scripts._support.stack.config import Progress, StackError, exit_on_stack_error
from scripts._support.stack.devnet import running_stack


@click.command(short_help="Run TPWallet's main flow on a fresh local stack, then shut it down")
def cli() -> None:
    """Start both chains and the services, run every flow, print a summary, stop everything."""
    from ape.logging import logger

    logger.set_level("WARNING")
    began = time.monotonic()
    progress = Progress()
    summary = Summary()
    Progress.heading("TPWallet demo: starting the local stack")
    try:
        with running_stack() as stack:
            for chain in stack.chains:
                summary.add(
                    f"{chain.label} chain", f"anvil {chain.url}, chain id {chain.node.config.chain_id}"
                )
            summary.add("API", f"{stack.api_url} (health ok)")
            assert stack.custody_key is not None
            key_x = f"{stack.custody_key[0]:#066x}"
            summary.add("custody key", f"2-of-3 DKG over mTLS, group key x {key_x[:26]}…")
            tokens.smoke_flow(stack, progress, summary)
            custody.custody_treasury_flow(stack, progress, summary)
            custody.custody_anchor_flow(stack, progress, summary)
            # Before the flows that move L1's clock forward, so that on-chain payments are booked on the
            # same UTC day as the ledger's (reconciliation compares days).
            money_flow(stack, progress, summary)
            vesting.allocation_vesting_flow(stack, progress, summary)
            subscriptions.subscription_keeper_flow(stack, progress, summary)
            exchange.exchange_flow(stack, progress, summary)
            bridge.bridge_flow(stack, progress, summary)
    except (StackError, ProcessError, DemoFailed, ChainError) as error:
        exit_on_stack_error(error)
    summary.print(time.monotonic() - began)
    print("\nDemo finished: every step passed.", flush=True)
