"""Shared pieces of the policy tests: operator accounts, a small policy, a settable clock, intent makers."""

import copy
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount

from chain.intents import ZERO_ADDRESS, Anchor, BridgeBatch, Intent, TreasuryTx
from custody.policy.approvals import OperatorApproval
from custody.policy.config import PolicyConfig, policy_from_data
from custody.policy.context import SignContext
from custody.policy.engine import Decision, PolicyEngine


def account(label: str) -> LocalAccount:
    """A deterministic test account named by `label` (its key is the SHA-256 of the label)."""
    return Account.from_key(hashlib.sha256(label.encode()).digest())


ALICE, BOB, CAROL = account("alice"), account("bob"), account("carol")
OUTSIDER = account("outsider")
"""Three named operators, and someone with a perfectly good key who is not one of them."""

L1, L2 = 31337, 31338
TREASURY = account("treasury contract").address
ANCHORS = account("anchor contract").address
BRIDGE = account("bridge contract").address
TUSD = account("tUSD token").address
PAYROLL = account("payroll").address
STRANGER = account("stranger").address
KEY = "hot-2025"

T0 = 1_750_000_000
"""The tests' epoch: every clock starts here."""

TUSD_UNIT = 10**6
PER_TX = 100_000 * TUSD_UNIT
DAILY = 250_000 * TUSD_UNIT
APPROVAL_ABOVE = 10_000 * TUSD_UNIT
TIME_LOCK_ABOVE = 50_000 * TUSD_UNIT
TIME_LOCK_DELAY = 3600
ETH_PER_TX = 5 * 10**18
ETH_DAILY = 20 * 10**18
VELOCITY = 5
VELOCITY_WINDOW = 3600
HORIZON = 86_400


def policy_data() -> dict[str, Any]:
    """A complete policy as parsed YAML would give it; tests copy and change it."""
    return {
        "version": 1,
        "operators": {"alice": ALICE.address, "bob": BOB.address, "carol": CAROL.address},
        "default": {
            "chains": {
                L1: {
                    "contracts": {TREASURY: ["TreasuryTx"], ANCHORS: ["Anchor"], BRIDGE: ["BridgeBatch"]},
                    "treasury_tx": {
                        "destinations": [PAYROLL],
                        "max_deadline_horizon_seconds": HORIZON,
                        "velocity": {"max_signatures": VELOCITY, "window_seconds": VELOCITY_WINDOW},
                        "assets": {
                            TUSD: {
                                "per_tx_limit": PER_TX,
                                "rolling_24h_limit": DAILY,
                                "approvals": {
                                    "above": APPROVAL_ABOVE,
                                    "required": 2,
                                    "operators": ["alice", "bob", "carol"],
                                },
                                "time_lock": {"above": TIME_LOCK_ABOVE, "delay_seconds": TIME_LOCK_DELAY},
                            },
                            ZERO_ADDRESS: {"per_tx_limit": ETH_PER_TX, "rolling_24h_limit": ETH_DAILY},
                        },
                    },
                    "anchor": {"kinds": [1, 2], "velocity": {"max_signatures": 3, "window_seconds": 600}},
                    "bridge_batch": {
                        "routes": [{"src_chain_id": L2, "dst_chain_id": L1}],
                        "velocity": {"max_signatures": 3, "window_seconds": 600},
                    },
                }
            }
        },
    }


def make_policy(change: Callable[[dict[str, Any]], None] | None = None) -> PolicyConfig:
    """The test policy, after `change` edits a deep copy of its data."""
    data = copy.deepcopy(policy_data())
    if change is not None:
        change(data)
    return policy_from_data(data)


def l1_rules(data: dict[str, Any]) -> dict[str, Any]:
    """The L1 chain section of the default key in policy data (for tests that edit it)."""
    chain: dict[str, Any] = data["default"]["chains"][L1]
    return chain


class Clock:
    """A clock the test sets and advances, in the unit the code under test reads (policy: Unix seconds)."""

    def __init__(self, now: int = T0) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += seconds


def payment(
    amount: int,
    *,
    token: str = TUSD,
    to: str = PAYROLL,
    data: bytes = b"",
    nonce: int = 0,
    deadline: int = T0 + 3600,
) -> TreasuryTx:
    """A TreasuryTx paying `amount` base units of `token`."""
    return TreasuryTx(to=to, token=token, amount=amount, data=data, nonce=nonce, deadline=deadline)


def anchor(kind: int = 1, seq: int = 1) -> Anchor:
    return Anchor(kind=kind, seq=seq, root=b"\x11" * 32, count=10, total=0, prev_root=b"\x00" * 32)


def batch(src: int = L2, dst: int = L1, seq: int = 1) -> BridgeBatch:
    return BridgeBatch(
        src_chain_id=src,
        dst_chain_id=dst,
        src_bridge=BRIDGE,
        dst_bridge=BRIDGE,
        seq=seq,
        root=b"\x22" * 32,
        count=3,
        prev_root=bytes(32),
    )


def request_id(label: str) -> bytes:
    """A deterministic 32-byte request id."""
    return hashlib.sha256(b"request " + label.encode()).digest()


CONTRACT_OF: dict[type[Intent], str] = {TreasuryTx: TREASURY, Anchor: ANCHORS, BridgeBatch: BRIDGE}


def context(
    engine: PolicyEngine,
    intent: Intent,
    *,
    label: str = "r1",
    key_id: str = KEY,
    chain_id: int = L1,
    contract: str | None = None,
    approvals: Sequence[OperatorApproval] = (),
) -> SignContext:
    """The context a node builds for `intent`, with the first-seen time the engine records for it."""
    verifying_contract = CONTRACT_OF.get(type(intent), TREASURY) if contract is None else contract
    rid = request_id(label)
    digest = intent.digest(chain_id, verifying_contract)
    return SignContext(
        key_id=key_id,
        request_id=rid,
        intent=intent,
        chain_id=chain_id,
        verifying_contract=verifying_contract,
        digest=digest,
        approvals=approvals,
        first_seen=engine.first_seen(rid, digest),
    )


TREASURY_TX_RULES = [
    "intent_type",
    "digest",
    "key",
    "chain",
    "contract",
    "request",
    "deadline",
    "destination",
    "call_data",
    "velocity",
    "asset",
    "per_tx_limit",
    "rolling_24h_limit",
    "approvals",
    "time_lock",
]
"""The rules the engine evaluates for a TreasuryTx, in order."""


def rule_detail(decision: Decision, rule: str) -> str:
    """The explanation the named rule gave (it must have been evaluated)."""
    (found,) = [result.detail for result in decision.rule_results if result.rule == rule]
    return found


def refused_for(decision: Decision, *rules: str) -> None:
    """`decision` refuses, for exactly `rules`, and its reasons are those rules' explanations."""
    assert not decision.allowed
    assert decision.failed_rules == rules
    assert decision.reasons == tuple(rule_detail(decision, rule) for rule in rules)
