"""Tests of the policy engine: each rule allows and refuses with its reason, default deny, windows, audit."""

import dataclasses
import threading
from pathlib import Path
from typing import Any

import pytest

from chain.intents import ZERO_ADDRESS, Permit
from custody.audit import AuditLog
from custody.policy.approvals import sign_approval
from custody.policy.context import SignContext, request_id_from_hex
from custody.policy.engine import DECISION_ACTION, Decision, PolicyEngine
from custody.policy.errors import InvalidSignContext, RequestConflict
from custody.policy.history import SpendHistory
from tests.helpers.policy import (
    ALICE,
    ANCHORS,
    APPROVAL_ABOVE,
    BOB,
    CAROL,
    ETH_DAILY,
    ETH_PER_TX,
    HORIZON,
    KEY,
    L1,
    L2,
    OUTSIDER,
    PAYROLL,
    PER_TX,
    STRANGER,
    T0,
    TIME_LOCK_ABOVE,
    TIME_LOCK_DELAY,
    TREASURY,
    TREASURY_TX_RULES,
    TUSD,
    TUSD_UNIT,
    VELOCITY,
    VELOCITY_WINDOW,
    Clock,
    anchor,
    batch,
    context,
    l1_rules,
    make_policy,
    payment,
    refused_for,
    request_id,
    rule_detail,
)

DAY = 86_400


def ether(amount: int, clock: Clock, **fields: Any) -> Any:
    """An ether payment valid for ten minutes from the clock's now."""
    return payment(amount, token=ZERO_ADDRESS, deadline=clock.now + 600, **fields)


def approved(engine: PolicyEngine, ctx: SignContext, *operators: Any) -> SignContext:
    approvals = [
        sign_approval(operator, ctx.digest, ctx.request_id, ctx.chain_id, ctx.verifying_contract)
        for operator in operators
    ]
    return dataclasses.replace(ctx, approvals=approvals)


# -- an allowed request and the decision's shape -------------------------------------------------------


def test_small_payment_is_allowed_with_every_rule_explained(engine: PolicyEngine) -> None:
    decision = engine.evaluate(context(engine, payment(1_000 * TUSD_UNIT)))
    assert decision.allowed
    assert decision.failed_rules == ()
    assert [result.rule for result in decision.rule_results] == TREASURY_TX_RULES
    assert decision.reasons == tuple(result.detail for result in decision.rule_results)
    assert decision.policy_hash == make_policy().policy_hash()
    assert decision.evaluated_at == T0


def test_evaluation_is_deterministic_and_records_nothing(engine: PolicyEngine, history: SpendHistory) -> None:
    ctx = context(engine, payment(1_000 * TUSD_UNIT))
    decisions = [engine.evaluate(ctx) for _ in range(VELOCITY + 2)]
    assert all(decision == decisions[0] for decision in decisions)
    assert decisions[0].allowed
    assert history.spent(KEY, L1, TUSD, since=0) == 0


# -- default deny ---------------------------------------------------------------------------------------


def test_intent_type_without_rules_is_refused(engine: PolicyEngine) -> None:
    permit = Permit(owner=PAYROLL, spender=STRANGER, value=1, nonce=0, deadline=T0 + 60)
    decision = engine.evaluate(context(engine, permit, contract=TREASURY))
    refused_for(decision, "intent_type")
    assert decision.reasons == ("no policy rule can allow Permit intents",)


def test_unknown_contract_is_refused(engine: PolicyEngine) -> None:
    decision = engine.evaluate(context(engine, payment(1), contract=STRANGER))
    refused_for(decision, "contract")
    assert decision.reasons == (f"contract {STRANGER} on chain {L1} is not allowed to verify TreasuryTx",)


def test_contract_is_allowed_only_for_its_own_intent_types(engine: PolicyEngine) -> None:
    refused_for(engine.evaluate(context(engine, anchor(), contract=TREASURY)), "contract")
    refused_for(engine.evaluate(context(engine, payment(1), contract=ANCHORS, label="p")), "contract")


