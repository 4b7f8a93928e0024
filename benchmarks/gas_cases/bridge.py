"""Gas of the bridge (issue 14): an L1 deposit, a batch attestation, claims on L2, and the L1 release.

Both bridges run on the benchmark's one py-evm chain (each names that chain as the other's; the bridge
addresses keep the routes apart). The relayer plays the user too: it deposits tUSD for itself, so every claim
after the first pays a recipient already holding the bridged token, and every signature is a real 2-of-3
FROST signature from `benchmarks.keys`. Steady state throughout: the third deposit (the nonce slot, both
balances and the allowance non-zero), the second batch (it reads the first batch's record, as every batch but
a route's first does), the third claim of a batch (its nonce's bitmap word already non-zero, as for 255 of
every 256 nonces).

The peer is the OP Stack's `L1StandardBridge.depositERC20`, not deployed here: its published Foundry gas
snapshot (`OP_DEPOSIT_SNAPSHOT`) gives 118,592 for the warm benchmark deposit, execution gas without the
21,000 intrinsic gas a transaction adds, so comparing our total transaction gas with it favours the peer.
"""

from collections.abc import Mapping, Sequence
from statistics import mean
from typing import Any

from web3.types import TxReceipt

from benchmarks.gas_cases.common import GasEnv, Measurement
from benchmarks.keys import fixed_key
from chain.bridge.batch import ZERO_ROOT, Batch
from chain.bridge.contracts import Bridge, BridgeL1, BridgeL2
from chain.bridge.message import Message
from custody.provision import Key, sign_with_key

CLAIM_GAS_BUDGET = 60_000
BATCH_GAS_BUDGET = 65_000
OP_DEPOSIT_ERC20_GAS = 118_592
OP_DEPOSIT_SNAPSHOT = (
    "ethereum-optimism/optimism@0020adc2bd9ec7132606bcaee1c1d97c77bb1210 "
    "packages/contracts-bedrock/.gas-snapshot: "
    "GasBenchMark_L1StandardBridge_Deposit:test_depositERC20_benchmark_1() (gas: 118592)"
)
"""Where the peer's figure comes from (the package's artifacts are not deployed on py-evm here)."""
CUSTODY_KEY_SEED = 20_261_207
L1_WINDOW = 3_600
QUEUE_DELAY = 6 * 3_600
DAILY_LIMIT = 10**15
DEPOSIT = 250 * 10**6
LARGE_BATCH = 100


class _Bridges:
    """BridgeL1 and BridgeL2 linked on the env's chain, tUSD allowlisted both ways, the relayer funded; driven
    through `chain.bridge.contracts`, as the relay drives them."""

    def __init__(self, env: GasEnv, key: Key) -> None:
        self.env = env
        self.key = key
        key_x, key_y = key[1].group_public_key.coordinates()
        chain_id = int(env.w3.eth.chain_id)
        guardian = env.deployer
        l1 = env.deploy("BridgeL1", guardian, chain_id, key_x, key_y, L1_WINDOW, QUEUE_DELAY)
        l2 = env.deploy("BridgeL2", guardian, chain_id, key_x, key_y, 0, QUEUE_DELAY)
        env.transact(l1.functions.initialize(l2.address))
        env.transact(l2.functions.initialize(l1.address))
        self.l1, self.l2 = BridgeL1(env.w3, l1.address), BridgeL2(env.w3, l2.address)
        self.token = env.token(env.relayer.address, DAILY_LIMIT)
        self.bridged = env.deploy("BridgedToken", "TPWallet USD (bridged)", "tUSD.b", 6, l2.address)
        env.transact(l1.functions.set_token(self.token.address, self.bridged.address, DAILY_LIMIT))
        env.transact(l2.functions.set_token(self.bridged.address, self.token.address, DAILY_LIMIT))
        env.relay(self.token.functions.approve(l1.address, DAILY_LIMIT))
        self.roots: dict[str, list[bytes]] = {l1.address: [], l2.address: []}

    def _sent(self, bridge: Bridge, receipt: TxReceipt) -> tuple[Message, TxReceipt]:
        (message,) = bridge.sent(receipt["blockNumber"], receipt["blockNumber"])
        return message, receipt

    def deposit(self) -> tuple[Message, TxReceipt]:
        relayer = self.env.relayer
        return self._sent(self.l1, self.l1.deposit(relayer, self.token.address, DEPOSIT, relayer.address))

    def withdraw(self) -> tuple[Message, TxReceipt]:
        relayer = self.env.relayer
        return self._sent(self.l2, self.l2.withdraw(relayer, self.bridged.address, DEPOSIT, relayer.address))

    def attest(self, destination: Bridge, messages: Sequence[Message]) -> tuple[int, Batch, TxReceipt]:
        roots = self.roots[destination.address]
        batch = Batch(destination.inbound(), messages)
        seq, prev_root = len(roots) + 1, roots[-1] if roots else ZERO_ROOT
        signature = sign_with_key(self.key, batch.digest(seq, prev_root)).onchain()
        receipt = destination.attest(self.env.relayer, batch, seq, prev_root, signature)
        roots.append(batch.root)
        return seq, batch, receipt

    def claim(self, destination: Bridge, seq: int, batch: Batch, message: Message) -> TxReceipt:
        return destination.claim(self.env.relayer, seq, batch, message)

    def claim_many(self, destination: Bridge, seq: int, batch: Batch) -> TxReceipt:
        return destination.claim_many(self.env.relayer, seq, batch, batch.messages)


