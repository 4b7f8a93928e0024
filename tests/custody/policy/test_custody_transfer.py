"""CustodyTransfer under policy: the treasury's hot-tier transfer obeys transfer rules, in its own section.

The test policy's treasury verifies CustodyTransfer beside TreasuryTx (as `MultisigTreasury` does) under
`custody_transfer` rules with the same tUSD limits; every rule allows and refuses with its reason, the
rolling limit counts every transfer of the asset by the key whichever its type, and the policy builder
writes such a section into a policy text.
"""

import copy
import dataclasses
from typing import Any

import pytest

from chain.intents import ZERO_ADDRESS, CustodyTransfer, TreasuryTx
from custody.policy.approvals import sign_approval
from custody.policy.builder import add_custody_transfers, asset_limits, policy_yaml, with_custody_transfers
from custody.policy.config import PolicyConfig, parse_policy, policy_from_data
from custody.policy.context import SignContext
from custody.policy.engine import Decision, PolicyEngine
from custody.policy.errors import PolicyConfigError
from custody.policy.history import SpendHistory
from tests.custody.policy.support import (
    ALICE,
    ANCHORS,
    APPROVAL_ABOVE,
    BOB,
    DAILY,
    HORIZON,
    KEY,
    L1,
    PAYROLL,
    PER_TX,
    STRANGER,
    T0,
    TIME_LOCK_ABOVE,
    TIME_LOCK_DELAY,
    TREASURY,
    TUSD,
    TUSD_UNIT,
    VELOCITY,
    Clock,
    context,
    l1_rules,
    make_policy,
    payment,
    policy_data,
)

TRANSFER_RULES = [
    "intent_type",
    "digest",
    "key",
    "chain",
    "contract",
    "request",
    "deadline",
    "destination",
    "velocity",
    "asset",
    "per_tx_limit",
    "rolling_24h_limit",
    "approvals",
    "time_lock",
]
"""A TreasuryTx's rules without call data: a CustodyTransfer carries none."""


def with_custody_transfer_rules(data: dict[str, Any]) -> None:
    chain = l1_rules(data)
    chain["contracts"][TREASURY] = ["TreasuryTx", "CustodyTransfer"]
    rules = {key: value for key, value in chain["treasury_tx"].items() if key != "allow_call_data"}
    chain["custody_transfer"] = copy.deepcopy(rules)


def custody_policy() -> PolicyConfig:
    return make_policy(with_custody_transfer_rules)


@pytest.fixture
def engine(history: SpendHistory, clock: Clock) -> PolicyEngine:
    return PolicyEngine(custody_policy(), history, clock)


def transfer(amount: int, *, token: str = TUSD, to: str = PAYROLL, nonce: int = 0, deadline: int = T0 + 3600):
    return CustodyTransfer(to=to, token=token, amount=amount, nonce=nonce, deadline=deadline)


def ctx_of(engine: PolicyEngine, intent: CustodyTransfer | TreasuryTx, label: str = "r1") -> SignContext:
    return context(engine, intent, label=label, contract=TREASURY)


def refused_for(decision: Decision, *rules: str) -> None:
    assert not decision.allowed
    assert decision.failed_rules == rules


def reason(decision: Decision, rule: str) -> str:
    (found,) = [result.detail for result in decision.rule_results if result.rule == rule]
    return found


def test_a_custody_transfer_within_the_limits_is_allowed_by_every_transfer_rule(engine: PolicyEngine) -> None:
    decision = engine.evaluate(ctx_of(engine, transfer(1_000 * TUSD_UNIT)))
    assert decision.allowed
    assert [result.rule for result in decision.rule_results] == TRANSFER_RULES
    assert reason(decision, "intent_type") == "CustodyTransfer intents are governed by the policy"


def test_without_its_own_section_a_custody_transfer_is_refused(history: SpendHistory, clock: Clock) -> None:
    """The treasury verifying TreasuryTx does not let the custody key move funds: default deny."""
    engine = PolicyEngine(make_policy(), history, clock)
    decision = engine.evaluate(ctx_of(engine, transfer(1)))
    refused_for(decision, "contract")
    assert decision.reasons == (
        f"contract {TREASURY} on chain {L1} is not allowed to verify CustodyTransfer",
    )


def test_per_transaction_limit_destination_and_asset(engine: PolicyEngine) -> None:
    over = engine.evaluate(ctx_of(engine, transfer(PER_TX + 1), "over"))
    refused_for(over, "per_tx_limit", "approvals", "time_lock")  # that large also needs both
    assert reason(over, "per_tx_limit") == (
        f"amount {PER_TX + 1} of token {TUSD} exceeds the per-transaction limit {PER_TX}"
    )
    refused_for(engine.evaluate(ctx_of(engine, transfer(1, to=STRANGER), "elsewhere")), "destination")
    refused_for(engine.evaluate(ctx_of(engine, transfer(1, token=STRANGER), "unknown")), "asset")
    assert engine.evaluate(ctx_of(engine, transfer(1, token=ZERO_ADDRESS), "ether")).allowed


