"""Flow 9: the Layer-2 bridge (issue 14). Bob deposits tUSD into BridgeL1; the stack's bridge relay (its own
process, nothing here drives it) batches the deposit, has the custody group sign the batch and claims it on
BridgeL2, which mints tUSD.b. Bob pays carol in tUSD.b on L2 and withdraws to L1. The treasury owners, the
L1 bridge's guardian, veto the batch carrying that withdrawal inside its challenge window, through their
multisig (two owners sign, a relayer submits); bob withdraws again, and that withdrawal is released on L1
once its batch's challenge window is over.

Every message's status is read as a client would, from `GET /v1/bridge/messages/{id}` (found by its
transaction through `GET /v1/bridge/deposits/{tx_hash}`) and `GET /v1/bridge/batches`; balances and the
vetoed record are read from the chains.
"""

from typing import Any, Final

from chain.artifacts import contract
from chain.bridge.contracts import BridgeL1, BridgeL2
from chain.client import make_web3
from chain.dev_accounts import dev_accounts
from chain.transactions import send_call
from scripts._support.demo.report import DemoFailed, Summary, listed, wait_for
from scripts._support.demo.tokens import TUSD_UNIT
from scripts._support.stack.bridge import BRIDGED_TUSD
from scripts._support.stack.config import Progress, StackError
from scripts._support.stack.devnet import DevnetStack
from scripts._support.stack.owners import owners_call

DEPOSIT: Final = 500 * TUSD_UNIT
PAYMENT: Final = 120 * TUSD_UNIT  # bob pays carol on L2
WITHDRAWAL: Final = 150 * TUSD_UNIT  # each of bob's two withdrawals
RELAY_WAIT_SECONDS: Final = 90.0  # confirmations, a batch's age, a signature, the challenge window
NOT_SEEN: Final = "bridge-message-not-found"  # the problem type until the relay has read the message
PAST_ATTESTED: Final = frozenset({"attested", "claimable", "claimed", "queued", "released"})


class BridgeWorld:
    """The two bridges, their tokens and the people of the flow, on plain web3."""

    def __init__(self, stack: DevnetStack) -> None:
        l1, l2 = stack.chains[0], stack.chains[1]
        assert l1.deployments is not None
        assert l2.deployments is not None
        self.stack = stack
        self.w1, self.w2 = make_web3(l1.url), make_web3(l2.url)
        self.l1 = BridgeL1(self.w1, l1.deployments.get("BridgeL1").address)
        self.l2 = BridgeL2(self.w2, l2.deployments.get("BridgeL2").address)
        self.tusd = contract(self.w1, "Token", l1.deployments.get("tUSD").address)
        self.bridged = contract(self.w2, "BridgedToken", l2.deployments.get(BRIDGED_TUSD).address)
        self.treasury = l1.deployments.get("MultisigTreasury").address
        self.deployer, self.bob, self.carol = dev_accounts()[0], dev_accounts()[2], dev_accounts()[3]

    def balances(self) -> str:
        """Bob's tUSD on L1, bob's and carol's tUSD.b on L2, and what BridgeL1 escrows."""
        return (
            f"bob {_tusd(self.tusd, self.bob.address)} tUSD on L1, "
            f"{_tusd(self.bridged, self.bob.address)} tUSD.b on L2; carol "
            f"{_tusd(self.bridged, self.carol.address)} tUSD.b; "
            f"escrow {_tusd(self.tusd, self.l1.address)} tUSD"
        )

    def message_of_tx(self, tx_hash: str) -> dict[str, Any]:
        """The one bridge message `tx_hash` sent, once the relay has read it (2 confirmations)."""

        def seen() -> dict[str, Any] | None:
            try:
                (message,) = self.stack.get_json(f"/v1/bridge/deposits/{tx_hash}")["data"]
            except StackError as error:  # 404 until the relay's watcher has read the transaction
                if NOT_SEEN not in str(error):
                    raise
                return None
            return message

        found: dict[str, Any] = wait_for(f"the message of {tx_hash}", seen, RELAY_WAIT_SECONDS)
        return found

    def message_reaching(self, message_id: str, statuses: frozenset[str]) -> dict[str, Any]:
        """`GET /v1/bridge/messages/{id}` once its status is one of `statuses`."""

        def reached() -> dict[str, Any] | None:
            message = self.stack.get_json(f"/v1/bridge/messages/{message_id}")
            return message if message["status"] in statuses else None

        found: dict[str, Any] = wait_for(
            f"message {message_id} {'/'.join(sorted(statuses))}", reached, RELAY_WAIT_SECONDS
        )
        return found


