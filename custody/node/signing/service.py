"""A signer node's two signing rounds, without HTTP: commit to nonces, then release one signature share.

Round one (`SigningService.round1`) decodes the intent and computes its digest itself, checks a batch intent
against the batch sent with it (`batch_checks`: an Anchor's leaves, a BridgeBatch's messages and the chains
they came from), then in one transaction of the node's state database records when the node first saw the
request (time locks count from there), asks the policy (failing fast), and, if it agrees, opens the session
holding fresh hedged nonces sealed by the key store (`custody.keystore.KeyStore.seal`, bound to the session
id) together with the key id, request id and digest they are bound to. The transaction commits (one fsync: the
nonce is durable) and the step is written to the audit log before the node answers with its commitments; that
record becomes durable with round two's, which is synced before any share leaves (a round one answers nothing
secret, so it does not wait for the audit log's own fsync).

Round two (`SigningService.round2`) takes the same intent again and every signer's commitments. In one
transaction it takes the nonce out of the session (the row no longer holds it), checks that the intent, key
and request are those the nonce was bound to (the intent is decoded again; its digest is recomputed unless
the envelope is byte for byte the one of round one, whose digest the sealed record holds) and that its own
commitment is listed as it made it, lets the policy decide and record the spend, computes the share and
closes the session as signed, or as refused if any check failed. That transaction commits, durably, before
anything leaves the node: the nonce is gone from disk, the spend counted and the session closed, all with one
fsync; then the audit record is appended (fsynced) and only then is the share answered. A refusal commits the
nonce's removal just the same, so a nonce is offered to at most one signing package and any later round two
for the session is a replay. If the transaction itself fails (a database error), nothing was released and
the session is closed in a second step, so its nonce is never used. A nonce therefore signs at most one
signing package, which is what keeps the key's share secret: two shares under one nonce and different
packages would reveal it.

Spends are counted against the node's part of the group's limits (`custody.policy.budget`: each node has t/n
of a rolling limit, t and n from its own key package), and both answers say what is left of that budget for
the intent's asset, so the coordinator can pick signers that have it. Round two also advances the node's state
counter in its transaction and answers with the counter signed (`custody.node.signing.state_guard`); round one
first checks the counter the coordinator presents, so a node whose state database was restored from a backup
refuses to sign until an operator acknowledges it.

Sessions are short: a nonce not used within the time to live is dropped by `expire_stale`, and a restart
abandons every session a previous process opened (`abandon_all`), so after ``kill -9`` at any point a nonce
is either still sealed and never used, or consumed and gone. Every step goes to the node's audit log, with
the coordinator's certificate name as the actor.
"""

from collections.abc import Callable
from typing import Any, Final

from custody.audit import AuditLog
from custody.envelope import NodeIdentity
from custody.frost import EncodingError, SigningCommitments, SigningPackage, round1_commit, round2_sign
from custody.keystore import KeyStore
from custody.node.chain_witness import ChainWitness
from custody.node.records.shares import StoredKey, find_record, generation
from custody.node.refusals import refusals
from custody.node.signing.batch_checks import BatchChecks
from custody.node.signing.nonces import open_nonce_record, record_nonces, seal_nonce_record
from custody.node.signing.requests import (
    ParsedRequest,
    decision_details,
    intent_digest,
    parse_request,
    request_details,
)
from custody.node.signing.sessions import NONCE_NAME_PREFIX, SessionBook, SessionState, nonce_name
from custody.node.signing.state_guard import StateGuard
from custody.policy.context import SignContext
from custody.policy.engine import PolicyEngine
from custody.policy.errors import RequestConflict
from custody.protocol.errors import (
    CommitmentMismatch,
    IntentMismatch,
    MalformedRequest,
    NodeError,
    PolicyRefused,
    RequestIdConflict,
    SessionConflict,
    SessionExists,
    SessionExpired,
    SessionUsed,
    StateRolledBack,
    UnknownSession,
)
from custody.protocol.signing import Round1Request, Round1Response, Round2Request, Round2Response

NONCE_PREFIX: Final = NONCE_NAME_PREFIX
"""Nonces are sealed under ``nonce/<session_id>``; a key store written by an older version may still hold
records by that name, which a start deletes."""
CLOSED_SESSION_RETENTION_SECONDS: Final = 7 * 24 * 60 * 60
"""How long a closed session is remembered, so that a replay is named as one (409) rather than unknown."""


