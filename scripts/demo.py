"""`ape run demo`: bring the stack up, run TPWallet's main flow end to end, print a summary, shut down.

Every step talks to the real thing: anvil over JSON-RPC, the contracts deployed by the Ape deploy
script, the API over HTTP. A failed step stops the demo with a non-zero exit and leaves no process behind.
"""

import time
from dataclasses import dataclass, field
from typing import Any

import click
from eth_typing import HexStr

from chain.allocation import TPW_DECIMALS, format_tokens, load_plan
from chain.anchor import AnchorKind, SettlementAnchor
from chain.artifacts import contract
from chain.client import make_web3
from chain.dev_accounts import dev_accounts
from chain.errors import ChainError
from chain.intents import CustodyTransfer, Intent
from chain.merkle import MerkleTree, leaf_hash
from chain.paths import PROJECT_ROOT
from chain.subscriptions import SubscriptionManager
from chain.transactions import TransactionFailed, send_call
from chain.treasury import Treasury
from chain.vesting import VestingEscrow, utc
from custody.frost import Point, Signature, verify_signature
from scripts._support.processes import ProcessError
from scripts._support.stack import DevnetStack, running_stack
from scripts._support.stack_config import Progress, StackError, exit_on_stack_error
from scripts.allocate import allocate

TUSD_UNIT = 10**6  # tUSD has 6 decimals
DAY = 86_400
ALLOCATION_PLAN = PROJECT_ROOT / "config" / "allocation.example.yaml"
KEEPER_TIMEOUT_SECONDS = 60.0


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


def request_signature(
    stack: DevnetStack,
    intent: Intent,
    chain_id: int,
    contract: str,
    anchor_leaves: list[bytes] | None = None,
) -> dict[str, Any]:
    """POST `intent` for `contract` on `chain_id` to the custody API under the stack's key; the sign request
    as the API answers it (signed, pending or refused, with the nodes' reasons). Every uint256, the chain id
    included, travels as a decimal string, as the API asks of every client. An Anchor may carry its batch's
    leaves, from which every signer node recomputes the root, count and total before it signs."""
    typed = {
        "primary_type": intent.PRIMARY_TYPE,
        "message": intent.to_json(uint256_as_string=True),
        "chain_id": str(chain_id),
        "verifying_contract": contract,
    }
    body: dict[str, Any] = {"key_id": stack.custody_key_id, "intent": typed}
    if anchor_leaves is not None:
        body["anchor_leaves"] = {"tree": "plain", "leaves": ["0x" + leaf.hex() for leaf in anchor_leaves]}
    return stack.post_json("/v1/custody/sign-requests", body)


def signature_of(signed: dict[str, Any], what: str) -> Signature:
    """The group signature of a sign request the custody group must have signed."""
    if signed["status"] != "signed":
        raise DemoFailed(f"the custody group did not sign {what}: {signed['status']} {signed['reasons']}")
    return Signature.from_bytes(bytes.fromhex(signed["signature"]["serialized"].removeprefix("0x")))


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


