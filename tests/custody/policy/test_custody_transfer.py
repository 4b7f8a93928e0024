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
from custody.policy.builder import (
    add_custody_transfers,
    asset_limits,
    policy_yaml,
    with_bridge_batches,
    with_custody_transfers,
)
from custody.policy.config import PolicyConfig, parse_policy, policy_from_data
from custody.policy.context import SignContext
from custody.policy.engine import PolicyEngine
from custody.policy.errors import PolicyConfigError
from custody.policy.history import SpendHistory
from tests.helpers import policy as sample

TRANSFER_RULES = [rule for rule in sample.TREASURY_TX_RULES if rule != "call_data"]
"""A TreasuryTx's rules without call data: a CustodyTransfer carries none."""


def with_custody_transfer_rules(data: dict[str, Any]) -> None:
    chain = sample.l1_rules(data)
    chain["contracts"][sample.TREASURY] = ["TreasuryTx", "CustodyTransfer"]
    rules = {key: value for key, value in chain["treasury_tx"].items() if key != "allow_call_data"}
    chain["custody_transfer"] = copy.deepcopy(rules)


def custody_policy() -> PolicyConfig:
    return sample.make_policy(with_custody_transfer_rules)


@pytest.fixture
def engine(history: SpendHistory, clock: sample.Clock) -> PolicyEngine:
    return PolicyEngine(custody_policy(), history, clock)


def transfer(
    amount: int,
    *,
    token: str = sample.TUSD,
    to: str = sample.PAYROLL,
    nonce: int = 0,
    deadline: int = sample.T0 + 3600,
):
    return CustodyTransfer(to=to, token=token, amount=amount, nonce=nonce, deadline=deadline)


def ctx_of(engine: PolicyEngine, intent: CustodyTransfer | TreasuryTx, label: str = "r1") -> SignContext:
    return sample.context(engine, intent, label=label, contract=sample.TREASURY)


def test_a_custody_transfer_within_the_limits_is_allowed_by_every_transfer_rule(engine: PolicyEngine) -> None:
    decision = engine.evaluate(ctx_of(engine, transfer(1_000 * sample.TUSD_UNIT)))
    assert decision.allowed
    assert [result.rule for result in decision.rule_results] == TRANSFER_RULES
    assert sample.rule_detail(decision, "intent_type") == "CustodyTransfer intents are governed by the policy"


def test_without_its_own_section_a_custody_transfer_is_refused(
    history: SpendHistory, clock: sample.Clock
) -> None:
    """The treasury verifying TreasuryTx does not let the custody key move funds: default deny."""
    engine = PolicyEngine(sample.make_policy(), history, clock)
    decision = engine.evaluate(ctx_of(engine, transfer(1)))
    sample.refused_for(decision, "contract")
    assert decision.reasons == (
        f"contract {sample.TREASURY} on chain {sample.L1} is not allowed to verify CustodyTransfer",
    )


def test_per_transaction_limit_destination_and_asset(engine: PolicyEngine) -> None:
    over = engine.evaluate(ctx_of(engine, transfer(sample.PER_TX + 1), "over"))
    sample.refused_for(over, "per_tx_limit", "approvals", "time_lock")  # that large also needs both
    assert sample.rule_detail(over, "per_tx_limit") == (
        f"amount {sample.PER_TX + 1} of token {sample.TUSD} exceeds the per-transaction limit {sample.PER_TX}"
    )
    sample.refused_for(
        engine.evaluate(ctx_of(engine, transfer(1, to=sample.STRANGER), "elsewhere")), "destination"
    )
    sample.refused_for(
        engine.evaluate(ctx_of(engine, transfer(1, token=sample.STRANGER), "unknown")), "asset"
    )
    assert engine.evaluate(ctx_of(engine, transfer(1, token=ZERO_ADDRESS), "ether")).allowed


@pytest.mark.parametrize(
    ("deadline", "allowed"),
    [
        (sample.T0, False),
        (sample.T0 + 1, True),
        (sample.T0 + sample.HORIZON, True),
        (sample.T0 + sample.HORIZON + 1, False),
    ],
)
def test_deadline_must_lie_within_the_horizon(engine: PolicyEngine, deadline: int, allowed: bool) -> None:
    decision = engine.evaluate(ctx_of(engine, transfer(1, deadline=deadline)))
    assert decision.allowed is allowed
    assert decision.failed_rules == (() if allowed else ("deadline",))


