"""The policy engine: whether this node may sign an intent, given its policy, its history and its clock.

A signer node calls `PolicyEngine.evaluate` (round 1, to fail fast) and `PolicyEngine.authorize` (round 2:
decide and, if allowed, record the spend in one history transaction, before the share leaves). The decision is
deterministic given the policy, the spend history and the injected clock, and does no I/O except reading and
writing that history (and appending to an audit log when one is passed).

Order of checks. Structural checks first, each refusing outright: the intent type must be one a policy can
allow, the digest must be the intent's own EIP-712 digest in the given domain, the key, the chain and the
verifying contract (for this intent type) must be in the policy, and the request id must not already be bound
to another intent. Then every rule of the intent type is evaluated and all failures are reported together:

- TreasuryTx and CustodyTransfer (transfers): deadline (not expired, not beyond the horizon), destination
  allowlist, call data (TreasuryTx only: a CustodyTransfer has none), asset known, per-transaction limit,
  rolling 24-hour limit, velocity, operator approvals above a threshold, time lock above a threshold (age
  counted from the node's own first-seen time of the request). Each type has its own rules section; the
  rolling sum counts every transfer of the asset the key signed on the chain, whichever its type, so two
  sections never let more out together than either allows;
- Anchor: kind, velocity;  BridgeBatch: (source, destination) route, velocity.

A request this node already signed (same digest, same key) is not counted twice: its own earlier record is
left out of the rolling sum and the velocity count, so a coordinator's retry is judged like the first try.

The rolling limit bounds the group, not the node: each node checks its part of it, t/n of the limit for a
t-of-n key (`custody.policy.budget`, which states what that guarantees and proves it), and reports what is
left (`PolicyEngine.remaining_budget`) so the coordinator can spread spending over the nodes.

A decision's `reasons` are the failed rules' explanations when refused, every rule's explanation when allowed.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from chain.intents import Anchor, BridgeBatch, CustodyTransfer, TreasuryTx
from custody.audit import AuditLog, AuditRecord
from custody.policy import checks
from custody.policy.approvals import tally_approvals
from custody.policy.budget import apportioned_budget, transfer_limits
from custody.policy.checks import RuleResult, Transfer
from custody.policy.config import (
    ROLLING_WINDOW_SECONDS,
    AnchorRules,
    AssetLimits,
    BridgeBatchRules,
    ChainPolicy,
    PolicyConfig,
    TransferRules,
    Velocity,
)
from custody.policy.context import SignContext
from custody.policy.history import SignedRecord, SpendHistory

DECISION_ACTION: Final = "policy.decision"
"""The audit action of every decision record."""

DEFAULT_AUDIT_ACTOR: Final = "policy-engine"
NO_ASSET: Final = ""
"""The history's asset for intents that move no asset (anchors, bridge batches)."""


def unix_now() -> int:
    """The current Unix time in whole seconds: the engine's default clock."""
    return int(time.time())


@dataclass(frozen=True)
class Decision:
    """The policy's answer: allowed or not, why, under which policy (hash) and at which time."""

    allowed: bool
    reasons: tuple[str, ...]
    rule_results: tuple[RuleResult, ...]
    policy_hash: str
    evaluated_at: int

    @property
    def failed_rules(self) -> tuple[str, ...]:
        """The names of the rules that refused (empty when allowed)."""
        return tuple(result.rule for result in self.rule_results if not result.passed)

    def to_json(self) -> dict[str, Any]:
        """The decision as float-free JSON (for audit records and API problem documents)."""
        return {
            "allowed": self.allowed,
            "reasons": list(self.reasons),
            "rules": [
                {"rule": result.rule, "passed": result.passed, "detail": result.detail}
                for result in self.rule_results
            ],
            "policy_hash": self.policy_hash,
            "evaluated_at": self.evaluated_at,
        }


