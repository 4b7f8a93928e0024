"""The policy's rules that need no history: each judges one field of an intent against the policy and says
why, in a sentence a person can act on (`RuleResult`). The rules that count what the node signed before
(velocity, the rolling limit) and the approvals live with the engine (`custody.policy.engine`)."""

from dataclasses import dataclass

from chain.intents import ZERO_ADDRESS, CustodyTransfer, TreasuryTx
from custody.policy.config import AssetLimits
from custody.policy.context import SignContext

Transfer = TreasuryTx | CustodyTransfer
"""The intents that move an asset: an owners' TreasuryTx and the custody key's CustodyTransfer."""


@dataclass(frozen=True)
class RuleResult:
    """One rule's verdict on one request, with a sentence a person can act on."""

    rule: str
    passed: bool
    detail: str


def asset_name(token: str) -> str:
    """How a reason names the asset at `token`."""
    return "ether" if token == ZERO_ADDRESS else f"token {token}"


def deadline(deadline: int, horizon: int, now: int) -> RuleResult:
    """The intent's deadline has not passed and is at most `horizon` seconds away."""
    if deadline <= now:
        return RuleResult("deadline", False, f"the deadline {deadline} has passed (now {now})")
    if deadline - now > horizon:
        detail = f"the deadline {deadline} is {deadline - now} s away, beyond the {horizon} s horizon"
        return RuleResult("deadline", False, detail)
    return RuleResult(
        "deadline", True, f"the deadline {deadline} is {deadline - now} s away, within {horizon} s"
    )


def destination(to: str, destinations: str | tuple[str, ...]) -> RuleResult:
    """The transfer goes to an allowed destination (or the policy allows any)."""
    if destinations == "any":
        return RuleResult("destination", True, f"destination {to}: the policy allows any destination")
    allowed = to in destinations
    verdict = "is" if allowed else "is not"
    return RuleResult("destination", allowed, f"destination {to} {verdict} on the allowlist")


def call_data(data: bytes, allow_call_data: bool) -> RuleResult:
    """A TreasuryTx carries call data only where the policy allows it."""
    if not data:
        return RuleResult("call_data", True, "no call data")
    if allow_call_data:
        return RuleResult("call_data", True, f"{len(data)} bytes of call data, allowed by the policy")
    return RuleResult("call_data", False, f"{len(data)} bytes of call data, and the policy allows none")


def per_tx_limit(tx: Transfer, limits: AssetLimits) -> RuleResult:
    """The amount is within the asset's per-transaction limit."""
    allowed = tx.amount <= limits.per_tx_limit
    verdict = "within" if allowed else "exceeds"
    asset = asset_name(tx.token)
    detail = f"amount {tx.amount} of {asset} {verdict} the per-transaction limit {limits.per_tx_limit}"
    return RuleResult("per_tx_limit", allowed, detail)


def time_lock(ctx: SignContext, tx: Transfer, limits: AssetLimits, now: int) -> RuleResult:
    """An amount above the time-lock threshold waits the delay, counted from the node's first sight of the
    request."""
    lock = limits.time_lock
    assert lock is not None
    if tx.amount <= lock.above:
        detail = f"amount {tx.amount} is not above the time-lock threshold {lock.above}: no delay"
        return RuleResult("time_lock", True, detail)
    age = now - ctx.first_seen
    allowed = age >= lock.delay_seconds
    verdict = "has passed" if allowed else f"has not passed ({lock.delay_seconds - age} s to go)"
    detail = (
        f"amount {tx.amount} is above the time-lock threshold {lock.above}: the request was first seen "
        f"{age} s ago; the {lock.delay_seconds} s delay {verdict}"
    )
    return RuleResult("time_lock", allowed, detail)