@pytest.mark.parametrize(
    ("deadline", "allowed"), [(T0, False), (T0 + 1, True), (T0 + HORIZON, True), (T0 + HORIZON + 1, False)]
)
def test_deadline_must_lie_within_the_horizon(engine: PolicyEngine, deadline: int, allowed: bool) -> None:
    decision = engine.evaluate(ctx_of(engine, transfer(1, deadline=deadline)))
    assert decision.allowed is allowed
    assert decision.failed_rules == (() if allowed else ("deadline",))


def test_the_rolling_limit_counts_every_transfer_of_the_asset_by_the_key(
    history: SpendHistory, clock: Clock
) -> None:
    """A custody transfer and an owners' order of 100,000 tUSD each leave 50,000 of the 250,000 tUSD day,
    whichever type asks for it (limits alone here: no approvals or time locks)."""

    def limits_only(data: dict[str, Any]) -> None:
        with_custody_transfer_rules(data)
        for section in ("treasury_tx", "custody_transfer"):
            limits = l1_rules(data)[section]["assets"][TUSD] = dict(l1_rules(data)[section]["assets"][TUSD])
            del limits["approvals"], limits["time_lock"]

    engine = PolicyEngine(make_policy(limits_only), history, clock)
    assert engine.authorize(ctx_of(engine, transfer(PER_TX, nonce=0), "c0")).allowed
    assert engine.authorize(ctx_of(engine, payment(PER_TX), "t0")).allowed
    assert history.spent(KEY, L1, TUSD, since=0) == 2 * PER_TX
    assert history.count(KEY, L1, "CustodyTransfer", since=0) == 1

    rest = DAILY - 2 * PER_TX
    assert engine.evaluate(ctx_of(engine, transfer(rest, nonce=1), "fits")).allowed
    decision = engine.evaluate(ctx_of(engine, transfer(rest + 1, nonce=1), "one-too-many"))
    refused_for(decision, "rolling_24h_limit")
    assert decision.reasons == (
        f"{2 * PER_TX} of token {TUSD} signed in the last 24 hours + {rest + 1} = {DAILY + 1} exceeds "
        f"the rolling 24-hour limit {DAILY}",
    )
    refused_for(engine.evaluate(ctx_of(engine, payment(rest + 1, nonce=1), "owners")), "rolling_24h_limit")
    clock.advance(86_400)  # both leave the window
    later = transfer(PER_TX, nonce=1, deadline=clock.now + 3600)
    assert engine.authorize(ctx_of(engine, later, "next-day")).allowed


def test_velocity_counts_custody_transfers(engine: PolicyEngine) -> None:
    for index in range(VELOCITY):
        assert engine.authorize(ctx_of(engine, transfer(1, nonce=index), f"v{index}")).allowed
    refused_for(engine.evaluate(ctx_of(engine, transfer(1, nonce=VELOCITY), "one-more")), "velocity")
    assert engine.evaluate(ctx_of(engine, payment(1), "owners")).allowed  # TreasuryTx has its own count


def test_approvals_above_the_threshold(engine: PolicyEngine) -> None:
    ctx = ctx_of(engine, transfer(APPROVAL_ABOVE + 1))
    refused_for(engine.evaluate(ctx), "approvals")
    approvals = [
        sign_approval(operator, ctx.digest, ctx.request_id, ctx.chain_id, ctx.verifying_contract)
        for operator in (ALICE, BOB)
    ]
    decision = engine.authorize(dataclasses.replace(ctx, approvals=approvals))
    assert decision.allowed
    assert "2 of 2 required operator approvals (alice, bob)" in reason(decision, "approvals")


def test_time_lock_above_its_threshold(engine: PolicyEngine, clock: Clock) -> None:
    ctx = ctx_of(engine, transfer(TIME_LOCK_ABOVE + 1, deadline=T0 + 2 * TIME_LOCK_DELAY))
    approvals = [
        sign_approval(operator, ctx.digest, ctx.request_id, ctx.chain_id, ctx.verifying_contract)
        for operator in (ALICE, BOB)
    ]
    approved = dataclasses.replace(ctx, approvals=approvals)
    refused_for(engine.evaluate(approved), "time_lock")
    clock.advance(TIME_LOCK_DELAY)
    assert engine.authorize(approved).allowed