class PolicyEngine:
    """Evaluates signing requests against one policy, counting against one node's spend history."""

    def __init__(
        self, config: PolicyConfig, history: SpendHistory, clock: Callable[[], int] = unix_now
    ) -> None:
        self.config = config
        self.history = history
        self.policy_hash = config.policy_hash()
        self._clock = clock

    def first_seen(self, request_id: bytes, digest: bytes) -> int:
        """When this node first saw `request_id`: now, stored durably, on the first call; that time after.

        Call it when a request arrives (round 1); RequestConflict if the request id came with another digest.
        """
        return self.history.first_seen(request_id, digest, self._clock())

    def evaluate(
        self, ctx: SignContext, audit: AuditLog | None = None, *, actor: str = DEFAULT_AUDIT_ACTOR
    ) -> Decision:
        """Decide without recording anything; append the decision to `audit` if given."""
        decision = self._decide(ctx, self._clock())
        if audit is not None:
            _append_decision(audit, actor, ctx, decision, recorded=False)
        return decision

    def authorize(
        self, ctx: SignContext, audit: AuditLog | None = None, *, actor: str = DEFAULT_AUDIT_ACTOR
    ) -> Decision:
        """Decide and, if allowed, record the spend, atomically against every other writer of the history.

        What round 2 calls before releasing a share: two concurrent requests cannot both pass a limit that
        only one of them fits, because the second is evaluated after the first is recorded.
        """
        now = self._clock()
        with self.history.transaction():
            decision = self._decide(ctx, now)
            if decision.allowed:
                self.history.record(_signed_record(ctx, now))
        if audit is not None:
            _append_decision(audit, actor, ctx, decision, recorded=decision.allowed)
        return decision

    def record_signed(self, ctx: SignContext) -> bool:
        """Durably count `ctx` as signed now; False if it was recorded already (a retry counts once).

        Prefer `authorize`, which records in the same transaction as the decision; evaluating and recording
        in two steps lets a concurrent request slip between them.
        """
        return self.history.record(_signed_record(ctx, self._clock()))

    def _decide(self, ctx: SignContext, now: int) -> Decision:
        results, chain = self._structural(ctx)
        if chain is not None:
            results += self._intent_rules(ctx, chain, now)
        failed = [result for result in results if not result.passed]
        return Decision(
            allowed=not failed,
            reasons=tuple(result.detail for result in (failed or results)),
            rule_results=tuple(results),
            policy_hash=self.policy_hash,
            evaluated_at=now,
        )

    def _structural(self, ctx: SignContext) -> tuple[list[RuleResult], ChainPolicy | None]:
        """Type, digest, key, chain, contract and request binding, stopping at the first failure.

        Returns the results and, when every check passed, the chain policy whose rules apply.
        """
        intent_type = ctx.intent.PRIMARY_TYPE
        if not isinstance(ctx.intent, TreasuryTx | CustodyTransfer | Anchor | BridgeBatch):
            return [RuleResult("intent_type", False, f"no policy rule can allow {intent_type} intents")], None
        results = [RuleResult("intent_type", True, f"{intent_type} intents are governed by the policy")]
        if ctx.intent.digest(ctx.chain_id, ctx.verifying_contract) != ctx.digest:
            results.append(RuleResult("digest", False, "the digest is not the intent's digest in its domain"))
            return results, None
        results.append(RuleResult("digest", True, "the digest is the intent's EIP-712 digest in its domain"))
        key_policy = self.config.key_policy(ctx.key_id)
        if key_policy is None:
            detail = f"key {ctx.key_id!r} has no policy and there is no default"
            return [*results, RuleResult("key", False, detail)], None
        results.append(RuleResult("key", True, f"key {ctx.key_id!r} has a policy"))
        chain = key_policy.chains.get(ctx.chain_id)
        if chain is None:
            detail = f"chain {ctx.chain_id} is not allowed for key {ctx.key_id!r}"
            return [*results, RuleResult("chain", False, detail)], None
        results.append(RuleResult("chain", True, f"chain {ctx.chain_id} is allowed"))
        if not chain.allows_contract(ctx.verifying_contract, intent_type):
            contract = f"contract {ctx.verifying_contract} on chain {ctx.chain_id}"
            detail = f"{contract} is not allowed to verify {intent_type}"
            return [*results, RuleResult("contract", False, detail)], None
        results.append(
            RuleResult("contract", True, f"contract {ctx.verifying_contract} may verify {intent_type}")
        )
        results.append(self._request(ctx))
        return results, chain if results[-1].passed else None

    def _request(self, ctx: SignContext) -> RuleResult:
        """A request id names one intent under one key; signing it again is a retry, counted once."""
        prior = self.history.signed(ctx.request_id)
        request = f"request 0x{ctx.request_id.hex()}"
        if prior is None:
            return RuleResult("request", True, f"{request} has not been signed by this node before")
        if prior.digest != ctx.digest or prior.key_id != ctx.key_id:
            return RuleResult("request", False, f"{request} was already signed for a different intent or key")
        detail = f"{request} was signed at {prior.signed_at}: a retry, not counted twice"
        return RuleResult("request", True, detail)

    def _intent_rules(self, ctx: SignContext, chain: ChainPolicy, now: int) -> list[RuleResult]:
        """The rules of the intent's type; config validation ensures a verified type has its rules section."""
        intent = ctx.intent
        if isinstance(intent, TreasuryTx):
            assert chain.treasury_tx is not None
            call_data = checks.call_data(intent.data, chain.treasury_tx.allow_call_data)
            return self._transfer_rules(ctx, intent, chain.treasury_tx, now, call_data)
        if isinstance(intent, CustodyTransfer):
            assert chain.custody_transfer is not None
            return self._transfer_rules(ctx, intent, chain.custody_transfer, now, None)
        if isinstance(intent, Anchor):
            assert chain.anchor is not None
            return self._anchor_rules(ctx, intent, chain.anchor, now)
        assert isinstance(intent, BridgeBatch)
        assert chain.bridge_batch is not None
        return self._bridge_rules(ctx, intent, chain.bridge_batch, now)

    def _transfer_rules(
        self, ctx: SignContext, tx: Transfer, rules: TransferRules, now: int, call_data: RuleResult | None
    ) -> list[RuleResult]:
        """A transfer's rules; `call_data` is the call-data rule's verdict for intents that can carry any."""
        results = [
            checks.deadline(tx.deadline, rules.max_deadline_horizon_seconds, now),
            checks.destination(tx.to, rules.destinations),
            *([call_data] if call_data is not None else []),
            self._velocity(ctx, rules.velocity, now),
        ]
        limits = rules.assets.get(tx.token)
        if limits is None:
            return [
                *results,
                RuleResult("asset", False, f"{checks.asset_name(tx.token)} has no limits in the policy"),
            ]
        results.append(RuleResult("asset", True, f"{checks.asset_name(tx.token)} has limits in the policy"))
        results.append(checks.per_tx_limit(tx, limits))
        results.append(self._rolling_limit(ctx, tx, limits, now))
        if limits.approvals is not None:
            results.append(self._approvals(ctx, tx, limits))
        if limits.time_lock is not None:
            results.append(checks.time_lock(ctx, tx, limits, now))
        return results

    def _anchor_rules(
        self, ctx: SignContext, anchor: Anchor, rules: AnchorRules, now: int
    ) -> list[RuleResult]:
        allowed = anchor.kind in rules.kinds
        verdict = "is" if allowed else "is not"
        kind = RuleResult(
            "anchor_kind", allowed, f"anchor kind {anchor.kind} {verdict} allowed {list(rules.kinds)}"
        )
        return [kind, self._velocity(ctx, rules.velocity, now)]

    def _bridge_rules(
        self, ctx: SignContext, batch: BridgeBatch, rules: BridgeBatchRules, now: int
    ) -> list[RuleResult]:
        route = (batch.src_chain_id, batch.dst_chain_id)
        allowed = any((r.src_chain_id, r.dst_chain_id) == route for r in rules.routes)
        verdict = "is" if allowed else "is not"
        detail = f"bridge route {batch.src_chain_id} -> {batch.dst_chain_id} {verdict} allowed"
        return [RuleResult("bridge_route", allowed, detail), self._velocity(ctx, rules.velocity, now)]

    def _velocity(self, ctx: SignContext, velocity: Velocity, now: int) -> RuleResult:
        intent_type = ctx.intent.PRIMARY_TYPE
        earlier = self.history.count(
            ctx.key_id, ctx.chain_id, intent_type, now - velocity.window_seconds, excluding=ctx.request_id
        )
        allowed = earlier + 1 <= velocity.max_signatures
        verdict = "within" if allowed else "would exceed"
        detail = (
            f"{earlier} {intent_type} signatures in the last {velocity.window_seconds} s; one more {verdict} "
            f"the velocity limit of {velocity.max_signatures}"
        )
        return RuleResult("velocity", allowed, detail)

    def remaining_budget(self, ctx: SignContext) -> int | None:
        """What this node may still sign now of the asset `ctx` moves, in 24 hours (its budget less what it
        signed in the window, this request included if recorded); None for an intent that moves no asset or
        an asset without limits. The coordinator picks signers by it, so the group can use its whole limit."""
        intent = ctx.intent
        limits = transfer_limits(self.config, ctx.key_id, ctx.chain_id, intent)
        if limits is None or not isinstance(intent, Transfer):
            return None
        budget = apportioned_budget(limits.rolling_24h_limit, ctx.threshold, ctx.holders)
        spent = self.history.spent(
            ctx.key_id, ctx.chain_id, intent.token, self._clock() - ROLLING_WINDOW_SECONDS
        )
        return max(budget - spent, 0)

    def _rolling_limit(self, ctx: SignContext, tx: Transfer, limits: AssetLimits, now: int) -> RuleResult:
        spent = self.history.spent(
            ctx.key_id, ctx.chain_id, tx.token, now - ROLLING_WINDOW_SECONDS, excluding=ctx.request_id
        )
        total = spent + tx.amount
        limit = limits.rolling_24h_limit
        budget = apportioned_budget(limit, ctx.threshold, ctx.holders)
        allowed = total <= budget
        verdict = "within" if allowed else "exceeds"
        part = (
            f"{limit}"
            if ctx.holders == 1
            else f"{limit}'s part for this node, {ctx.threshold}/{ctx.holders} of it: {budget}"
        )
        detail = (
            f"{spent} of {checks.asset_name(tx.token)} signed in the last 24 hours + {tx.amount} = {total} "
            f"{verdict} the rolling 24-hour limit {part}"
        )
        return RuleResult("rolling_24h_limit", allowed, detail)

    def _approvals(self, ctx: SignContext, tx: Transfer, limits: AssetLimits) -> RuleResult:
        rule = limits.approvals
        assert rule is not None
        if tx.amount <= rule.above:
            detail = (
                f"amount {tx.amount} is not above the approval threshold {rule.above}: no approvals needed"
            )
            return RuleResult("approvals", True, detail)
        tally = tally_approvals(
            ctx.approvals,
            intent_digest=ctx.digest,
            request_id=ctx.request_id,
            chain_id=ctx.chain_id,
            verifying_contract=ctx.verifying_contract,
            operators=self.config.operator_addresses(rule.operators),
        )
        allowed = len(tally.approvers) >= rule.required
        detail = (
            f"amount {tx.amount} is above the approval threshold {rule.above}: {len(tally.approvers)} of "
            f"{rule.required} required operator approvals ({', '.join(tally.approvers) or 'none'})"
        )
        if tally.rejections:
            detail += "; not counted: " + "; ".join(tally.rejections)
        return RuleResult("approvals", allowed, detail)