def test_unknown_chain_is_refused(engine: PolicyEngine) -> None:
    decision = engine.evaluate(context(engine, payment(1), chain_id=1))
    refused_for(decision, "chain")
    assert decision.reasons == (f"chain 1 is not allowed for key {KEY!r}",)


def test_key_without_policy_is_refused_when_there_is_no_default(history: SpendHistory, clock: Clock) -> None:
    def only_cold(data: dict[str, Any]) -> None:
        data["keys"] = {"cold": data.pop("default")}

    engine = PolicyEngine(make_policy(only_cold), history, clock)
    refused_for(engine.evaluate(context(engine, payment(1), key_id=KEY)), "key")
    assert engine.evaluate(context(engine, payment(1), key_id="cold", label="cold")).allowed


def test_a_keys_own_policy_replaces_the_default(history: SpendHistory, clock: Clock) -> None:
    def anchors_only_key(data: dict[str, Any]) -> None:
        chain = dict(l1_rules(data))
        chain["contracts"] = {ANCHORS: ["Anchor"]}
        del chain["treasury_tx"], chain["bridge_batch"]
        data["keys"] = {"anchors": {"chains": {L1: chain}}}

    engine = PolicyEngine(make_policy(anchors_only_key), history, clock)
    refused_for(engine.evaluate(context(engine, payment(1), key_id="anchors")), "contract")
    assert engine.evaluate(context(engine, anchor(), key_id="anchors", label="a")).allowed
    assert engine.evaluate(context(engine, payment(1), label="p")).allowed


def test_unknown_asset_is_refused(engine: PolicyEngine) -> None:
    decision = engine.evaluate(context(engine, payment(1, token=STRANGER)))
    refused_for(decision, "asset")
    assert decision.reasons == (f"token {STRANGER} has no limits in the policy",)


def test_digest_not_of_the_intent_is_refused(engine: PolicyEngine) -> None:
    ctx = context(engine, payment(1))
    wrong = dataclasses.replace(ctx, digest=payment(2).digest(L1, TREASURY))
    refused_for(engine.evaluate(wrong), "digest")
    other_domain = dataclasses.replace(ctx, digest=payment(1).digest(L2, TREASURY))
    refused_for(engine.evaluate(other_domain), "digest")


# -- per-transaction and rolling 24-hour limits ----------------------------------------------------------


def test_per_transaction_limit(engine: PolicyEngine, clock: Clock) -> None:
    assert engine.evaluate(context(engine, ether(ETH_PER_TX, clock))).allowed
    decision = engine.evaluate(context(engine, ether(ETH_PER_TX + 1, clock), label="over"))
    refused_for(decision, "per_tx_limit")
    assert decision.reasons == (
        f"amount {ETH_PER_TX + 1} of ether exceeds the per-transaction limit {ETH_PER_TX}",
    )


def test_rolling_24_hour_window_edges(engine: PolicyEngine, clock: Clock, history: SpendHistory) -> None:
    """Four 5-ETH payments an hour apart fill the 20-ETH day; the first leaves the window 24 h after it."""
    for index in range(4):
        assert engine.authorize(context(engine, ether(ETH_PER_TX, clock), label=f"fill-{index}")).allowed
        clock.advance(3600)
    assert history.spent(KEY, L1, ZERO_ADDRESS, since=0) == ETH_DAILY

    clock.now = T0 + DAY - 1
    decision = engine.evaluate(context(engine, ether(1, clock), label="one-wei"))
    refused_for(decision, "rolling_24h_limit")
    assert decision.reasons == (
        f"{ETH_DAILY} of ether signed in the last 24 hours + 1 = {ETH_DAILY + 1} exceeds "
        f"the rolling 24-hour limit {ETH_DAILY}",
    )

    clock.now = T0 + DAY  # the payment at T0 is exactly 24 hours old: out of the window
    big = engine.evaluate(context(engine, ether(ETH_PER_TX + 1, clock), label="big"))
    refused_for(big, "per_tx_limit", "rolling_24h_limit")
    assert engine.evaluate(context(engine, ether(ETH_PER_TX, clock), label="refill")).allowed
    later = context(engine, ether(ETH_PER_TX, clock), label="refill")
    assert engine.authorize(later).allowed
    refused_for(engine.evaluate(context(engine, ether(1, clock), label="one-more")), "rolling_24h_limit")