def test_the_rolling_limit_counts_every_transfer_of_the_asset_by_the_key(
    history: SpendHistory, clock: sample.Clock
) -> None:
    """A custody transfer and an owners' order of 100,000 tUSD each leave 50,000 of the 250,000 tUSD day,
    whichever type asks for it (limits alone here: no approvals or time locks)."""

    def limits_only(data: dict[str, Any]) -> None:
        with_custody_transfer_rules(data)
        for section in ("treasury_tx", "custody_transfer"):
            limits = sample.l1_rules(data)[section]["assets"][sample.TUSD] = dict(
                sample.l1_rules(data)[section]["assets"][sample.TUSD]
            )
            del limits["approvals"], limits["time_lock"]

    engine = PolicyEngine(sample.make_policy(limits_only), history, clock)
    assert engine.authorize(ctx_of(engine, transfer(sample.PER_TX, nonce=0), "c0")).allowed
    assert engine.authorize(ctx_of(engine, sample.payment(sample.PER_TX), "t0")).allowed
    assert history.spent(sample.KEY, sample.L1, sample.TUSD, since=0) == 2 * sample.PER_TX
    assert history.count(sample.KEY, sample.L1, "CustodyTransfer", since=0) == 1

    rest = sample.DAILY - 2 * sample.PER_TX
    assert engine.evaluate(ctx_of(engine, transfer(rest, nonce=1), "fits")).allowed
    decision = engine.evaluate(ctx_of(engine, transfer(rest + 1, nonce=1), "one-too-many"))
    sample.refused_for(decision, "rolling_24h_limit")
    assert decision.reasons == (
        f"{2 * sample.PER_TX} of token {sample.TUSD} signed in the last 24 hours + {rest + 1} = "
        f"{sample.DAILY + 1} exceeds the rolling 24-hour limit {sample.DAILY}",
    )
    sample.refused_for(
        engine.evaluate(ctx_of(engine, sample.payment(rest + 1, nonce=1), "owners")), "rolling_24h_limit"
    )
    clock.advance(86_400)  # both leave the window
    later = transfer(sample.PER_TX, nonce=1, deadline=clock.now + 3600)
    assert engine.authorize(ctx_of(engine, later, "next-day")).allowed


def test_velocity_counts_custody_transfers(engine: PolicyEngine) -> None:
    for index in range(sample.VELOCITY):
        assert engine.authorize(ctx_of(engine, transfer(1, nonce=index), f"v{index}")).allowed
    sample.refused_for(
        engine.evaluate(ctx_of(engine, transfer(1, nonce=sample.VELOCITY), "one-more")), "velocity"
    )
    assert engine.evaluate(
        ctx_of(engine, sample.payment(1), "owners")
    ).allowed  # TreasuryTx has its own count


def test_approvals_above_the_threshold(engine: PolicyEngine) -> None:
    ctx = ctx_of(engine, transfer(sample.APPROVAL_ABOVE + 1))
    sample.refused_for(engine.evaluate(ctx), "approvals")
    approvals = [
        sign_approval(operator, ctx.digest, ctx.request_id, ctx.chain_id, ctx.verifying_contract)
        for operator in (sample.ALICE, sample.BOB)
    ]
    decision = engine.authorize(dataclasses.replace(ctx, approvals=approvals))
    assert decision.allowed
    assert "2 of 2 required operator approvals (alice, bob)" in sample.rule_detail(decision, "approvals")


def test_time_lock_above_its_threshold(engine: PolicyEngine, clock: sample.Clock) -> None:
    ctx = ctx_of(
        engine, transfer(sample.TIME_LOCK_ABOVE + 1, deadline=sample.T0 + 2 * sample.TIME_LOCK_DELAY)
    )
    approvals = [
        sign_approval(operator, ctx.digest, ctx.request_id, ctx.chain_id, ctx.verifying_contract)
        for operator in (sample.ALICE, sample.BOB)
    ]
    approved = dataclasses.replace(ctx, approvals=approvals)
    sample.refused_for(engine.evaluate(approved), "time_lock")
    clock.advance(sample.TIME_LOCK_DELAY)
    assert engine.authorize(approved).allowed


def test_a_signed_custody_transfer_is_recorded_as_a_spend(
    engine: PolicyEngine, history: SpendHistory
) -> None:
    ctx = ctx_of(engine, transfer(1_234))
    assert engine.authorize(ctx).allowed
    signed = history.signed(ctx.request_id)
    assert signed is not None
    assert (signed.intent_type, signed.asset, signed.amount) == ("CustodyTransfer", sample.TUSD, 1_234)


# -- the policy file ---------------------------------------------------------------------------------


def test_a_custody_transfer_section_has_no_call_data_setting() -> None:
    def with_call_data(data: dict[str, Any]) -> None:
        with_custody_transfer_rules(data)
        sample.l1_rules(data)["custody_transfer"]["allow_call_data"] = True

    with pytest.raises(PolicyConfigError, match=r"custody_transfer\.allow_call_data"):
        sample.make_policy(with_call_data)


def test_rules_and_verifying_contracts_go_together() -> None:
    def rules_only(data: dict[str, Any]) -> None:
        with_custody_transfer_rules(data)
        sample.l1_rules(data)["contracts"][sample.TREASURY] = ["TreasuryTx"]

    with pytest.raises(PolicyConfigError, match="custody_transfer rules are set but no contract"):
        sample.make_policy(rules_only)

    def contract_only(data: dict[str, Any]) -> None:
        sample.l1_rules(data)["contracts"][sample.ANCHORS] = ["Anchor", "CustodyTransfer"]

    with pytest.raises(PolicyConfigError, match="no custody_transfer section"):
        sample.make_policy(contract_only)