def _tusd(token: Any, holder: str) -> str:
    return f"{int(token.functions.balanceOf(holder).call()) / TUSD_UNIT:,.2f}"


def _hex(receipt: Any) -> str:
    return "0x" + bytes(receipt["transactionHash"]).hex()


def _deposit(world: BridgeWorld, progress: Progress) -> dict[str, Any]:
    """Bob deposits on L1; the relay claims it on L2: the message, claimed."""
    with progress.step(f"minting {DEPOSIT // TUSD_UNIT} tUSD to bob on L1; he approves BridgeL1"):
        send_call(world.w1, world.deployer, world.tusd.functions.mint(world.bob.address, DEPOSIT))
        send_call(world.w1, world.bob, world.tusd.functions.approve(world.l1.address, DEPOSIT))
    with progress.step(f"bob deposits {DEPOSIT // TUSD_UNIT} tUSD into BridgeL1 for himself on L2"):
        tx_hash = _hex(world.l1.deposit(world.bob, world.tusd.address, DEPOSIT, world.bob.address))
    progress.note(f"deposit tx {tx_hash}; {world.balances()}")
    with progress.step("the relay reads it at 2 confirmations, custody signs the batch, L2 claims it"):
        seen = world.message_of_tx(tx_hash)
        claimed = world.message_reaching(seen["id"], frozenset({"claimed"}))
    if int(world.bridged.functions.balanceOf(world.bob.address).call()) != DEPOSIT:
        raise DemoFailed(f"bob holds no {DEPOSIT} tUSD.b on L2 after the claim: {world.balances()}")
    progress.note(
        f"GET /v1/bridge/messages/{claimed['id']}: {claimed['status']}, batch seq {claimed['batch_seq']}, "
        f"claim tx {claimed['claim_tx_hash']}"
    )
    progress.note(world.balances())
    return claimed


def _spend(world: BridgeWorld, progress: Progress) -> str:
    with progress.step(f"bob pays carol {PAYMENT // TUSD_UNIT} tUSD.b on L2 (a plain transfer)"):
        receipt = send_call(
            world.w2, world.bob, world.bridged.functions.transfer(world.carol.address, PAYMENT)
        )
    progress.note(f"transfer tx {_hex(receipt)}; {world.balances()}")
    return _hex(receipt)


def _withdraw(world: BridgeWorld, progress: Progress, which: str) -> dict[str, Any]:
    """Bob burns `WITHDRAWAL` tUSD.b on L2 for himself on L1: the message once the relay has read it."""
    with progress.step(f"bob withdraws {WITHDRAWAL // TUSD_UNIT} tUSD.b to L1 ({which})"):
        receipt = world.l2.withdraw(world.bob, world.bridged.address, WITHDRAWAL, world.bob.address)
    tx_hash = _hex(receipt)
    progress.note(f"withdrawal tx {tx_hash}; {world.balances()}")
    return world.message_of_tx(tx_hash)


def _veto(world: BridgeWorld, progress: Progress, message: dict[str, Any]) -> int:
    """Once the withdrawal's batch is attested on L1, two treasury owners sign its veto and a relayer
    submits it before the challenge window ends: the vetoed seq."""
    with progress.step(
        "the relay batches the withdrawal and attests it on BridgeL1 (challenge window opens)"
    ):
        attested = world.message_reaching(message["id"], PAST_ATTESTED)
    if attested["status"] != "attested":
        raise DemoFailed(f"the withdrawal went past its challenge window before the veto: {attested}")
    seq = int(attested["batch_seq"])
    progress.note(f"batch seq {seq} attested; its challenge window ends at {attested['challenge_ends_at']}")
    veto = world.l1.contract.functions.veto(seq)
    with progress.step(f"the guardian vetoes seq {seq}: 2 of 3 treasury owners sign, a relayer submits"):
        receipt = owners_call(world.w1, world.treasury, veto, world.deployer)
    if not world.l1.record(seq).vetoed:
        raise DemoFailed(f"BridgeL1 does not hold batch {seq} vetoed after the owners' transaction")
    progress.note(f"veto tx {_hex(receipt)} (MultisigTreasury.execute_with_owners -> BridgeL1.veto)")
    return seq


