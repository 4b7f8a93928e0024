"""The shipped example policy does what its comments say: approvals, time lock, anchors, bridge routes."""

import dataclasses
from pathlib import Path

import pytest
from eth_account import Account

from chain.intents import ZERO_ADDRESS, Anchor, BridgeBatch, CustodyTransfer, Intent, TreasuryTx
from custody.policy.approvals import sign_approval
from custody.policy.config import PolicyConfig, load_policy
from custody.policy.context import SignContext
from custody.policy.engine import Decision, PolicyEngine
from custody.policy.history import SpendHistory
from tests.helpers.policy import ALICE, L1, L2, T0, Clock, account, request_id

EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "policy.example.yaml"
TUSD = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
TREASURY = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
ANCHORS = "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9"
L1_BRIDGE = "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9"
L2_BRIDGE = "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0"
PAYROLL = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
TUSD_UNIT = 10**6
DEVNET_KEYS = {
    # anvil's well-known development keys for accounts 1-3 (public; the example's operators)
    "alice": "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "bob": "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "carol": "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
}


@pytest.fixture(scope="module")
def example() -> PolicyConfig:
    return load_policy(EXAMPLE)


@pytest.fixture
def engine(example: PolicyConfig, history: SpendHistory, clock: Clock) -> PolicyEngine:
    return PolicyEngine(example, history, clock)


def ask(engine: PolicyEngine, intent: Intent, chain_id: int, contract: str, label: str = "r") -> SignContext:
    rid = request_id(label)
    digest = intent.digest(chain_id, contract)
    return SignContext(
        key_id="any-key",
        request_id=rid,
        intent=intent,
        chain_id=chain_id,
        verifying_contract=contract,
        digest=digest,
        approvals=(),
        first_seen=engine.first_seen(rid, digest),
    )


def with_approvals(ctx: SignContext, *names: str) -> SignContext:
    approvals = [
        sign_approval(
            Account.from_key(DEVNET_KEYS[name]),
            ctx.digest,
            ctx.request_id,
            ctx.chain_id,
            ctx.verifying_contract,
        )
        for name in names
    ]
    return dataclasses.replace(ctx, approvals=approvals)


def tusd(amount: int) -> TreasuryTx:
    return TreasuryTx(
        to=PAYROLL, token=TUSD, amount=amount * TUSD_UNIT, data=b"", nonce=1, deadline=T0 + 7200
    )


def test_operators_are_the_devnet_accounts(example: PolicyConfig) -> None:
    for name, key in DEVNET_KEYS.items():
        assert example.operators[name] == Account.from_key(key).address
    assert ALICE.address not in example.operators.values()  # the unit tests' operators are not these


def test_two_of_three_operators_above_10k_tusd(engine: PolicyEngine) -> None:
    assert engine.evaluate(ask(engine, tusd(10_000), L1, TREASURY, "at")).allowed
    ctx = ask(engine, tusd(10_001), L1, TREASURY, "above")
    assert engine.evaluate(ctx).failed_rules == ("approvals",)
    assert engine.evaluate(with_approvals(ctx, "bob")).failed_rules == ("approvals",)
    assert engine.evaluate(with_approvals(ctx, "bob", "carol")).allowed


def test_one_hour_time_lock_above_50k_tusd(engine: PolicyEngine, clock: Clock) -> None:
    assert engine.evaluate(
        with_approvals(ask(engine, tusd(50_000), L1, TREASURY, "at"), "alice", "bob")
    ).allowed
    ctx = with_approvals(ask(engine, tusd(50_001), L1, TREASURY, "above"), "alice", "bob")
    assert engine.evaluate(ctx).failed_rules == ("time_lock",)
    clock.advance(3600)
    assert engine.evaluate(ctx).allowed


