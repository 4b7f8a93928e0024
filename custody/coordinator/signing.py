"""`SigningCoordinator.sign`: a FROST signature from t signer nodes, with failover and cheater identification.

One attempt is one session (a fresh random session id): round one asks t chosen nodes for commitments,
replacing any that fails by the next candidate until t have answered; round two sends every one of them the
same commitment list and intent, concurrently. If a node fails in round two, the session is dead (the others
have consumed their nonces, as they must) and a new attempt starts without that node. The shares are
checked one by one against the nodes' verifying shares before they are summed (`custody.frost.aggregate`),
and the sum is checked against the group key: a node whose share is wrong is named in the coordinator's
audit log, marked suspect (never chosen again until an operator clears it) and left out of the next
attempt, and nothing it touched is released. Every attempt excludes at least one more node, so `sign`
ends: with a signature, or with `SigningFailed` listing what each node did.

Choice of nodes: holders of the key that are not suspect and not excluded in this call; nodes that failed
recently (within `retry_after_seconds`) go last, so a dead node costs its timeout once, not on every
signature; then, for a transfer, the nodes with the most rolling budget left for its asset go first (each
node has t/n of the group's limit, `custody.policy.budget`, and says what is left in every answer; a node not
heard from yet counts as having all of it), so spending spreads over the group and the group can sign its
whole limit; among equals the order is random, which spreads load over the group. The choice only serves
throughput: the limit holds whatever nodes are picked.

State statements: the coordinator keeps each node's latest signed state counter (from its round-two answers,
checked against the node's identity key in the roster) and hands it back to the node in every round one, which
is how a node whose state database was restored from a backup finds out (`custody.node.signing.state_guard`).

Key versions: every request names the version of the key (the hash of the public key package the shares
are checked against, `custody.protocol.ids.key_version`), and a node holding no share of that generation
refuses with a typed ``key-version-mismatch``, which is a refusal, never a blame. A coordinator whose copy of
the key is stale (a refresh it did not see) would otherwise find every share invalid and mark honest nodes
suspect; so when nodes refuse the version, or every share fails, it first re-reads the nodes' signed key
statements (`key_statements`, once per call) and, if they state another key, continues with that one and
blames nobody. An operator clears a suspect mark with `clear_suspect`.
"""

import asyncio
import random
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping, Sequence
from typing import Final

from chain.intents import CustodyTransfer, TreasuryTx
from custody.audit import AuditLog
from custody.coordinator.auditing import record
from custody.coordinator.errors import (
    CoordinatorError,
    NodeCallError,
    NodeFailure,
    NodeMisbehaved,
    NodeRefused,
    SigningFailed,
    UnknownGroupKey,
)
from custody.coordinator.sign_call import VERSION_REFUSAL, SignCall, SigningCalls
from custody.frost import (
    EncodingError,
    InvalidSignatureShare,
    PublicKeyPackage,
    Signature,
    SignatureShare,
    SigningCommitments,
    SigningPackage,
    aggregate,
)
from custody.policy.approvals import OperatorApproval
from custody.protocol.anchor_leaves import AnchorLeaves
from custody.protocol.bridge_messages import BridgeMessages
from custody.protocol.signing import (
    Commitment,
    IntentEnvelope,
    Round1Request,
    Round1Response,
    Round2Request,
    Round2Response,
    StateStatement,
)
from custody.protocol.state import statement_verifies
from custody.roster import Roster, RosterNode
from custody.tls import COORDINATOR_COMMON_NAME

DEFAULT_RETRY_AFTER_SECONDS: Final = 5.0


