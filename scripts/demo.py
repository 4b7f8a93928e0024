"""`ape run demo`: bring the stack up, run TPWallet's main flow end to end, print a summary, shut down.

Every step talks to the real thing: anvil over JSON-RPC, the contracts deployed by the Ape deploy
script, the API over HTTP. A failed step stops the demo with a non-zero exit and leaves no process behind.
"""

import time
from dataclasses import dataclass, field

import click

from chain.anchor import AnchorKind, SettlementAnchor
from chain.anvil import dev_accounts
from chain.artifacts import contract
from chain.client import make_web3
from chain.merkle import MerkleTree, leaf_hash
from chain.processes import ProcessError
from chain.transactions import send_call
from custody.frost import Point, Signature, verify_signature
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


def custody_anchor_flow(stack: DevnetStack, progress: Progress, summary: Summary) -> None:
    """A batch of trades becomes a Merkle root; the custody group signs its Anchor intent through the API
    (each node re-checks it against its own policy); a relayer with no authority submits it; a trade's
    inclusion proof then verifies on-chain."""
    Progress.heading(
        "flow 2: custody-signed settlement anchor (2-of-3 FROST over mTLS), proof checked on-chain"
    )
    l1 = stack.chains[0]
    assert l1.deployments is not None
    assert stack.custody_key is not None
    w3 = make_web3(l1.url)
    relayer = dev_accounts()[9]
    anchor = SettlementAnchor(w3, l1.deployments.get("SettlementAnchor").address)
    trades = [
        leaf_hash(
            ["uint256", "address", "address", "uint256"], [trade_id, buyer.address, seller.address, qty]
        )
        for trade_id, buyer, seller, qty in (
            (1, dev_accounts()[1], dev_accounts()[2], 5 * TUSD_UNIT),
            (2, dev_accounts()[2], dev_accounts()[3], 7 * TUSD_UNIT),
            (3, dev_accounts()[3], dev_accounts()[1], 11 * TUSD_UNIT),
        )
    ]
    tree = MerkleTree(trades)
    intent = anchor.next_intent(AnchorKind.SETTLEMENT, tree)
    request: dict[str, object] = {
        "key_id": stack.custody_key_id,
        "intent": {
            "primary_type": "Anchor",
            "message": intent.to_json(),
            "chain_id": l1.node.config.chain_id,
            "verifying_contract": anchor.contract.address,
        },
    }
    with progress.step("POST /v1/custody/sign-requests for the Anchor intent (policy, round 1, round 2)"):
        signed = stack.post_json("/v1/custody/sign-requests", request)
    if signed["status"] != "signed":
        raise DemoFailed(f"the custody group did not sign the anchor: {signed['status']} {signed['reasons']}")
    raw = signed["signature"]
    assert isinstance(raw, dict)
    signature = Signature.from_bytes(bytes.fromhex(str(raw["serialized"]).removeprefix("0x")))
    group_key = Point.from_xy(*stack.custody_key)
    if not verify_signature(group_key, anchor.digest(intent), signature):
        raise DemoFailed("the group signature does not verify over the anchor digest")
    progress.note(f"signature R = {signature.R.to_bytes().hex()[:16]}…, verified under the group key")
    with progress.step("a relayer (gas only, no authority) submits the anchor"):
        receipt = anchor.submit(relayer, intent, signature.onchain())
    with progress.step("checking trade 2's inclusion proof on-chain"):
        leaf = trades[1]
        included = anchor.verify(AnchorKind.SETTLEMENT, intent.seq, leaf, tree.proof(tree.index_of(leaf)))
    if not included:
        raise DemoFailed("the anchored root does not verify trade 2's proof on-chain")
    progress.note(f"anchor seq {intent.seq}, root {intent.root.hex()[:16]}…, gas {receipt['gasUsed']:,}")
    summary.add("custody key", f"2-of-3 DKG over mTLS, group key x {stack.custody_key[0]:#x}"[:60] + "…")
    summary.add(
        "settlement anchor",
        f"batch of {len(trades)} trades anchored (seq {intent.seq}); proof verified on-chain",
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
            custody_anchor_flow(stack, progress, summary)
    except (StackError, ProcessError, DemoFailed) as error:
        exit_on_stack_error(error)
    summary.print(time.monotonic() - began)
    print("\nDemo finished: every step passed.", flush=True)