def test_hot_tier_day_limit_for_tusd(engine: PolicyEngine) -> None:
    for index in range(5):
        ctx = with_approvals(ask(engine, tusd(50_000), L1, TREASURY, f"fill-{index}"), "alice", "carol")
        assert engine.authorize(ctx).allowed
    over = with_approvals(ask(engine, tusd(1), L1, TREASURY, "over"), "alice", "carol")
    assert engine.evaluate(over).failed_rules == ("rolling_24h_limit",)


def test_ether_is_limited_and_other_tokens_are_refused(engine: PolicyEngine) -> None:
    ether = TreasuryTx(to=PAYROLL, token=ZERO_ADDRESS, amount=10**18, data=b"", nonce=1, deadline=T0 + 60)
    assert engine.evaluate(ask(engine, ether, L1, TREASURY, "eth")).allowed
    other = dataclasses.replace(ether, token=account("some token").address)
    assert engine.evaluate(ask(engine, other, L1, TREASURY, "other")).failed_rules == ("asset",)


def test_custody_transfers_of_tusd_to_payroll_up_to_10k(engine: PolicyEngine) -> None:
    def order(amount: int, to: str = PAYROLL, deadline: int = T0 + 600) -> CustodyTransfer:
        return CustodyTransfer(to=to, token=TUSD, amount=amount * TUSD_UNIT, nonce=0, deadline=deadline)

    assert engine.evaluate(ask(engine, order(5_000), L1, TREASURY, "hot")).allowed
    above = ask(engine, order(5_001), L1, TREASURY, "approve")
    assert engine.evaluate(above).failed_rules == ("approvals",)
    assert engine.evaluate(with_approvals(above, "carol")).allowed
    too_big = with_approvals(ask(engine, order(10_001), L1, TREASURY, "big"), "alice")
    assert "per_tx_limit" in engine.evaluate(too_big).failed_rules
    stranger = ask(engine, order(1, to=account("stranger").address), L1, TREASURY, "elsewhere")
    assert engine.evaluate(stranger).failed_rules == ("destination",)
    late = ask(engine, order(1, deadline=T0 + 7200), L1, TREASURY, "late")
    assert engine.evaluate(late).failed_rules == ("deadline",)
    assert engine.evaluate(ask(engine, order(1), L1, ANCHORS, "anchor")).failed_rules == ("contract",)


def test_anchor_kinds_1_and_2(engine: PolicyEngine) -> None:
    def anchor(kind: int) -> Anchor:
        return Anchor(kind=kind, seq=1, root=b"\x01" * 32, count=1, total=0, prev_root=b"\x00" * 32)

    results: list[Decision] = [
        engine.evaluate(ask(engine, anchor(k), L1, ANCHORS, f"k{k}")) for k in (1, 2, 3)
    ]
    assert [decision.allowed for decision in results] == [True, True, False]
    assert engine.evaluate(ask(engine, anchor(1), L2, ANCHORS, "l2")).failed_rules == ("contract",)


def test_bridge_31337_to_31338_and_back(engine: PolicyEngine) -> None:
    def batch(src: int, dst: int) -> BridgeBatch:
        bridges = {L1: L1_BRIDGE, L2: L2_BRIDGE}
        return BridgeBatch(
            src_chain_id=src,
            dst_chain_id=dst,
            src_bridge=bridges[src],
            dst_bridge=bridges[dst],
            seq=1,
            root=b"\x02" * 32,
            count=1,
            prev_root=bytes(32),
        )

    assert engine.evaluate(ask(engine, batch(L1, L2), L2, L2_BRIDGE, "deposit")).allowed
    assert engine.evaluate(ask(engine, batch(L2, L1), L1, L1_BRIDGE, "withdrawal")).allowed
    assert engine.evaluate(ask(engine, batch(L2, L1), L2, L2_BRIDGE, "wrong-way")).failed_rules == (
        "bridge_route",
    )
    assert engine.evaluate(ask(engine, batch(L1, L2), L1, L1_BRIDGE, "wrong-way-2")).failed_rules == (
        "bridge_route",
    )