def test_limits_are_per_asset(engine: PolicyEngine, clock: Clock) -> None:
    for index in range(4):
        assert engine.authorize(context(engine, ether(ETH_PER_TX, clock), label=f"eth-{index}")).allowed
    assert engine.evaluate(context(engine, payment(1_000 * TUSD_UNIT), label="tusd")).allowed


def test_a_retry_of_a_signed_request_counts_once(
    engine: PolicyEngine, clock: Clock, history: SpendHistory
) -> None:
    for index in range(3):
        assert engine.authorize(context(engine, ether(ETH_PER_TX, clock), label=f"fill-{index}")).allowed
    last = context(engine, ether(ETH_PER_TX, clock), label="last")
    assert engine.authorize(last).allowed  # the day is now full
    clock.advance(60)
    retry = engine.authorize(last)  # a coordinator retrying with other nodes: judged like the first try
    assert retry.allowed
    assert "a retry, not counted twice" in rule_detail(retry, "request")
    assert history.spent(KEY, L1, ZERO_ADDRESS, since=0) == ETH_DAILY
    assert history.count(KEY, L1, "TreasuryTx", since=0) == 4


def test_request_id_reused_for_another_intent_is_refused(engine: PolicyEngine, clock: Clock) -> None:
    first = context(engine, ether(1, clock), label="r")
    assert engine.authorize(first).allowed
    other = ether(2, clock)
    with pytest.raises(RequestConflict):
        engine.first_seen(first.request_id, other.digest(L1, TREASURY))
    reused = SignContext.for_intent(
        key_id=KEY,
        request_id=first.request_id,
        intent=other,
        chain_id=L1,
        verifying_contract=TREASURY,
        first_seen=T0,
    )
    refused_for(engine.evaluate(reused), "request")
    refused_for(engine.evaluate(dataclasses.replace(first, key_id="other-key")), "request")


def test_record_signed_counts_toward_limits(
    engine: PolicyEngine, clock: Clock, history: SpendHistory
) -> None:
    ctx = context(engine, ether(ETH_PER_TX, clock))
    assert engine.record_signed(ctx) is True
    assert engine.record_signed(ctx) is False
    assert history.spent(KEY, L1, ZERO_ADDRESS, since=0) == ETH_PER_TX