def custody_treasury_flow(stack: DevnetStack, progress: Progress, summary: Summary) -> None:
    """The custody group signs a hot-tier `CustodyTransfer` out of the treasury through the API (each node
    re-checks it against its policy's limits); a relayer with no authority submits it; the treasury checks
    the FROST signature and its own 24-hour limit, and refuses the same signature a second time. A transfer
    above the nodes' per-transaction limit is refused by policy before any nonce is spent."""
    Progress.heading("flow 2: a treasury transfer signed by the custody group (2-of-3 FROST), relayed")
    l1 = stack.chains[0]
    assert l1.deployments is not None
    w3 = make_web3(l1.url)
    deployer, carol, relayer = dev_accounts()[0], dev_accounts()[3], dev_accounts()[9]
    treasury = Treasury(w3, l1.deployments.get("MultisigTreasury").address)
    tusd_address = l1.deployments.get("tUSD").address
    tusd = contract(w3, "Token", tusd_address)
    with progress.step("minting 5,000.00 tUSD into the treasury"):
        send_call(w3, deployer, tusd.functions.mint(treasury.address, 5_000 * TUSD_UNIT))
    deadline = int(w3.eth.get_block("latest")["timestamp"]) + 3_600

    def order(amount: int) -> CustodyTransfer:
        nonce = treasury.custody_nonce(tusd_address)
        return CustodyTransfer(carol.address, tusd_address, amount, nonce, deadline)

    def sign(transfer: CustodyTransfer) -> dict[str, Any]:
        return request_signature(stack, transfer, l1.node.config.chain_id, treasury.address)

    with progress.step("asking custody for 20,000.00 tUSD to carol (over the nodes' per-transaction limit)"):
        refused = sign(order(20_000 * TUSD_UNIT))
    if refused["status"] != "refused":
        raise DemoFailed(f"an over-limit transfer was not refused: {refused['status']} {refused['reasons']}")
    progress.note(f"refused by policy: {refused['reasons'][0]}")
    with progress.step("asking custody for 1,200.00 tUSD to carol (policy, round 1, round 2)"):
        transfer = order(1_200 * TUSD_UNIT)
        signature = signature_of(sign(transfer), "the treasury transfer")
    held = int(tusd.functions.balanceOf(carol.address).call())
    with progress.step("a relayer (gas only, no authority) submits it; the treasury verifies the signature"):
        receipt = treasury.submit_with_custody(relayer, transfer, signature.onchain())
    if [event.event for event in treasury.events(receipt)] != ["CustodyTransferred"]:
        raise DemoFailed(f"the treasury did not make the transfer: {treasury.events(receipt)!r}")
    if tusd.functions.balanceOf(carol.address).call() != held + transfer.amount:
        raise DemoFailed("carol did not receive the 1,200.00 tUSD")
    progress.note(f"carol received 1,200.00 tUSD; gas {receipt['gasUsed']:,}")
    with progress.step("relaying the same signature again: the treasury refuses it"):
        try:
            treasury.submit_with_custody(relayer, transfer, signature.onchain())
        except TransactionFailed as failure:
            reason = failure.reason
        else:
            raise DemoFailed("the treasury accepted a replayed custody signature")
    progress.note(f"revert reason: {reason}")
    summary.add(
        "treasury transfer",
        "1,200.00 tUSD on a custody signature, relayed; replay and over-limit refused",
    )