class SigningService:
    """The signing rounds of one node, over its key store, session book, policy engine and audit log.

    The session book must live in the policy's spend history (one state database), so that each round's
    writes commit in one transaction. Methods are synchronous and thread-safe (the state database's
    transactions serialise writers, the key store and audit log their own writes); the HTTP layer runs them
    in worker threads, since they wait for the disk.
    """

    def __init__(
        self,
        *,
        node_id: int,
        keystore: KeyStore,
        sessions: SessionBook,
        policy: PolicyEngine,
        audit: AuditLog,
        nonce_ttl_seconds: int,
        clock: Callable[[], int],
        group_size: int,
        identity: NodeIdentity | None = None,
        witness: ChainWitness | None = None,
    ) -> None:
        """`group_size` is the number of nodes in the roster: every node that can hold a share of any
        generation of a key, the n of the rolling budgets (`custody.policy.budget`); `identity` signs the
        node's state statements; without one, none are made or checked; `witness` reads the chains bridge
        batches are checked against; without one, none is read."""
        if sessions.state is not policy.history:
            raise ValueError("the session book must live in the policy's spend history (one state database)")
        self.node_id = node_id
        self._keystore = keystore
        self._keys: dict[str, tuple[tuple[int, int, int, int], StoredKey]] = {}
        self._sessions = sessions
        self._state = policy.history
        self._policy = policy
        self._audit = audit
        self._ttl = nonce_ttl_seconds
        self._clock = clock
        self._group_size = group_size
        self.state_guard = StateGuard(policy.history, node_id, identity)
        self._batch_checks = BatchChecks(policy.config, policy.policy_hash, witness)

    # -- round one -----------------------------------------------------------------------------------

    def round1(self, request: Round1Request, actor: str) -> Round1Response:
        """Commit to fresh nonces for `request`'s session; see the module docstring for the checks."""
        parsed = parse_request(request.request_id, request.intent, request.approvals)
        digest = intent_digest(parsed, request.intent)
        key = self._load_key(request.key_id, request.key_version)
        subject = f"session:{request.session_id}"
        details = request_details(request, parsed, digest)
        try:  # a batch's root against its leaves or messages, and the chains (signing.batch_checks)
            details |= self._batch_checks.check(request, parsed.intent)
        except PolicyRefused as refusal:
            self._audit.append(
                actor=actor,
                action="sign.round1.refused",
                subject=subject,
                details={**details, "problem": refusal.problem, **refusal.extensions},
            )
            raise
        identifier = key.key_package.identifier
        try:
            self.state_guard.check(request.state)
        except StateRolledBack as error:
            self._audit.append(
                actor=actor,
                action="sign.round1.rolled-back",
                subject=subject,
                details=details | {"detail": error.detail},
            )
            raise
        nonces, commitments = round1_commit(key.key_package.signing_share)
        now = self._clock()
        with self._state.transaction():  # first seen, decision, session and nonce: one commit
            context = self._context(request, parsed, digest, key)
            decision = self._policy.evaluate(context)
            remaining = self._policy.remaining_budget(context) if decision.allowed else None
            if decision.allowed:
                bound = {
                    "key_id": request.key_id,
                    "key_version": request.key_version,
                    "request_id": request.request_id,
                    "digest": digest.hex(),
                    "envelope": parsed.envelope,
                    "identifier": identifier,
                }
                sealed = seal_nonce_record(self._keystore, request.session_id, nonces, bound, now)
                if not self._sessions.open(
                    request.session_id, request.key_id, request.request_id, digest.hex(), now, sealed
                ):
                    raise SessionExists(f"session {request.session_id!r} was opened before on this node")
        # Round one's records need not be on disk before the answer: nothing secret leaves the node, and
        # round two's durable record, which must precede any share, syncs the log up to it.
        if not decision.allowed:
            self._audit.append(
                actor=actor,
                action="sign.round1.refused",
                subject=subject,
                details={**details, "decision": decision_details(decision)},
                durable=False,
            )
            raise PolicyRefused(decision.reasons, decision.policy_hash)
        self._audit.append(
            actor=actor,
            action="sign.round1",
            subject=subject,
            details={**details, "identifier": identifier, "policy_hash": decision.policy_hash},
            durable=False,
        )
        return Round1Response(
            identifier=identifier,
            hiding=commitments.hiding.to_bytes().hex(),
            binding=commitments.binding.to_bytes().hex(),
            budget_remaining=None if remaining is None else str(remaining),
        )

    # -- round two -----------------------------------------------------------------------------------

    def round2(self, request: Round2Request, actor: str) -> Round2Response:
        """Consume the session's nonce, check everything, and return this node's signature share."""
        parsed = parse_request(request.request_id, request.intent, request.approvals)
        session_id = request.session_id
        subject = f"session:{session_id}"
        session = self._sessions.get(session_id)
        if session is None:
            self._audit.append(actor=actor, action="sign.round2.unknown", subject=subject)
            raise UnknownSession(f"this node has no signing session {session_id!r}")
        if session.state is not SessionState.OPEN:
            self._audit.append(
                actor=actor,
                action="sign.round2.replay",
                subject=subject,
                details={"state": str(session.state)},
            )
            raise SessionUsed(f"session {session_id!r} is {session.state}: it cannot sign again")
        refusal: NodeError | None = None
        try:
            with self._state.transaction():  # nonce out, spend recorded, session closed: one commit
                sealed = self._sessions.take_nonce(session_id, SessionState.REFUSED, self._clock())
                if sealed is None:
                    refusal = SessionUsed(f"session {session_id!r} has no nonce left: it cannot sign")
                else:
                    try:
                        response, details = self._sign_with(sealed, request, parsed)
                    except NodeError as error:
                        refusal = error
                    else:
                        self._sessions.set_state(session_id, SessionState.SIGNED)
        except BaseException:
            # The transaction rolled back and nothing was released; end the session all the same, so that
            # its nonce can never sign (a restart would drop it too).
            self._sessions.close_session(session_id, SessionState.REFUSED, self._clock())
            raise
        # Committed: the nonce is gone from disk and the session closed, whatever follows.
        if refusal is not None:
            if not isinstance(refusal, SessionUsed):
                self._audit.append(
                    actor=actor,
                    action="sign.round2.refused",
                    subject=subject,
                    details={"problem": refusal.problem, "detail": refusal.detail},
                )
            raise refusal
        self._audit.append(actor=actor, action="sign.round2", subject=subject, details=details)
        return response

    def _sign_with(
        self, sealed: bytes, request: Round2Request, parsed: ParsedRequest
    ) -> tuple[Round2Response, dict[str, Any]]:
        record = open_nonce_record(self._keystore, sealed, request.session_id)
        # The same envelope as at round one has the digest computed then; anything else is digested anew.
        same = record["envelope"] == parsed.envelope
        digest = bytes.fromhex(record["digest"]) if same else intent_digest(parsed, request.intent)
        bound = (record["key_id"], record.get("key_version"), record["request_id"], record["digest"])
        if bound != (request.key_id, request.key_version, request.request_id, digest.hex()):
            raise IntentMismatch(
                f"session {request.session_id!r} was opened for another key (version), request or intent; "
                "its nonce is now deleted"
            )
        age = self._clock() - record["created_at"]
        if age > self._ttl:
            raise SessionExpired(
                f"session {request.session_id!r} is {age} s old, beyond the {self._ttl} s limit"
            )
        key = self._load_key(request.key_id, request.key_version)
        identifier = key.key_package.identifier
        if record["identifier"] != identifier:
            raise SessionConflict(f"session {request.session_id!r} was opened under another share of the key")
        nonces = record_nonces(record)
        package = self._signing_package(request, digest, key, nonces.commitments)
        context = self._context(request, parsed, digest, key)
        decision = self._policy.authorize(context)
        if not decision.allowed:
            raise PolicyRefused(decision.reasons, decision.policy_hash)
        remaining = self._policy.remaining_budget(context)
        statement = self.state_guard.advance()  # in the transaction that records the spend
        share = round2_sign(package, nonces, key.key_package)
        details = {
            **request_details(request, parsed, digest),
            "identifier": identifier,
            "signers": package.participants,
            "approvals": [approval.operator for approval in parsed.approvals],
            "decision": decision_details(decision),
        }
        response = Round2Response(
            identifier=identifier,
            share=share.to_bytes().hex(),
            budget_remaining=None if remaining is None else str(remaining),
            state=statement,
        )
        return response, details

    def _signing_package(
        self, request: Round2Request, digest: bytes, key: StoredKey, own: SigningCommitments
    ) -> SigningPackage:
        """The package this node signs: the listed commitments and the digest it computed itself."""
        try:
            commitments = {identifier: wire.decode() for identifier, wire in request.commitments.items()}
        except EncodingError as error:
            raise MalformedRequest(f"a commitment is not a valid curve point: {error}") from None
        identifier = key.key_package.identifier
        if commitments.get(identifier) != own:
            raise CommitmentMismatch(
                f"the signer set does not list node {identifier}'s round-one commitment as it made it"
            )
        strangers = sorted(set(commitments) - set(key.holders))
        if strangers:
            raise MalformedRequest(f"signers {strangers} hold no share of key {request.key_id!r}")
        if len(commitments) < key.key_package.min_signers:
            raise MalformedRequest(
                f"{len(commitments)} signers are fewer than key {request.key_id!r}'s threshold "
                f"{key.key_package.min_signers}"
            )
        return SigningPackage(commitments, digest)

    # -- housekeeping --------------------------------------------------------------------------------

    def abandon_all(self, actor: str) -> list[str]:
        """Drop every stored nonce and close every open session: what a freshly started process does.

        A previous process may have died between any two steps of a session; none of its sessions is
        resumed, so none of its nonces can be used, and the coordinator starts over with a new session.
        Nonce records an older version kept in the key store are deleted too.
        """
        legacy = [name[len(NONCE_PREFIX) :] for name in self._keystore.list(NONCE_PREFIX)]
        for session_id in legacy:
            self._keystore.delete(nonce_name(session_id), missing_ok=True)
        abandoned = self._sessions.close_all_open(SessionState.ABANDONED, self._clock())
        closed = sorted(set(legacy) | set(abandoned))
        if closed:
            self._audit.append(
                actor=actor, action="sign.abandoned", subject="restart", details={"sessions": closed}
            )
        return closed

    def expire_stale(self, actor: str) -> list[str]:
        """Drop the nonces of sessions older than the time to live, close them, forget old closed ones."""
        now = self._clock()
        with self._state.transaction():
            expired = self._sessions.close_all_open(SessionState.EXPIRED, now, opened_before=now - self._ttl)
            self._sessions.forget_closed(now - CLOSED_SESSION_RETENTION_SECONDS)
        if expired:
            self._audit.append(
                actor=actor, action="sign.expired", subject="sweep", details={"sessions": expired}
            )
        return expired

    # -- helpers -------------------------------------------------------------------------------------

    def _load_key(self, key_id: str, key_version: str) -> StoredKey:
        """This node's share of `key_id` of generation `key_version`: the active share, or the one a refresh
        prepared (`custody.node.records.shares.generation`); UnknownKey or KeyVersionMismatch otherwise.

        Each record is decrypted and parsed once per version of it (parsing re-checks both key packages with
        curve operations); its stamp is checked on every call, so a refresh or repair is seen at once."""
        with refusals():
            return generation(self._keystore, key_id, key_version, read=self._cached)

    def _cached(self, name: str) -> StoredKey | None:
        """The share in record `name`, parsed once per version of the record (None when absent)."""
        stamp = self._keystore.stamp(name)
        if stamp is None:
            return None
        cached = self._keys.get(name)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        stored = find_record(self._keystore, name)
        if stored is not None:
            self._keys[name] = (stamp, stored)
        return stored

    def _context(
        self, request: Round1Request | Round2Request, parsed: ParsedRequest, digest: bytes, key: StoredKey
    ) -> SignContext:
        try:
            first_seen = self._policy.first_seen(parsed.request_id, digest)
        except RequestConflict as error:
            raise RequestIdConflict(str(error)) from None
        return SignContext(
            key_id=request.key_id,
            request_id=parsed.request_id,
            intent=parsed.intent,
            chain_id=request.intent.chain_id,
            verifying_contract=request.intent.verifying_contract,
            digest=digest,
            approvals=parsed.approvals,
            first_seen=first_seen,
            threshold=key.key_package.min_signers,
            # Not the holders of the generation this request names: a refresh among fewer nodes (prepared
            # or committed) would raise their budgets while the others' spends still count in the window.
            holders=max(self._group_size, len(key.holders)),
        )
