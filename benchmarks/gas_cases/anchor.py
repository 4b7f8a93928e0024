"""Anchoring a settlement batch in `contracts/SettlementAnchor.vy`: one custody-signed Merkle root.

A relayer submits, through `chain.anchor` (the Python face the settlement job uses), batches 1, 2 and 3 of
one kind, each signed by a real 2-of-3 FROST custody key; the third is the steady state: it reads the
previous anchor's record, as every anchor but a kind's first does. Total transaction gas, calldata included.
"""

from collections.abc import Mapping

from web3.types import TxReceipt

from benchmarks.gas_cases.common import STEADY_STATE_RUNS, GasEnv, Measurement
from benchmarks.keys import fixed_key
from chain.anchor import AnchorKind, SettlementAnchor
from chain.merkle import MerkleTree
from custody.provision import sign_with_key

ANCHOR_GAS_BUDGET = 60_000
"""The issue's budget for anchoring one batch in steady state, total transaction gas."""
CHALLENGE_WINDOW = 3_600
CUSTODY_KEY_SEED = 20_240_402
TRADES_PER_BATCH = 1_000
TRADE_LEAF_TYPES = ("uint64", "uint256")


def measure(env: GasEnv) -> Mapping[str, Measurement]:
    """Gas of a kind's first anchor and of its third (the steady state)."""
    custody_key = fixed_key(CUSTODY_KEY_SEED)
    key_x, key_y = custody_key[1].group_public_key.coordinates()
    owner = env.key("anchor owner").address
    contract = env.deploy("SettlementAnchor", owner, key_x, key_y, CHALLENGE_WINDOW)
    anchor = SettlementAnchor(env.w3, contract.address)

    def send(batch: int) -> TxReceipt:
        tree = MerkleTree.of(TRADE_LEAF_TYPES, [(batch, trade) for trade in range(TRADES_PER_BATCH)])
        intent = anchor.next_intent(AnchorKind.SETTLEMENT, tree)
        signature = sign_with_key(custody_key, anchor.digest(intent)).onchain()
        return anchor.submit(env.relayer, intent, signature)

    receipts = [send(batch) for batch in range(1, STEADY_STATE_RUNS + 1)]
    return {
        "anchor_first_batch": Measurement(
            gas=int(receipts[0]["gasUsed"]),
            what="SettlementAnchor: a kind's first batch (no previous record to read), total tx gas",
        ),
        "anchor_batch": Measurement(
            gas=int(receipts[-1]["gasUsed"]),
            what=f"SettlementAnchor: batch {STEADY_STATE_RUNS} of a kind (steady state), total tx gas",
            target=ANCHOR_GAS_BUDGET,
        ),
    }