def _signed_record(ctx: SignContext, now: int) -> SignedRecord:
    intent = ctx.intent
    asset, amount = (intent.token, intent.amount) if isinstance(intent, Transfer) else (NO_ASSET, 0)
    return SignedRecord(
        request_id=ctx.request_id,
        digest=ctx.digest,
        key_id=ctx.key_id,
        chain_id=ctx.chain_id,
        intent_type=intent.PRIMARY_TYPE,
        asset=asset,
        amount=amount,
        signed_at=now,
    )


def _append_decision(
    audit: AuditLog, actor: str, ctx: SignContext, decision: Decision, *, recorded: bool
) -> AuditRecord:
    """Append the decision, the request it judged and whether its spend was recorded, as "policy.decision"."""
    details = {
        "key_id": ctx.key_id,
        "request_id": "0x" + ctx.request_id.hex(),
        "intent_type": ctx.intent.PRIMARY_TYPE,
        "intent": ctx.intent.to_json(),
        "chain_id": ctx.chain_id,
        "verifying_contract": ctx.verifying_contract,
        "digest": "0x" + ctx.digest.hex(),
        "approvals": [approval.operator for approval in ctx.approvals],
        "recorded": recorded,
        **decision.to_json(),
    }
    return audit.append(
        actor=actor, action=DECISION_ACTION, subject="0x" + ctx.request_id.hex(), details=details
    )
