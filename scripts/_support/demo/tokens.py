"""Flow 1: a token transfer on L1, its events read back through the API."""

from chain.artifacts import contract
from chain.client import make_web3
from chain.dev_accounts import dev_accounts
from chain.transactions import send_call
from scripts._support.demo.report import DemoFailed, Summary
from scripts._support.stack.config import Progress
from scripts._support.stack.devnet import DevnetStack

TUSD_UNIT = 10**6  # tUSD has 6 decimals


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
    expected = {"sender": alice.address, "receiver": bob.address, "value": str(250 * TUSD_UNIT)}
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