def custody_anchor_flow(stack: DevnetStack, progress: Progress, summary: Summary) -> None:
    """A batch of trades becomes a Merkle root; the custody group signs its Anchor intent through the API
    (each node re-checks it against its own policy); a relayer with no authority submits it; a trade's
    inclusion proof then verifies on-chain."""
    Progress.heading(
        "flow 3: custody-signed settlement anchor (2-of-3 FROST over mTLS), proof checked on-chain"
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
    chain_id, address = l1.node.config.chain_id, anchor.contract.address
    with progress.step("an Anchor claiming a root its leaves do not make is refused by the nodes"):
        lie = anchor.next_intent(AnchorKind.SETTLEMENT, MerkleTree(trades[:2]))
        refused = request_signature(stack, lie, chain_id, address, anchor_leaves=trades)
    if refused["status"] != "refused":
        raise DemoFailed(f"an Anchor that is not its leaves' tree came back {refused['status']}")
    with progress.step(
        "POST /v1/custody/sign-requests for the Anchor with its leaves (nodes rebuild the tree)"
    ):
        signed = request_signature(stack, intent, chain_id, address, anchor_leaves=trades)
    signature = signature_of(signed, "the anchor")
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
    summary.add(
        "settlement anchor",
        f"batch of {len(trades)} trades anchored (seq {intent.seq}); proof verified on-chain",
    )


def allocation_vesting_flow(stack: DevnetStack, progress: Progress, summary: Summary) -> None:
    """Carry out the example allocation plan (`ape run allocate`'s engine), move the chain's clock past the
    team's cliff, and let alice claim her vested TPW; the API reads the grant before and after."""
    Progress.heading("flow 4: the TPW allocation plan, and a team grant claimed after its cliff")
    l1 = stack.chains[0]
    assert l1.deployments is not None
    w3 = make_web3(l1.url)
    alice = dev_accounts()[1]
    plan = load_plan(ALLOCATION_PLAN)
    plan_name = ALLOCATION_PLAN.relative_to(PROJECT_ROOT)
    with progress.step(f"allocating {plan_name} on L1 (mint TPW, create grants)"):
        print(flush=True)
        with l1.ape_connection():
            created = allocate(plan, l1.network, deployments_dir=stack.settings.deployments_dir)
    if len(created) != len(plan.grants):
        raise DemoFailed(f"{len(created)} grants created, the plan has {len(plan.grants)}")
    team = next(
        grant for grant in plan.grants if grant.category == "team" and grant.beneficiary == alice.address
    )
    path = f"/v1/vesting/beneficiaries/{alice.address}/grants"
    with progress.step("reading alice's team grant through the API"):
        before, grants = _listed(stack, path)
    grant = _team_grant(grants, team.amount)
    claimable = format_tokens(int(grant["claimable"]), TPW_DECIMALS)
    progress.note(
        f"grant {str(grant['grant_id'])[:12]}…: {format_tokens(team.amount, TPW_DECIMALS)} TPW, cliff "
        f"{utc(int(grant['cliff_end'])):%Y-%m-%d}, claimable now {claimable}"
    )
    wait = int(grant["cliff_end"]) + 30 * DAY - int(before["block_timestamp"])
    if wait > 0:
        with progress.step(f"moving L1's clock {wait // DAY} days forward, past the cliff"):
            l1.node.increase_time(wait)
    escrow = VestingEscrow(w3, l1.deployments.get("VestingEscrow").address)
    tpw = contract(w3, "Token", l1.deployments.get("TPW").address)
    held = int(tpw.functions.balanceOf(alice.address).call())
    with progress.step("alice claims her vested TPW"):
        paid = escrow.claim(alice, int(grant["grant_id"]))
    after = _team_grant(_listed(stack, path)[1], team.amount)
    now_held = int(tpw.functions.balanceOf(alice.address).call())
    if paid <= 0 or int(after["claimed"]) != paid or now_held != held + paid:
        raise DemoFailed(f"alice's claim paid {paid}; the API says claimed {after['claimed']}")
    whole_tokens = f"{paid // 10**TPW_DECIMALS:,}"
    progress.note(f"paid {format_tokens(paid, TPW_DECIMALS)} TPW; the API now shows it claimed")
    supply = format_tokens(plan.total_supply, TPW_DECIMALS)
    summary.add("allocation plan", f"{len(created)} grants, {supply} TPW minted into VestingEscrow")
    summary.add("vesting claim", f"alice claimed {whole_tokens} TPW after the team cliff")


def _listed(stack: DevnetStack, path: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A list route's first page, and its items over every page: the API's one pagination convention
    (`limit` and `cursor` in; `data`, `has_more` and `next_cursor` out)."""
    first = page = stack.get_json(path)
    items: list[dict[str, Any]] = list(page["data"])
    while page["has_more"]:
        page = stack.get_json(f"{path}?cursor={page['next_cursor']}")
        items += page["data"]
    return first, items


def _team_grant(grants: list[dict[str, Any]], amount: int) -> dict[str, Any]:
    """The one grant of `amount` among a beneficiary's grants."""
    matching = [grant for grant in grants if grant["amount"] == str(amount)]  # uint256: a string
    if len(matching) != 1:
        raise DemoFailed(f"the API lists {grants!r}, expected one grant of {amount}")
    found: dict[str, Any] = matching[0]
    return found


def subscription_keeper_flow(stack: DevnetStack, progress: Progress, summary: Summary) -> None:
    """A merchant's monthly plan in tUSD; bob subscribes (first period paid at once); the chain's clock
    moves a period on, and the keeper process — not the demo — charges the second period."""
    Progress.heading("flow 5: a subscription charged by the keeper after a period passes")
    l1 = stack.chains[0]
    assert l1.deployments is not None
    w3 = make_web3(l1.url)
    bob, merchant = dev_accounts()[2], dev_accounts()[5]
    deployment = l1.deployments.get("SubscriptionManager")
    manager = SubscriptionManager(w3, deployment.address, from_block=deployment.block_number)
    tusd_address = l1.deployments.get("tUSD").address
    tusd = contract(w3, "Token", tusd_address)
    price = 9_990_000  # 9.99 tUSD
    with progress.step("the merchant creates a plan: 9.99 tUSD every 30 days"):
        plan_id = manager.create_plan(merchant, tusd_address, price, 30 * DAY, grace=3 * DAY)
    with progress.step("bob approves 12 periods and subscribes (the first period is charged at once)"):
        send_call(w3, bob, tusd.functions.approve(manager.address, 12 * price))
        subscription_id = manager.subscribe(bob, plan_id)
    path = f"/v1/subscriptions/{subscription_id}"
    first = stack.get_json(path)["subscription"]
    if first["periods_paid"] != "1" or first["due"]:
        raise DemoFailed(f"after subscribing the API shows {first!r}")
    with progress.step("moving L1's clock 30 days forward: the second period is due"):
        l1.node.increase_time(int(first["paid_through"]) - manager.now() + 60)
    with progress.step("waiting for the keeper to charge it"):
        charged = _wait_until_paid(stack, path, periods=2)
    keeper_charges = [
        event
        for event in manager.events(deployment.block_number, int(w3.eth.block_number))
        if event.event == "Charged" and event.args["subscription_id"] == subscription_id
    ]
    if len(keeper_charges) != 2:
        raise DemoFailed(f"expected two Charged events, the chain has {len(keeper_charges)}")
    tx = w3.eth.get_transaction(HexStr(keeper_charges[-1].tx_hash))
    if tx["from"] != stack.keeper_relayer.address:
        raise DemoFailed(f"the second period was charged by {tx['from']}, not the keeper")
    plan = manager.plan(plan_id)
    received = int(tusd.functions.balanceOf(merchant.address).call())
    if received != 2 * plan.merchant_amount:
        expected = 2 * plan.merchant_amount
        raise DemoFailed(f"the merchant holds {received} tUSD base units, expected {expected}")
    progress.note(
        f"subscription {subscription_id}: {charged['periods_paid']} periods paid, paid through "
        f"{utc(int(charged['paid_through'])):%Y-%m-%d}; the merchant got 2 x "
        f"{plan.merchant_amount / TUSD_UNIT:.4f}, the treasury 2 x {plan.fee / TUSD_UNIT:.4f} tUSD in fees"
    )
    tx_hash = keeper_charges[-1].tx_hash
    summary.add("subscription", f"9.99 tUSD / 30 days: period 2 charged by the keeper (tx {tx_hash[:12]}…)")


def _wait_until_paid(stack: DevnetStack, path: str, *, periods: int) -> dict[str, Any]:
    """The subscription at `path` once the API shows `periods` periods paid; the keeper polls every 0.5 s,
    and a keeper that exits or takes longer than KEEPER_TIMEOUT_SECONDS fails the demo with its log."""
    assert stack.keeper is not None
    seen: dict[str, Any] = {}

    def paid() -> bool:
        seen.update(stack.get_json(path)["subscription"])
        return int(seen["periods_paid"]) >= periods

    stack.keeper.wait_ready(paid, timeout=KEEPER_TIMEOUT_SECONDS, interval=0.25)
    return seen


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
            smoke_flow(stack, progress, summary)
            custody_treasury_flow(stack, progress, summary)
            custody_anchor_flow(stack, progress, summary)
            allocation_vesting_flow(stack, progress, summary)
            subscription_keeper_flow(stack, progress, summary)
    except (StackError, ProcessError, DemoFailed, ChainError) as error:
        exit_on_stack_error(error)
    summary.print(time.monotonic() - began)
    print("\nDemo finished: every step passed.", flush=True)