def test_concurrent_authorizations_never_pass_the_limit_together(tmp_path: Path, clock: Clock) -> None:
    """Eight nodes' worth of threads, each with its own connection, race for a day that fits four."""
    policy = make_policy(lambda d: l1_rules(d)["treasury_tx"]["velocity"].update(max_signatures=100))
    path = tmp_path / "state.sqlite"
    decisions: list[Decision] = []

    def request(index: int) -> None:
        with SpendHistory.open(path) as history:
            engine = PolicyEngine(policy, history, clock)
            decisions.append(
                engine.authorize(context(engine, ether(ETH_PER_TX, clock), label=f"race-{index}"))
            )

    SpendHistory.open(path).close()
    threads = [threading.Thread(target=request, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(decision.allowed for decision in decisions) == [False] * 4 + [True] * 4
    assert all(d.failed_rules == ("rolling_24h_limit",) for d in decisions if not d.allowed)
    with SpendHistory.open(path) as history:
        assert history.spent(KEY, L1, ZERO_ADDRESS, since=0) == ETH_DAILY


# -- destinations, call data, deadlines ---------------------------------------------------------------


def test_destination_allowlist(engine: PolicyEngine, history: SpendHistory, clock: Clock) -> None:
    decision = engine.evaluate(context(engine, payment(1, to=STRANGER)))
    refused_for(decision, "destination")
    assert decision.reasons == (f"destination {STRANGER} is not on the allowlist",)

    anywhere = PolicyEngine(
        make_policy(lambda d: l1_rules(d)["treasury_tx"].update(destinations="any")), history, clock
    )
    decision = anywhere.evaluate(context(anywhere, payment(1, to=STRANGER)))
    assert decision.allowed
    assert (
        rule_detail(decision, "destination") == f"destination {STRANGER}: the policy allows any destination"
    )


def test_call_data_is_refused_unless_allowed(
    engine: PolicyEngine, history: SpendHistory, clock: Clock
) -> None:
    decision = engine.evaluate(context(engine, payment(1, data=b"\x12\x34")))
    refused_for(decision, "call_data")
    assert decision.reasons == ("2 bytes of call data, and the policy allows none",)

    calls = PolicyEngine(
        make_policy(lambda d: l1_rules(d)["treasury_tx"].update(allow_call_data=True)), history, clock
    )
    assert calls.evaluate(context(calls, payment(1, data=b"\x12\x34"))).allowed


@pytest.mark.parametrize(
    ("deadline", "allowed", "reason"),
    [
        (T0 - 1, False, f"the deadline {T0 - 1} has passed (now {T0})"),
        (T0, False, f"the deadline {T0} has passed (now {T0})"),
        (T0 + 1, True, ""),
        (T0 + HORIZON, True, ""),
        (
            T0 + HORIZON + 1,
            False,
            f"the deadline {T0 + HORIZON + 1} is {HORIZON + 1} s away, beyond the {HORIZON} s horizon",
        ),
    ],
)
def test_deadline_sanity(engine: PolicyEngine, deadline: int, allowed: bool, reason: str) -> None:
    decision = engine.evaluate(context(engine, payment(1, deadline=deadline)))
    if allowed:
        assert decision.allowed
    else:
        refused_for(decision, "deadline")
        assert decision.reasons == (reason,)


def test_all_failures_are_reported_together(engine: PolicyEngine) -> None:
    decision = engine.evaluate(context(engine, payment(PER_TX + 1, to=STRANGER, data=b"\x01", deadline=T0)))
    assert decision.failed_rules == (
        "deadline",
        "destination",
        "call_data",
        "per_tx_limit",
        "approvals",
        "time_lock",
    )


# -- velocity -------------------------------------------------------------------------------------------


def test_velocity(engine: PolicyEngine, clock: Clock) -> None:
    for index in range(VELOCITY):
        assert engine.authorize(context(engine, ether(1, clock), label=f"v-{index}")).allowed
    decision = engine.evaluate(context(engine, ether(1, clock), label="one-too-many"))
    refused_for(decision, "velocity")
    assert decision.reasons == (
        f"{VELOCITY} TreasuryTx signatures in the last {VELOCITY_WINDOW} s; one more would exceed "
        f"the velocity limit of {VELOCITY}",
    )
    clock.advance(VELOCITY_WINDOW - 1)
    refused_for(engine.evaluate(context(engine, ether(1, clock), label="still-too-many")), "velocity")
    clock.advance(1)
    assert engine.evaluate(context(engine, ether(1, clock), label="window-passed")).allowed


# -- operator approvals ---------------------------------------------------------------------------------


def test_no_approvals_needed_at_the_threshold(engine: PolicyEngine) -> None:
    decision = engine.evaluate(context(engine, payment(APPROVAL_ABOVE)))
    assert decision.allowed
    assert "no approvals needed" in rule_detail(decision, "approvals")


def test_approvals_above_the_threshold(engine: PolicyEngine) -> None:
    ctx = context(engine, payment(APPROVAL_ABOVE + 1))
    decision = engine.evaluate(ctx)
    refused_for(decision, "approvals")
    assert decision.reasons == (
        f"amount {APPROVAL_ABOVE + 1} is above the approval threshold {APPROVAL_ABOVE}: 0 of 2 required "
        "operator approvals (none)",
    )
    refused_for(engine.evaluate(approved(engine, ctx, ALICE)), "approvals")
    two = engine.evaluate(approved(engine, ctx, ALICE, CAROL))
    assert two.allowed
    assert "2 of 2 required operator approvals (alice, carol)" in rule_detail(two, "approvals")
    assert engine.evaluate(approved(engine, ctx, ALICE, BOB, CAROL)).allowed


def test_outsider_approval_does_not_count(engine: PolicyEngine) -> None:
    ctx = approved(engine, context(engine, payment(APPROVAL_ABOVE + 1)), ALICE, OUTSIDER)
    decision = engine.evaluate(ctx)
    refused_for(decision, "approvals")
    assert "1 of 2 required operator approvals (alice)" in decision.reasons[0]
    assert f"{OUTSIDER.address} is not one of this rule's operators" in decision.reasons[0]


def test_one_operator_approving_twice_counts_once(engine: PolicyEngine) -> None:
    ctx = approved(engine, context(engine, payment(APPROVAL_ABOVE + 1)), BOB, BOB)
    decision = engine.evaluate(ctx)
    refused_for(decision, "approvals")
    assert "1 of 2 required operator approvals (bob)" in decision.reasons[0]
    assert "bob already approved; counted once" in decision.reasons[0]


def test_approvals_for_another_request_do_not_count(engine: PolicyEngine) -> None:
    elsewhere = context(engine, payment(APPROVAL_ABOVE + 1), label="elsewhere")
    stolen = approved(engine, elsewhere, ALICE, BOB).approvals
    ctx = dataclasses.replace(context(engine, payment(APPROVAL_ABOVE + 1), label="here"), approvals=stolen)
    decision = engine.evaluate(ctx)
    refused_for(decision, "approvals")
    assert "0 of 2" in decision.reasons[0]


# -- time lock ------------------------------------------------------------------------------------------


def test_time_lock_counts_from_first_seen(engine: PolicyEngine, clock: Clock) -> None:
    large = payment(TIME_LOCK_ABOVE + 1, deadline=T0 + 2 * TIME_LOCK_DELAY)
    ctx = approved(engine, context(engine, large), ALICE, BOB)
    assert ctx.first_seen == T0
    decision = engine.evaluate(ctx)
    refused_for(decision, "time_lock")
    assert decision.reasons == (
        f"amount {TIME_LOCK_ABOVE + 1} is above the time-lock threshold {TIME_LOCK_ABOVE}: the request was "
        f"first seen 0 s ago; the {TIME_LOCK_DELAY} s delay has not passed ({TIME_LOCK_DELAY} s to go)",
    )
    clock.advance(TIME_LOCK_DELAY - 1)
    again = approved(engine, context(engine, large), ALICE, BOB)  # seeing it again does not restart the lock
    assert again.first_seen == T0
    refused_for(engine.evaluate(again), "time_lock")
    clock.advance(1)
    assert engine.evaluate(again).allowed


def test_time_lock_starts_when_this_node_first_saw_the_request(engine: PolicyEngine, clock: Clock) -> None:
    """A request the node first sees late is locked from then, whatever the coordinator says its age is."""
    clock.advance(5 * TIME_LOCK_DELAY)
    large = payment(TIME_LOCK_ABOVE + 1, deadline=clock.now + 2 * TIME_LOCK_DELAY)
    refused_for(engine.evaluate(approved(engine, context(engine, large), ALICE, BOB)), "time_lock")


def test_no_delay_at_the_time_lock_threshold(engine: PolicyEngine) -> None:
    decision = engine.evaluate(approved(engine, context(engine, payment(TIME_LOCK_ABOVE)), ALICE, BOB))
    assert decision.allowed
    assert "no delay" in rule_detail(decision, "time_lock")


# -- anchors and bridge batches -------------------------------------------------------------------------


def test_anchor_kinds_and_velocity(engine: PolicyEngine) -> None:
    decision = engine.evaluate(context(engine, anchor(kind=3)))
    refused_for(decision, "anchor_kind")
    assert decision.reasons == ("anchor kind 3 is not allowed [1, 2]",)
    for seq in range(3):
        assert engine.authorize(context(engine, anchor(kind=1 + seq % 2, seq=seq), label=f"a-{seq}")).allowed
    refused_for(engine.evaluate(context(engine, anchor(seq=9), label="a-9")), "velocity")


def test_bridge_routes_and_velocity(engine: PolicyEngine) -> None:
    assert engine.evaluate(context(engine, batch(src=L2, dst=L1))).allowed
    decision = engine.evaluate(context(engine, batch(src=L1, dst=L2), label="reverse"))
    refused_for(decision, "bridge_route")
    assert decision.reasons == (f"bridge route {L1} -> {L2} is not allowed",)
    for seq in range(3):
        assert engine.authorize(context(engine, batch(seq=seq), label=f"b-{seq}")).allowed
    refused_for(engine.evaluate(context(engine, batch(seq=9), label="b-9")), "velocity")


# -- audit ----------------------------------------------------------------------------------------------


def test_every_decision_is_audited_with_its_reasons(
    engine: PolicyEngine, clock: Clock, tmp_path: Path
) -> None:
    log = AuditLog.open_file(tmp_path / "audit.jsonl")
    allowed_ctx = context(engine, ether(1, clock), label="ok")
    refused_ctx = context(engine, payment(1, to=STRANGER), label="no")
    engine.evaluate(allowed_ctx, audit=log, actor="node-1")
    engine.authorize(refused_ctx, audit=log)
    authorized = engine.authorize(allowed_ctx, audit=log)

    records = list(log.records())
    assert [record.action for record in records] == [DECISION_ACTION] * 3
    assert [record.subject for record in records] == [
        "0x" + ctx.request_id.hex() for ctx in (allowed_ctx, refused_ctx, allowed_ctx)
    ]
    assert [record.actor for record in records] == ["node-1", "policy-engine", "policy-engine"]
    first, refusal, recorded = (record.details for record in records)
    assert first["allowed"] is True
    assert first["recorded"] is False
    assert refusal["allowed"] is False
    assert refusal["recorded"] is False
    assert refusal["reasons"] == [f"destination {STRANGER} is not on the allowlist"]
    assert refusal["intent"] == refused_ctx.intent.to_json()
    assert recorded["recorded"] is True
    assert recorded == {
        **recorded,
        **authorized.to_json(),
        "key_id": KEY,
        "intent_type": "TreasuryTx",
        "chain_id": L1,
        "verifying_contract": TREASURY,
        "digest": "0x" + allowed_ctx.digest.hex(),
        "approvals": [],
    }
    assert all(record.details["policy_hash"] == engine.policy_hash for record in records)
    assert log.verify().ok


# -- the context ----------------------------------------------------------------------------------------


def test_sign_context_is_checked(engine: PolicyEngine) -> None:
    ctx = context(engine, payment(1))
    for change in (
        {"request_id": b"short"},
        {"digest": "00" * 32},
        {"key_id": ""},
        {"chain_id": "1"},
        {"approvals": ["sig"]},
    ):
        with pytest.raises(InvalidSignContext):
            dataclasses.replace(ctx, **change)
    assert isinstance(dataclasses.replace(ctx, approvals=[]).approvals, tuple)


def test_request_id_from_hex() -> None:
    assert request_id_from_hex("0x" + "ab" * 32) == b"\xab" * 32
    for bad in ("ab" * 32, "0x" + "ab" * 31, "0x" + "zz" * 32, "0x" + "ab" * 33):
        with pytest.raises(InvalidSignContext):
            request_id_from_hex(bad)
    assert request_id("x") != request_id("y")
