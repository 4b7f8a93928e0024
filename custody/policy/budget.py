"""A group's rolling limits apportioned among its nodes: what each node may sign, and why it bounds the group.

A policy's ``rolling_24h_limit`` L of an asset is what the whole t-of-n group may sign of it in any 24
hours. Each node holds only its part of it, its budget B = floor(t·L/n) (`apportioned_budget`; the engine
gets t and n with the request's `SignContext`: t from the node's key package, n the number of nodes in the
group's roster, not the holders of one generation of the key, since a refresh among fewer nodes would raise
their budgets while the others' spends in the window still count), and signs a transfer only
if what it signed of the asset in the last 24 hours plus the amount fits in B. No node talks to another
about it, and the coordinator is not trusted with it.

*Claim.* Take any 24-hour window and the distinct intents of which t shares were released in it (a
signature needs t). With no compromised node their total is at most L, whatever signer sets a coordinator
picks and however it interleaves concurrent sessions.

*Proof.* A node records a spend in the transaction that releases its share, and a retry of the same request
counts once, moved to its latest release (`custody.policy.history`). So every such intent is counted, at
full amount, by each of the t nodes that released one of its shares in the window. A node's records in the
window sum to at most B: at its last release in the window, at time s, everything it released earlier in
the window was recorded in (s - 24 h, s], so its check at s saw it all. The check and the record are one
transaction of the node's own database, so concurrent sessions on one node serialise, and no node's check
reads another's state, so how sessions interleave across nodes does not enter. Hence
t·total <= (sum of every node's records) <= n·B <= t·L, and total <= L.

*With c compromised nodes* (c < t), which release shares without checking or counting, each intent is still
counted by at least t - c honest nodes, all among the n - c honest ones: (t - c)·total <= (n - c)·B, so
total <= (n - c)·t·L / (n·(t - c)) (`group_bound`): 4L/3 for 2-of-3 with one compromised node, where
per-node limits allowed 2L. With c >= t nothing the nodes do bounds it: the compromised nodes sign alone.

The price: one transfer can be at most min(per_tx_limit, B), and the group reaches L only if spending is
spread over the nodes; the coordinator does that by trying first the nodes with the most budget left, which
each node reports (`custody.policy.engine.PolicyEngine.remaining_budget`). Velocity limits stay per node: a
group may sign up to n/t times a velocity limit in a window. ``docs/custody.md`` says the same for operators.
"""

from fractions import Fraction

from chain.intents import CustodyTransfer, Intent, TreasuryTx
from custody.policy.config import AssetLimits, PolicyConfig


def apportioned_budget(limit: int, threshold: int, holders: int) -> int:
    """One node's part of a group's rolling limit: floor(t·L/n), so n budgets pay for L counted t times."""
    return threshold * limit // holders


def group_bound(limit: int, threshold: int, holders: int, compromised: int = 0) -> Fraction | None:
    """The most a t-of-n group with `compromised` nodes can sign in 24 hours under a limit of `limit` (the
    module docstring's bound); None when the compromised nodes can sign on their own."""
    if compromised >= threshold:
        return None
    return Fraction((holders - compromised) * threshold * limit, holders * (threshold - compromised))


def transfer_limits(config: PolicyConfig, key_id: str, chain_id: int, intent: Intent) -> AssetLimits | None:
    """The limits `config` sets for the asset a transfer moves under `key_id` on `chain_id`; None for an
    intent that moves no asset, or a key, chain, section or asset the policy does not list."""
    if not isinstance(intent, TreasuryTx | CustodyTransfer):
        return None
    key_policy = config.key_policy(key_id)
    chain = key_policy.chains.get(chain_id) if key_policy is not None else None
    if chain is None:
        return None
    rules = chain.treasury_tx if isinstance(intent, TreasuryTx) else chain.custody_transfer
    return rules.assets.get(intent.token) if rules is not None else None
