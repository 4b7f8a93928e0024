"""`ape run demo`: bring the stack up, run TPWallet's main flow end to end, print a summary, shut down.

Every step talks to the real thing: anvil over JSON-RPC, the contracts deployed by the Ape deploy
script, the API over HTTP. A failed step stops the demo with a non-zero exit and leaves no process behind.
"""

import time
from dataclasses import dataclass, field

import click

from chain.anvil import dev_accounts
from chain.artifacts import contract
from chain.client import make_web3
from chain.processes import ProcessError
from chain.transactions import send_call
from scripts._stack import DevnetStack, Progress, StackError, exit_on_stack_error, running_stack

TUSD_UNIT = 10**6  # tUSD has 6 decimals


class DemoFailed(RuntimeError):
    """A step of the flow did not produce what it should have."""


@dataclass
class Summary:
    """What the demo proved, printed at the end."""

    rows: list[tuple[str, str]] = field(default_factory=list)

    def add(self, what: str, result: str) -> None:
        self.rows.append((what, result))

    def print(self, elapsed: float) -> None:
        Progress.heading(f"summary ({elapsed:.1f}s)")
        width = max(len(what) for what, _ in self.rows)
        for what, result in self.rows:
            print(f"  {what:<{width}}  {result}")


def smoke_flow(stack: DevnetStack, progress: Progress, summary: Summary) -> None:
    """Mint tUSD on L1, transfer it, and read the Transfer event back through the API."""
    Progress.heading("flow 1: token transfer on L1, read back through the API")
    l1 = stack.chains[0]
    assert l1.deployments is not None
    w3 = make_web3(l1.url)
    deployer, alice, bob = dev_accounts()[:3]
    tusd = contract(w3, "Token", l1.deployments.get("tUSD").address)
    with progress.step("minting 1,000.00 tUSD to alice"):
        send_call(w3, deployer, tusd.functions.mint(alice.address, 1_000 * TUSD_UNIT))
    with progress.step("alice transfers 250.00 tUSD to bob"):
        receipt = send_call(w3, alice, tusd.functions.transfer(bob.address, 250 * TUSD_UNIT))
    tx_hash = receipt["transactionHash"].to_0x_hex()
    with progress.step("reading the transaction's events back through the API"):
        body = stack.get_json(f"/v1/chains/l1/transactions/{tx_hash}/events")
    events = body["events"]
    assert isinstance(events, list)
    transfers = [e for e in events if e["event"] == "Transfer" and e["contract"] == "tUSD"]
    expected = {"sender": alice.address, "receiver": bob.address, "value": 250 * TUSD_UNIT}
    if len(transfers) != 1 or transfers[0]["args"] != expected:
        raise DemoFailed(f"the API returned {events!r}, expected one tUSD Transfer {expected!r}")
    balance = tusd.functions.balanceOf(bob.address).call()
    if balance != 250 * TUSD_UNIT:
        raise DemoFailed(f"bob holds {balance} tUSD base units, expected {250 * TUSD_UNIT}")
    progress.note(f"tx {tx_hash} in block {receipt['blockNumber']}, gas used {receipt['gasUsed']:,}")
    progress.note(f"API: Transfer(sender={alice.address}, receiver={bob.address}, value=250.000000 tUSD)")
    summary.add(
        "L1 token transfer", f"250.00 tUSD alice -> bob, event read back via API (tx {tx_hash[:12]}…)"
    )


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
            smoke_flow(stack, progress, summary)
    except (StackError, ProcessError, DemoFailed) as error:
        exit_on_stack_error(error)
    summary.print(time.monotonic() - began)
    print("\nDemo finished: every step passed.", flush=True)