def _batch(stack: DevnetStack, seq: int, dst_chain_id: int) -> dict[str, Any] | None:
    """The batch of `seq` into `dst_chain_id` as `GET /v1/bridge/batches` lists it, if it does."""
    _, batches = listed(stack, "/v1/bridge/batches")
    for batch in batches:
        if int(batch["seq"]) == seq and int(batch["dst_chain_id"]) == dst_chain_id:
            return batch
    return None


def _vetoed_batch(world: BridgeWorld, progress: Progress, seq: int) -> dict[str, Any]:
    """`GET /v1/bridge/batches` shows batch `seq` vetoed once the relay has read the `BatchVetoed` event."""
    dst = int(world.w1.eth.chain_id)

    def vetoed() -> dict[str, Any] | None:
        batch = _batch(world.stack, seq, dst)
        return batch if batch is not None and batch["status"] == "vetoed" else None

    with progress.step(f"GET /v1/bridge/batches: the relay reports seq {seq} vetoed"):
        found: dict[str, Any] = wait_for(f"batch {seq} reported vetoed", vetoed, RELAY_WAIT_SECONDS)
    return found


def _released(
    world: BridgeWorld, progress: Progress, message: dict[str, Any], vetoed_seq: int, which: str
) -> dict[str, Any]:
    """Withdrawal `which`, attested in a batch after the vetoed one and released on L1 after its window:
    the second one in the batch cut after the veto, the first one too, since the relay cuts a vetoed
    batch's messages again."""
    with progress.step(f"the {which} withdrawal: attested again on L1, then paid after the challenge window"):
        released = world.message_reaching(message["id"], frozenset({"claimed"}))
    if int(released["batch_seq"]) <= vetoed_seq:
        raise DemoFailed(
            f"the {which} withdrawal was paid from batch {released['batch_seq']}, not one after the veto"
        )
    progress.note(
        f"GET /v1/bridge/messages/{released['id']}: {released['status']} in batch seq "
        f"{released['batch_seq']} (window ended {released['challenge_ends_at']}), "
        f"release tx {released['claim_tx_hash']}"
    )
    return released


def _check_balances(world: BridgeWorld, before: int, paid: list[dict[str, Any]]) -> None:
    """Bob's tUSD on L1 grew by exactly what the withdrawals the API shows claimed carried."""
    expected = before + sum(int(message["amount"]) for message in paid)
    held = int(world.tusd.functions.balanceOf(world.bob.address).call())
    if held != expected:
        raise DemoFailed(f"bob holds {held} tUSD base units on L1, expected {expected}")


def bridge_flow(stack: DevnetStack, progress: Progress, summary: Summary) -> None:
    Progress.heading("flow 9: the L1 <-> L2 bridge: deposit, spend on L2, withdraw, a guardian veto, release")
    world = BridgeWorld(stack)
    deposit = _deposit(world, progress)
    summary.add(
        "bridge deposit",
        f"{DEPOSIT // TUSD_UNIT} tUSD L1 -> L2 by the relay (batch seq {deposit['batch_seq']}), claimed",
    )
    _spend(world, progress)
    before = int(world.tusd.functions.balanceOf(world.bob.address).call())
    first = _withdraw(world, progress, "first")
    seq = _veto(world, progress, first)
    batch = _vetoed_batch(world, progress, seq)
    progress.note(f"batch {batch['id']} seq {batch['seq']}: {batch['status']}, root {batch['root'][:18]}…")
    second = _withdraw(world, progress, "second")
    released = _released(world, progress, second, seq, "second")
    recut = _released(world, progress, first, seq, "first (vetoed, cut again by the relay)")
    _check_balances(world, before, [released, recut])
    progress.note(world.balances())
    summary.add(
        "bridge veto and release",
        f"withdrawal batch seq {seq} vetoed by the treasury owners; both withdrawals released on L1 after "
        f"their windows (seqs {recut['batch_seq']} and {released['batch_seq']}), each once",
    )