class SigningCoordinator:
    """Signs intents with the group's nodes. One instance per process: it remembers suspects and failures."""

    def __init__(
        self,
        roster: Roster,
        client: SigningCalls,
        public_keys: MutableMapping[str, PublicKeyPackage],
        *,
        audit: AuditLog,
        retry_after_seconds: float = DEFAULT_RETRY_AFTER_SECONDS,
        states: Mapping[int, StateStatement] | None = None,
        key_statements: Callable[[str], Awaitable[PublicKeyPackage]] | None = None,
    ) -> None:
        """`public_keys` maps each key id to its public key package (what the key's DKG produced); `audit`
        is the coordinator's own log; `states` the nodes' state statements a previous instance held
        (`state_statements`), so a new instance still catches a rolled-back node; `key_statements` reads
        the key the nodes state in their signed statements
        (`custody.coordinator.keys.KeyCoordinator.stated_key`), used before blaming anyone."""
        self.roster = roster
        self.client = client
        self.public_keys = public_keys
        self.audit = audit
        self.retry_after_seconds = retry_after_seconds
        self.key_statements = key_statements
        self._suspects: set[int] = set()
        self._failed_at: dict[int, float] = {}
        self._states: dict[int, StateStatement] = dict(states or {})
        self._budgets: dict[tuple[int, str, int, str], int] = {}

    @property
    def suspects(self) -> frozenset[int]:
        """Nodes that returned an invalid share or answer; never chosen until `clear_suspect`."""
        return frozenset(self._suspects)

    @property
    def state_statements(self) -> dict[int, StateStatement]:
        """The latest state statement of each node (to hand to a later instance, or to keep)."""
        return dict(self._states)

    def clear_suspect(self, node_id: int, actor: str = COORDINATOR_COMMON_NAME) -> bool:
        """An operator's decision that `node_id` is sound again (e.g. after its share was repaired); whether
        it was a suspect. Audited with the operator as `actor`."""
        was_suspect = node_id in self._suspects
        self._suspects.discard(node_id)
        self.audit.append(
            actor=actor,
            action="node.suspect-cleared",
            subject=f"node:{node_id}",
            details={"was_suspect": was_suspect},
        )
        return was_suspect

    async def sign(
        self,
        key_id: str,
        request_id: str,
        intent: IntentEnvelope,
        approvals: Sequence[OperatorApproval] = (),
        *,
        anchor_leaves: AnchorLeaves | None = None,
        bridge_messages: BridgeMessages | None = None,
    ) -> Signature:
        """The group signature over `intent`'s EIP-712 digest under key `key_id`, for request `request_id`;
        for an Anchor, `anchor_leaves` lets every signer check the root, count and total itself, for a
        BridgeBatch `bridge_messages` the root and count, and the messages on the chains it reads.

        Raises UnknownGroupKey, `chain.intents.IntentError` (the intent does not decode; no node is asked),
        or SigningFailed.
        """
        public_key = self.public_keys.get(key_id)
        if public_key is None or public_key.min_signers is None:
            raise UnknownGroupKey(f"no public key package (with a threshold) for key {key_id!r}")
        decoded, digest = intent.decode()
        call = SignCall(
            key_id, request_id, intent, digest, [approval.to_json() for approval in approvals], public_key, {}
        )
        if isinstance(decoded, TreasuryTx | CustodyTransfer):
            call.asset = (intent.chain_id, decoded.token)
        call.anchor_leaves = anchor_leaves
        call.bridge_messages = bridge_messages
        while True:
            candidates = self._candidates(call)
            if len(candidates) < call.threshold:
                if call.version_refused() and await self._restate(call):
                    continue
                await self._record_failure(call)
                suspects = (self._suspects & set(public_key.verifying_shares)) - set(call.failures)
                raise SigningFailed(key_id, call.threshold, call.failures, suspects)
            signature = await self._attempt(call, candidates)
            if signature is not None:
                return signature

    def _candidates(self, call: SignCall) -> deque[RosterNode]:
        now = time.monotonic()
        eligible = [
            node
            for node in self.roster
            if node.node_id in call.public_key.verifying_shares
            and node.node_id not in self._suspects
            and node.node_id not in call.failures
        ]
        random.shuffle(eligible)
        never = float("-inf")
        eligible.sort(
            key=lambda node: (
                now - self._failed_at.get(node.node_id, never) < self.retry_after_seconds,
                -self._budget(call, node.node_id),
            )
        )
        return deque(eligible)

    def _budget(self, call: SignCall, node_id: int) -> float:
        """What `node_id` last said it had left of `call`'s asset; infinite if unknown or not a transfer."""
        if call.asset is None:
            return float("inf")
        return self._budgets.get((node_id, call.key_id, *call.asset), float("inf"))

    def _learn(self, call: SignCall, node: RosterNode, answer: Round1Response | Round2Response) -> None:
        """Keep what an answer says of the node's budget and, if newer and the node's own, its statement."""
        if call.asset is not None and answer.budget_remaining is not None:
            self._budgets[(node.node_id, call.key_id, *call.asset)] = int(answer.budget_remaining)
        statement = answer.state if isinstance(answer, Round2Response) else None
        if statement is None or statement.node_id != node.node_id:
            return
        known = self._states.get(node.node_id)
        if (known is None or statement.counter > known.counter) and statement_verifies(statement, node.keys):
            self._states[node.node_id] = statement

    async def _attempt(self, call: SignCall, candidates: deque[RosterNode]) -> Signature | None:
        """One session; the signature, or None when a node failed and another attempt may succeed."""
        session_id = secrets.token_hex(16)
        committed = await self._round1(call, session_id, candidates)
        if len(committed) < call.threshold:
            return None
        package = SigningPackage(
            {node.node_id: commitments for node, commitments in committed.values()}, call.digest
        )
        shares = await self._round2(call, session_id, committed, package)
        if shares is None:
            return None
        try:
            signature = aggregate(package, shares, call.public_key)
        except InvalidSignatureShare as error:
            if set(error.culprits) == set(package.participants) and await self._restate(call):
                return None  # every share failed against a key the nodes no longer state: nobody cheated
            await self._name_cheaters(call, session_id, error.culprits)
            return None
        await record(
            self.audit,
            "sign.completed",
            f"session:{session_id}",
            {
                "key_id": call.key_id,
                "request_id": call.request_id,
                "digest": "0x" + call.digest.hex(),
                "signers": package.participants,
                "skipped": {str(node): failure.to_json() for node, failure in sorted(call.failures.items())},
                "signature": signature.to_bytes().hex(),
            },
        )
        return signature

    async def _round1(
        self, call: SignCall, session_id: str, candidates: deque[RosterNode]
    ) -> dict[int, tuple[RosterNode, SigningCommitments]]:
        """Commitments from `threshold` nodes, taking the next candidate whenever one fails."""
        request = Round1Request(
            **call.request_fields(session_id),
            anchor_leaves=call.anchor_leaves,
            bridge_messages=call.bridge_messages,
        )
        committed: dict[int, tuple[RosterNode, SigningCommitments]] = {}
        pending: dict[asyncio.Task[Round1Response], RosterNode] = {}
        try:
            while len(committed) < call.threshold:
                while candidates and len(committed) + len(pending) < call.threshold:
                    node = candidates.popleft()
                    ask = request.model_copy(update={"state": self._states.get(node.node_id)})
                    pending[asyncio.create_task(self.client.round1(node, ask))] = node
                if not pending:
                    break
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in [task for task in pending if task in done]:  # in the order asked, not set order
                    node = pending.pop(task)
                    try:
                        answer = task.result()
                        committed[node.node_id] = (node, self._commitments(node, answer))
                    except NodeCallError as error:
                        await self._node_failed(call, node, error)
                    else:
                        self._failed_at.pop(node.node_id, None)
                        self._learn(call, node, answer)
        finally:
            for task in pending:  # only when `sign` itself is cancelled
                task.cancel()
        return committed

    @staticmethod
    def _commitments(node: RosterNode, answer: Round1Response) -> SigningCommitments:
        if answer.identifier != node.node_id:
            raise NodeMisbehaved(node.node_id, f"answered round one as participant {answer.identifier}")
        try:
            return Commitment(hiding=answer.hiding, binding=answer.binding).decode()
        except EncodingError as error:
            raise NodeMisbehaved(
                node.node_id, f"sent commitments that are not curve points: {error}"
            ) from None

    async def _round2(
        self,
        call: SignCall,
        session_id: str,
        committed: dict[int, tuple[RosterNode, SigningCommitments]],
        package: SigningPackage,
    ) -> dict[int, SignatureShare] | None:
        """Every committed node's share, or None (after recording who failed) if any node did not give one."""
        commitments = {identifier: Commitment.of(own) for identifier, own in package.commitments.items()}
        request = Round2Request(**call.request_fields(session_id), commitments=commitments)
        nodes = [node for node, _ in committed.values()]
        answers = await asyncio.gather(
            *(self.client.round2(node, request) for node in nodes), return_exceptions=True
        )
        shares: dict[int, SignatureShare] = {}
        for node, answer in zip(nodes, answers, strict=True):
            try:
                if isinstance(answer, BaseException):
                    raise answer
                if answer.identifier != node.node_id:
                    raise NodeMisbehaved(
                        node.node_id, f"answered round two as participant {answer.identifier}"
                    )
                shares[node.node_id] = SignatureShare.from_bytes(bytes.fromhex(answer.share))
                self._learn(call, node, answer)
            except NodeCallError as error:
                await self._node_failed(call, node, error)
            except EncodingError as error:
                await self._node_failed(
                    call, node, NodeMisbehaved(node.node_id, f"sent an invalid share: {error}")
                )
        return shares if len(shares) == len(nodes) else None

    async def _node_failed(self, call: SignCall, node: RosterNode, error: NodeCallError) -> None:
        call.failures[node.node_id] = NodeFailure.of(error)
        if isinstance(error, NodeMisbehaved):
            await self._mark_suspects(call, [node.node_id], "sign.node-misbehaved", error.detail)
        elif not isinstance(error, NodeRefused):
            self._failed_at[node.node_id] = time.monotonic()

    async def _name_cheaters(self, call: SignCall, session_id: str, culprits: Iterable[int]) -> None:
        named = sorted(culprits)
        for node_id in named:
            call.failures[node_id] = NodeFailure(
                "invalid-share", f"its share in session {session_id} does not verify"
            )
        await self._mark_suspects(call, named, "sign.invalid-share", f"session {session_id}")

    async def _mark_suspects(self, call: SignCall, node_ids: list[int], action: str, detail: str) -> None:
        self._suspects.update(node_ids)
        await record(
            self.audit,
            action,
            ",".join(f"node:{node_id}" for node_id in node_ids),
            {
                "nodes": node_ids,
                "detail": detail,
                "key_id": call.key_id,
                "request_id": call.request_id,
                "digest": "0x" + call.digest.hex(),
            },
        )

    async def _restate(self, call: SignCall) -> bool:
        """Read the key the nodes state, once per call; if it is not the one this call used, use it from now
        on (forgetting the nodes that refused the old version) and return True."""
        if call.restated or self.key_statements is None:
            return False
        call.restated = True
        try:
            stated = await self.key_statements(call.key_id)
        except (CoordinatorError, NodeCallError):
            return False
        if stated.to_bytes() == call.public_key.to_bytes():
            return False
        if (stated.group_public_key, stated.min_signers) != (
            call.public_key.group_public_key,
            call.public_key.min_signers,
        ):  # a refresh keeps both: another key or threshold is no newer generation of this one, but a lie
            await record(
                self.audit,
                "sign.key-restatement-refused",
                f"request:{call.request_id}",
                {"key_id": call.key_id, "key_version": call.key_version},
            )
            return False
        stale = call.key_version
        call.public_key = self.public_keys[call.key_id] = stated
        refused = [node for node, failure in call.failures.items() if failure.problem_type == VERSION_REFUSAL]
        for node_id in refused:
            del call.failures[node_id]
        await record(
            self.audit,
            "sign.key-restated",
            f"request:{call.request_id}",
            {"key_id": call.key_id, "stale_version": stale, "key_version": call.key_version},
        )
        return True

    async def _record_failure(self, call: SignCall) -> None:
        await record(
            self.audit,
            "sign.failed",
            f"request:{call.request_id}",
            {
                "key_id": call.key_id,
                "digest": "0x" + call.digest.hex(),
                "threshold": call.threshold,
                "failures": {str(node): failure.to_json() for node, failure in sorted(call.failures.items())},
            },
        )