def test_approval_operators_of_custody_transfers_must_be_defined() -> None:
    def unknown_operator(data: dict[str, Any]) -> None:
        with_custody_transfer_rules(data)
        sample.l1_rules(data)["custody_transfer"]["assets"][sample.TUSD]["approvals"]["operators"] = [
            "alice",
            "mallory",
        ]

    with pytest.raises(PolicyConfigError, match=r"custody_transfer\.assets\..*mallory"):
        sample.make_policy(unknown_operator)


def test_policies_without_custody_transfers_keep_their_hash() -> None:
    """The section is left out of the canonical form when absent: hashes in old audit records still hold."""
    assert b"custody_transfer" not in sample.make_policy().canonical_json()
    assert b"custody_transfer" in custody_policy().canonical_json()
    assert custody_policy().policy_hash() != sample.make_policy().policy_hash()


def sample_policy_text() -> str:
    """A policy text allowing only anchors on L1's anchor contract, for the builder to add to."""
    return (
        "version: 1\ndefault:\n  chains:\n"
        f'    {sample.L1}:\n      contracts:\n        "{sample.ANCHORS}": [Anchor]\n'
        "      anchor: {kinds: [1, 2], velocity: {max_signatures: 600, window_seconds: 3600}}\n"
    )


def test_the_builder_adds_custody_transfers_to_a_policy_text() -> None:
    text = with_custody_transfers(
        sample_policy_text(),
        chain_id=sample.L1,
        treasury=sample.TREASURY,
        assets={sample.TUSD: asset_limits(10_000 * sample.TUSD_UNIT, 100_000 * sample.TUSD_UNIT)},
    )
    policy = parse_policy(text)
    chain = policy.key_policy(sample.KEY).chains[sample.L1]  # type: ignore[union-attr]
    assert chain.allows_contract(sample.TREASURY, "CustodyTransfer")
    assert chain.allows_contract(sample.ANCHORS, "Anchor")
    assert chain.custody_transfer is not None
    assert chain.custody_transfer.destinations == "any"
    assert chain.custody_transfer.assets[sample.TUSD].rolling_24h_limit == 100_000 * sample.TUSD_UNIT
    assert parse_policy(policy_yaml(policy)).policy_hash() == policy.policy_hash()


def test_the_builder_adds_a_bridge_route_beside_what_the_chain_allows() -> None:
    """The devnet's nodes get BridgeBatch rules for each bridge added to their anchor and transfer rules."""
    bridge = sample.BRIDGE
    with_transfers = with_custody_transfers(
        sample_policy_text(),
        chain_id=sample.L1,
        treasury=sample.TREASURY,
        assets={sample.TUSD: asset_limits(10_000 * sample.TUSD_UNIT, 100_000 * sample.TUSD_UNIT)},
    )
    policy = parse_policy(
        with_bridge_batches(
            with_transfers, chain_id=sample.L1, bridge=bridge, src_chain_id=sample.L2, velocity=(60, 3600)
        )
    )
    chain = policy.key_policy(sample.KEY).chains[sample.L1]  # type: ignore[union-attr]
    assert chain.allows_contract(bridge, "BridgeBatch")
    assert chain.allows_contract(sample.TREASURY, "CustodyTransfer")
    assert chain.allows_contract(sample.ANCHORS, "Anchor")
    assert chain.bridge_batch is not None
    assert [(route.src_chain_id, route.dst_chain_id) for route in chain.bridge_batch.routes] == [
        (sample.L2, sample.L1)
    ]
    assert (chain.bridge_batch.velocity.max_signatures, chain.bridge_batch.velocity.window_seconds) == (
        60,
        3600,
    )
    with pytest.raises(PolicyConfigError):  # a route into the chain it starts from
        with_bridge_batches(with_transfers, chain_id=sample.L1, bridge=bridge, src_chain_id=sample.L1)


def test_the_builder_keeps_other_rules_and_validates(history: SpendHistory, clock: sample.Clock) -> None:
    limits = asset_limits(
        sample.PER_TX, sample.DAILY, approvals=(sample.APPROVAL_ABOVE, 2, ["alice", "bob", "carol"])
    )
    policy = add_custody_transfers(
        sample.policy_data(),
        chain_id=sample.L1,
        treasury=sample.TREASURY,
        assets={sample.TUSD: limits},
        destinations=[sample.PAYROLL],
    )
    chain = policy.key_policy(sample.KEY).chains[sample.L1]  # type: ignore[union-attr]
    assert chain.contracts[sample.TREASURY] == ("CustodyTransfer", "TreasuryTx")
    assert chain.treasury_tx is not None
    engine = PolicyEngine(policy, history, clock)
    assert engine.evaluate(ctx_of(engine, transfer(1))).allowed
    with pytest.raises(PolicyConfigError, match="not defined under operators"):
        add_custody_transfers(
            sample.policy_data(),
            chain_id=sample.L1,
            treasury=sample.TREASURY,
            assets={sample.TUSD: asset_limits(1, 1, approvals=(0, 1, ["nobody"]))},
        )
    assert policy_from_data(policy.model_dump(mode="python")) == policy
