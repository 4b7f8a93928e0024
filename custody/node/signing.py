"""A signer node's two signing rounds, without HTTP: commit to nonces, then release one signature share.

Round one (`SigningService.round1`) decodes the intent and computes its digest itself, records when the
node first saw the request (time locks count from there), asks the policy (failing fast), opens the session,
draws hedged nonces and stores them sealed as ``nonce/<session_id>`` together with the key id, request id
and digest they are bound to, durably, before answering with the commitments.

Round two (`SigningService.round2`) takes the same intent again and every signer's commitments. It consumes
the nonce record first: the removal is on disk before anything else happens, so whatever follows (a refusal,
a crash, an answer) the nonce can never be used again, and any later round two for the session is a replay.
Only then does it check that the intent, key and request are those the nonce was bound to (the intent is
decoded again; its digest is recomputed unless the envelope is byte for byte the one of round one, whose
digest the record holds) and that its own commitment is listed as it made it, lets the policy decide and
record the spend in one transaction, and computes the share. A nonce therefore signs at most one signing
package, which is what keeps the key's share secret: two shares under one nonce and different packages
would reveal it.

Sessions are short: a nonce not used within the time to live is deleted by `expire_stale`, and a restart
abandons every session a previous process opened (`abandon_all`), so after ``kill -9`` at any point a nonce
is either still sealed and never used, or consumed and gone. Every step goes to the node's audit log, with
the coordinator's certificate name as the actor.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from chain.intents import Intent, IntentError
from custody.audit import AuditLog
from custody.errors import RecordExists, RecordNotFound
from custody.frost import (
    EncodingError,
    Point,
    SigningCommitments,
    SigningNonces,
    SigningPackage,
    round1_commit,
    round2_sign,
)
from custody.keystore import KeyStore
from custody.node.errors import (
    CommitmentMismatch,
    IntentMismatch,
    MalformedRequest,
    NodeError,
    PolicyRefused,
    SessionConflict,
    SessionExists,
    SessionExpired,
    SessionUsed,
    UnknownSession,
)
from custody.node.keys_shares import StoredKey, load_key, share_record
from custody.node.schemas import (
    IntentEnvelope,
    Round1Request,
    Round1Response,
    Round2Request,
    Round2Response,
)
from custody.node.sessions import DuplicateSession, SessionBook, SessionState
from custody.policy.approvals import OperatorApproval
from custody.policy.engine import Decision, PolicyEngine, SignContext, request_id_from_hex
from custody.policy.errors import InvalidApproval, RequestConflict

NONCE_PREFIX: Final = "nonce/"
NONCE_RECORD_VERSION: Final = 1
CLOSED_SESSION_RETENTION_SECONDS: Final = 7 * 24 * 60 * 60
"""How long a closed session is remembered, so that a replay is named as one (409) rather than unknown."""


class RequestIdConflict(SessionConflict):
    """The request id was first seen with another intent: one request id names one intent, forever."""

    problem = "request-conflict"
    title = "Request id bound to another intent"


@dataclass(frozen=True)
class _Parsed:
    """A request's decoded intent, its envelope's fingerprint, the request id as bytes, the approvals."""

    intent: Intent
    envelope: str
    request_id: bytes
    approvals: tuple[OperatorApproval, ...]


def _parse(request_id: str, envelope: IntentEnvelope, approvals: Sequence[dict[str, Any]]) -> _Parsed:
    try:
        intent = envelope.intent()
    except IntentError as error:
        raise MalformedRequest(f"the intent does not decode: {error}") from None
    try:
        parsed = tuple(OperatorApproval.from_json(approval) for approval in approvals)
    except InvalidApproval as error:
        raise MalformedRequest(f"an approval is malformed: {error}") from None
    return _Parsed(intent, envelope.fingerprint(), request_id_from_hex(request_id), parsed)


def _digest(parsed: _Parsed, envelope: IntentEnvelope) -> bytes:
    """The intent's EIP-712 digest in the envelope's domain (what this node signs)."""
    try:
        return parsed.intent.digest(envelope.chain_id, envelope.verifying_contract)
    except IntentError as error:
        raise MalformedRequest(f"the intent's domain is invalid: {error}") from None


def _nonce_record(session_id: str) -> str:
    return NONCE_PREFIX + session_id


def _decision_details(decision: Decision) -> dict[str, Any]:
    return {
        "allowed": decision.allowed,
        "reasons": list(decision.reasons),
        "policy_hash": decision.policy_hash,
    }


class SigningService:
    """The signing rounds of one node, over its key store, session book, policy engine and audit log.

    Methods are synchronous and thread-safe (the key store, session book and spend history each serialise
    their own writes); the HTTP layer runs them in worker threads.
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
    ) -> None:
        self.node_id = node_id
        self._keystore = keystore
        self._keys: dict[str, tuple[bytes, StoredKey]] = {}
        self._sessions = sessions
        self._policy = policy
        self._audit = audit
        self._ttl = nonce_ttl_seconds
        self._clock = clock

    # -- round one -----------------------------------------------------------------------------------

    def round1(self, request: Round1Request, actor: str) -> Round1Response:
        """Commit to fresh nonces for `request`'s session; see the module docstring for the checks."""
        parsed = _parse(request.request_id, request.intent, request.approvals)
        digest = _digest(parsed, request.intent)
        key = self._load_key(request.key_id)
        decision = self._policy.evaluate(self._context(request, parsed, digest))
        subject = f"session:{request.session_id}"
        details = _request_details(request, parsed, digest)
        if not decision.allowed:
            self._audit.append(
                actor=actor,
                action="sign.round1.refused",
                subject=subject,
                details={**details, "decision": _decision_details(decision)},
            )
            raise PolicyRefused(decision.reasons, decision.policy_hash)

        now = self._clock()
        try:
            self._sessions.open(request.session_id, request.key_id, request.request_id, digest.hex(), now)
        except DuplicateSession:
            raise SessionExists(f"session {request.session_id!r} was opened before on this node") from None
        nonces, commitments = round1_commit(key.key_package.signing_share)
        try:
            self._keystore.put_json(
                _nonce_record(request.session_id),
                {
                    "version": NONCE_RECORD_VERSION,
                    "key_id": request.key_id,
                    "request_id": request.request_id,
                    "digest": digest.hex(),
                    "envelope": parsed.envelope,
                    "identifier": key.key_package.identifier,
                    "hiding": nonces.hiding.to_bytes(32, "big").hex(),
                    "binding": nonces.binding.to_bytes(32, "big").hex(),
                    "created_at": now,
                },
                replace=False,
            )
        except RecordExists:
            raise SessionExists(f"session {request.session_id!r} already holds a nonce") from None
        self._audit.append(
            actor=actor,
            action="sign.round1",
            subject=subject,
            details={
                **details,
                "identifier": key.key_package.identifier,
                "policy_hash": decision.policy_hash,
            },
        )
        return Round1Response(
            identifier=key.key_package.identifier,
            hiding=commitments.hiding.to_bytes().hex(),
            binding=commitments.binding.to_bytes().hex(),
        )

    # -- round two -----------------------------------------------------------------------------------

    def round2(self, request: Round2Request, actor: str) -> Round2Response:
        """Consume the session's nonce, check everything, and return this node's signature share."""
        parsed = _parse(request.request_id, request.intent, request.approvals)
        subject = f"session:{request.session_id}"
        session = self._sessions.get(request.session_id)
        if session is None:
            self._audit.append(actor=actor, action="sign.round2.unknown", subject=subject)
            raise UnknownSession(f"this node has no signing session {request.session_id!r}")
        if session.state is not SessionState.OPEN:
            self._audit.append(
                actor=actor,
                action="sign.round2.replay",
                subject=subject,
                details={"state": str(session.state)},
            )
            raise SessionUsed(f"session {request.session_id!r} is {session.state}: it cannot sign again")
        try:
            record = self._keystore.consume(_nonce_record(request.session_id))
        except RecordNotFound:
            self._sessions.close_session(request.session_id, SessionState.ABANDONED, self._clock())
            raise SessionUsed(f"session {request.session_id!r} has no nonce left: it cannot sign") from None
        # The nonce is gone from disk: from here on the session ends whatever happens.
        try:
            response, details = self._sign_with(record, request, parsed)
        except BaseException as failure:
            self._sessions.close_session(request.session_id, SessionState.REFUSED, self._clock())
            if isinstance(failure, NodeError):
                self._audit.append(
                    actor=actor,
                    action="sign.round2.refused",
                    subject=subject,
                    details={"problem": failure.problem, "detail": failure.detail},
                )
            raise
        self._sessions.close_session(request.session_id, SessionState.SIGNED, self._clock())
        self._audit.append(actor=actor, action="sign.round2", subject=subject, details=details)
        return response

    def _sign_with(
        self, raw_record: bytes, request: Round2Request, parsed: _Parsed
    ) -> tuple[Round2Response, dict[str, Any]]:
        record = _parse_nonce_record(raw_record, request.session_id)
        # The same envelope as at round one has the digest computed then; anything else is digested anew.
        same = record["envelope"] == parsed.envelope
        digest = bytes.fromhex(record["digest"]) if same else _digest(parsed, request.intent)
        bound = (record["key_id"], record["request_id"], record["digest"])
        if bound != (request.key_id, request.request_id, digest.hex()):
            raise IntentMismatch(
                f"session {request.session_id!r} was opened for another key, request or intent; its nonce is "
                "now deleted"
            )
        age = self._clock() - record["created_at"]
        if age > self._ttl:
            raise SessionExpired(
                f"session {request.session_id!r} is {age} s old, beyond the {self._ttl} s limit"
            )
        key = self._load_key(request.key_id)
        identifier = key.key_package.identifier
        if record["identifier"] != identifier:
            raise SessionConflict(f"session {request.session_id!r} was opened under another share of the key")
        nonces = _nonces(record)
        package = self._signing_package(request, digest, key, nonces.commitments)
        decision = self._policy.authorize(self._context(request, parsed, digest))
        if not decision.allowed:
            raise PolicyRefused(decision.reasons, decision.policy_hash)
        share = round2_sign(package, nonces, key.key_package)
        details = {
            **_request_details(request, parsed, digest),
            "identifier": identifier,
            "signers": package.participants,
            "approvals": [approval.operator for approval in parsed.approvals],
            "decision": _decision_details(decision),
        }
        return Round2Response(identifier=identifier, share=share.to_bytes().hex()), details

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
        """Delete every stored nonce and close every open session: what a freshly started process does.

        A previous process may have died between any two steps of a session; none of its sessions is
        resumed, so none of its nonces can be used, and the coordinator starts over with a new session.
        """
        now = self._clock()
        abandoned = [name[len(NONCE_PREFIX) :] for name in self._keystore.list(NONCE_PREFIX)]
        for session_id in abandoned:
            self._keystore.delete(_nonce_record(session_id), missing_ok=True)
        open_sessions = self._sessions.open_sessions()
        for session_id in open_sessions:
            self._sessions.close_session(session_id, SessionState.ABANDONED, now)
        closed = sorted(set(abandoned) | set(open_sessions))
        if closed:
            self._audit.append(
                actor=actor, action="sign.abandoned", subject="restart", details={"sessions": closed}
            )
        return closed

    def expire_stale(self, actor: str) -> list[str]:
        """Delete the nonces of sessions older than the time to live, close them, forget old closed ones."""
        now = self._clock()
        expired = []
        for session_id in self._sessions.open_sessions(opened_before=now - self._ttl):
            self._keystore.delete(_nonce_record(session_id), missing_ok=True)
            if self._sessions.close_session(session_id, SessionState.EXPIRED, now):
                expired.append(session_id)
        if expired:
            self._audit.append(
                actor=actor, action="sign.expired", subject="sweep", details={"sessions": expired}
            )
        self._sessions.forget_closed(now - CLOSED_SESSION_RETENTION_SECONDS)
        return expired

    # -- helpers -------------------------------------------------------------------------------------

    def _load_key(self, key_id: str) -> StoredKey:
        """This node's share of `key_id`, read and authenticated on every call, parsed once per version of
        its record (parsing re-checks both key packages with curve operations; a refresh or repair that
        rewrites the record is seen at the next call)."""
        try:
            raw = self._keystore.get(share_record(key_id))
        except RecordNotFound:
            return load_key(self._keystore, key_id)  # UnknownKey, unless a ceremony wrote it just now
        cached = self._keys.get(key_id)
        if cached is None or cached[0] != raw:
            cached = self._keys[key_id] = (raw, StoredKey.from_json(json.loads(raw)))
        return cached[1]

    def _context(self, request: Round1Request | Round2Request, parsed: _Parsed, digest: bytes) -> SignContext:
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
        )


def _request_details(
    request: Round1Request | Round2Request, parsed: _Parsed, digest: bytes
) -> dict[str, Any]:
    return {
        "key_id": request.key_id,
        "request_id": request.request_id,
        "intent_type": parsed.intent.PRIMARY_TYPE,
        "chain_id": request.intent.chain_id,
        "verifying_contract": request.intent.verifying_contract,
        "digest": "0x" + digest.hex(),
    }


def _parse_nonce_record(raw: bytes, session_id: str) -> dict[str, Any]:
    try:
        record = json.loads(raw)
    except ValueError:
        record = None
    if not isinstance(record, dict) or record.get("version") != NONCE_RECORD_VERSION:
        raise SessionConflict(f"session {session_id!r}'s nonce record is unreadable; it is deleted")
    return record


def _nonces(record: dict[str, Any]) -> SigningNonces:
    hiding = int(record["hiding"], 16)
    binding = int(record["binding"], 16)
    return SigningNonces(hiding, binding, SigningCommitments(Point.base_mul(hiding), Point.base_mul(binding)))
