"""Flows 2 and 3: the custody group (2-of-3 FROST over mTLS) signs a treasury transfer and a settlement
anchor through the API; relayers with no authority submit them."""

from typing import Any

from chain.anchor import AnchorKind, SettlementAnchor
from chain.artifacts import contract
from chain.client import make_web3
from chain.dev_accounts import dev_accounts
from chain.intents import CustodyTransfer, Intent
from chain.merkle import MerkleTree, leaf_hash
from chain.transactions import TransactionFailed, send_call
from chain.treasury import Treasury
from custody.frost import Point, Signature, verify_signature
from scripts._support.demo.report import DemoFailed, Summary
from scripts._support.demo.tokens import TUSD_UNIT
from scripts._support.stack.config import Progress
from scripts._support.stack.devnet import DevnetStack


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