def test_a_signed_custody_transfer_is_recorded_as_a_spend(
    engine: PolicyEngine, history: SpendHistory
) -> None:
    ctx = ctx_of(engine, transfer(1_234))
    assert engine.authorize(ctx).allowed
    signed = history.signed(ctx.request_id)
    assert signed is not None
    assert (signed.intent_type, signed.asset, signed.amount) == ("CustodyTransfer", TUSD, 1_234)


# -- the policy file ---------------------------------------------------------------------------------


def test_a_custody_transfer_section_has_no_call_data_setting() -> None:
    def with_call_data(data: dict[str, Any]) -> None:
        with_custody_transfer_rules(data)
        l1_rules(data)["custody_transfer"]["allow_call_data"] = True

    with pytest.raises(PolicyConfigError, match=r"custody_transfer\.allow_call_data"):
        make_policy(with_call_data)


def test_rules_and_verifying_contracts_go_together() -> None:
    def rules_only(data: dict[str, Any]) -> None:
        with_custody_transfer_rules(data)
        l1_rules(data)["contracts"][TREASURY] = ["TreasuryTx"]

    with pytest.raises(PolicyConfigError, match="custody_transfer rules are set but no contract"):
        make_policy(rules_only)

    def contract_only(data: dict[str, Any]) -> None:
        l1_rules(data)["contracts"][ANCHORS] = ["Anchor", "CustodyTransfer"]

    with pytest.raises(PolicyConfigError, match="no custody_transfer section"):
        make_policy(contract_only)


def test_approval_operators_of_custody_transfers_must_be_defined() -> None:
    def unknown_operator(data: dict[str, Any]) -> None:
        with_custody_transfer_rules(data)
        l1_rules(data)["custody_transfer"]["assets"][TUSD]["approvals"]["operators"] = ["alice", "mallory"]

    with pytest.raises(PolicyConfigError, match=r"custody_transfer\.assets\..*mallory"):
        make_policy(unknown_operator)


def test_policies_without_custody_transfers_keep_their_hash() -> None:
    """The section is left out of the canonical form when absent: hashes in old audit records still hold."""
    assert b"custody_transfer" not in make_policy().canonical_json()
    assert b"custody_transfer" in custody_policy().canonical_json()
    assert custody_policy().policy_hash() != make_policy().policy_hash()


def test_the_builder_adds_custody_transfers_to_a_policy_text() -> None:
    anchors_only = (
        "version: 1\ndefault:\n  chains:\n"
        f'    {L1}:\n      contracts:\n        "{ANCHORS}": [Anchor]\n'
        "      anchor: {kinds: [1, 2], velocity: {max_signatures: 600, window_seconds: 3600}}\n"
    )
    text = with_custody_transfers(
        anchors_only,
        chain_id=L1,
        treasury=TREASURY,
        assets={TUSD: asset_limits(10_000 * TUSD_UNIT, 100_000 * TUSD_UNIT)},
    )
    policy = parse_policy(text)
    chain = policy.key_policy(KEY).chains[L1]  # type: ignore[union-attr]
    assert chain.allows_contract(TREASURY, "CustodyTransfer")
    assert chain.allows_contract(ANCHORS, "Anchor")
    assert chain.custody_transfer is not None
    assert chain.custody_transfer.destinations == "any"
    assert chain.custody_transfer.assets[TUSD].rolling_24h_limit == 100_000 * TUSD_UNIT
    assert parse_policy(policy_yaml(policy)).policy_hash() == policy.policy_hash()


def test_the_builder_keeps_other_rules_and_validates(history: SpendHistory, clock: Clock) -> None:
    limits = asset_limits(PER_TX, DAILY, approvals=(APPROVAL_ABOVE, 2, ["alice", "bob", "carol"]))
    policy = add_custody_transfers(
        policy_data(), chain_id=L1, treasury=TREASURY, assets={TUSD: limits}, destinations=[PAYROLL]
    )
    chain = policy.key_policy(KEY).chains[L1]  # type: ignore[union-attr]
    assert chain.contracts[TREASURY] == ("CustodyTransfer", "TreasuryTx")
    assert chain.treasury_tx is not None
    engine = PolicyEngine(policy, history, clock)
    assert engine.evaluate(ctx_of(engine, transfer(1))).allowed
    with pytest.raises(PolicyConfigError, match="not defined under operators"):
        add_custody_transfers(
            policy_data(),
            chain_id=L1,
            treasury=TREASURY,
            assets={TUSD: asset_limits(1, 1, approvals=(0, 1, ["nobody"]))},
        )
    assert policy_from_data(policy.model_dump(mode="python")) == policy
