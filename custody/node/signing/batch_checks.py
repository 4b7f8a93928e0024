"""What round one checks of a batch intent before any nonce exists: its evidence, and for a bridge batch the
chains themselves.

An Anchor or a BridgeBatch signs a root; the root is only as good as what it commits to. When the coordinator
sends the batch with the intent, the node rebuilds the root itself: an Anchor's leaves
(`custody.protocol.anchor_leaves`), a BridgeBatch's messages (`custody.protocol.bridge_messages`). For a
BridgeBatch the node then reads both chains through its own endpoints (`custody.node.chain_witness`): the
messages were sent on the source, deep enough (the policy's `confirmations`), not paid on the destination,
and the seq and prevRoot are the destination's next. A node that cannot read both chains, or was sent no
messages, says so in its audit record and lets the policy's other rules decide, unless the policy's
`require_chain_witness` makes that a refusal too.

Every refusal here is a `BridgeBatchUnwitnessed` or `AnchorLeavesMismatch` with its reasons (the caller
audits it, as it does the policy's), except an endpoint that fails to answer (`ChainUnreadable`, a passing
fault the next attempt retries).
"""

from typing import Any

from chain.bridge.batch import Batch
from chain.intents import BridgeBatch, Intent
from custody.node.chain_witness import ChainWitness, Reading
from custody.policy.config import PolicyConfig
from custody.protocol.anchor_leaves import check_anchor_leaves
from custody.protocol.bridge_messages import check_bridge_messages
from custody.protocol.errors import BridgeBatchUnwitnessed
from custody.protocol.signing import Round1Request


class BatchChecks:
    """The batch checks of one node, under its policy and with its chain witness (None: it reads no chain)."""

    def __init__(self, policy: PolicyConfig, policy_hash: str, witness: ChainWitness | None) -> None:
        self._policy = policy
        self._policy_hash = policy_hash
        self._witness = witness

    def check(self, request: Round1Request, intent: Intent) -> dict[str, Any]:
        """What was checked, for the round's audit record; raises the refusal when a check fails."""
        details: dict[str, Any] = {}
        leaves = check_anchor_leaves(intent, request.anchor_leaves, self._policy_hash)
        if leaves is not None:
            details["anchor_leaves_checked"] = leaves
        batch = check_bridge_messages(intent, request.bridge_messages, self._policy_hash)
        if isinstance(intent, BridgeBatch):
            details["bridge_witness"] = self._witnessed(request, intent, batch)
        return details

    def _witnessed(self, request: Round1Request, intent: BridgeBatch, batch: Batch | None) -> dict[str, Any]:
        domain = request.intent
        rules = self._policy.bridge_batch_rules(request.key_id, domain.chain_id)
        if rules is None:  # the policy refuses the batch anyway, and says why
            return {"chains_read": False, "messages_checked": None}
        destination = (intent.dst_chain_id, intent.dst_bridge.lower())
        if (domain.chain_id, domain.verifying_contract.lower()) != destination:
            raise BridgeBatchUnwitnessed(
                [
                    f"the batch is for bridge {intent.dst_bridge} on chain {intent.dst_chain_id}, not for "
                    f"the domain's {domain.verifying_contract} on chain {domain.chain_id}"
                ],
                self._policy_hash,
            )
        if batch is None:
            reading = Reading(False, details={"chains_read": False, "messages_sent": False})
        elif self._witness is None:
            reading = Reading(False, details={"chains_read": False, "no_rpc_url_for": "any chain"})
        else:
            reading = self._witness.read(intent, batch, rules.confirmations)
        problems = list(reading.problems)
        if not reading.read and rules.require_chain_witness:
            problems.append(
                "the policy requires this node to check the batch on both chains, and it could not "
                f"({reading.details})"
            )
        if problems:
            raise BridgeBatchUnwitnessed(problems, self._policy_hash)
        return {**reading.details, "messages_checked": None if batch is None else len(batch.messages)}