def _gas(receipt: Any) -> int:
    return int(receipt["gasUsed"])


def measure(env: GasEnv) -> Mapping[str, Measurement]:
    """Deposits, attestations and claims both ways, each figure total transaction gas."""
    bridges = _Bridges(env, fixed_key(CUSTODY_KEY_SEED))
    first = [bridges.deposit() for _ in range(3)]
    seq, batch, first_batch = bridges.attest(bridges.l2, [message for message, _ in first])
    small_claims = [bridges.claim(bridges.l2, seq, batch, message) for message, _ in first]
    messages = [bridges.deposit()[0] for _ in range(LARGE_BATCH)]
    seq, batch, second_batch = bridges.attest(bridges.l2, messages)
    claimed_together = _gas(bridges.claim_many(bridges.l2, seq, batch))
    messages = [bridges.deposit()[0] for _ in range(LARGE_BATCH)]
    seq, batch, _ = bridges.attest(bridges.l2, messages)
    single_claims = [_gas(bridges.claim(bridges.l2, seq, batch, message)) for message in messages]

    withdrawals = [bridges.withdraw() for _ in range(3)]
    seq, batch, _ = bridges.attest(bridges.l1, [message for message, _ in withdrawals])
    env.tester.time_travel(env.timestamp() + L1_WINDOW + 1)
    releases = [bridges.claim(bridges.l1, seq, batch, message) for message, _ in withdrawals]
    return {
        "bridge_deposit_gas": Measurement(
            gas=_gas(first[-1][1]),
            what="BridgeL1.deposit: 3rd deposit of 250 tUSD (escrow, nonce, Deposited), total tx gas",
            target="op_deposit_erc20_gas",
            peer="op_deposit_erc20_gas",
        ),
        "op_deposit_erc20_gas": Measurement(
            gas=OP_DEPOSIT_ERC20_GAS,
            what=f"OP Stack L1StandardBridge.depositERC20, published (execution gas): {OP_DEPOSIT_SNAPSHOT}",
        ),
        "bridge_batch_gas": Measurement(
            gas=_gas(second_batch),
            what="BridgeL2.attest: a route's 2nd batch (100 messages), FROST-verified, chained",
            target=BATCH_GAS_BUDGET,
        ),
        "bridge_first_batch_gas": Measurement(
            gas=_gas(first_batch), what="BridgeL2.attest: a route's first batch (no previous record)"
        ),
        "bridge_claim_gas": Measurement(
            gas=_gas(small_claims[-1]),
            what="BridgeL2.claim: 3rd claim of a 3-message batch, recipient already holding, mint",
            target=CLAIM_GAS_BUDGET,
        ),
        "bridge_claim_gas_first": Measurement(
            gas=_gas(small_claims[0]),
            what="BridgeL2.claim: the first claim ever (fresh bitmap word, recipient holding nothing)",
        ),
        "bridge_claim_gas_batch_100": Measurement(
            gas=round(claimed_together / LARGE_BATCH),
            what=(
                f"BridgeL2.claim_many: the relay claims a {LARGE_BATCH}-message batch in one transaction "
                f"({claimed_together:,} gas), per message; recipients already holding"
            ),
            target=CLAIM_GAS_BUDGET,
        ),
        "bridge_claim_gas_single_depth_7": Measurement(
            gas=round(mean(single_claims)),
            what=(
                f"BridgeL2.claim: mean of single claims of a {LARGE_BATCH}-message batch (proof depth 7), "
                f"as a user's self-claim (max {max(single_claims):,})"
            ),
        ),
        "bridge_withdraw_gas": Measurement(
            gas=_gas(withdrawals[-1][1]), what="BridgeL2.withdraw: 3rd withdrawal (burn, nonce, Withdrawn)"
        ),
        "bridge_release_l1_gas": Measurement(
            gas=_gas(releases[-1]),
            what="BridgeL1.claim: 3rd withdrawal of a batch released from escrow after the window",
        ),
    }
