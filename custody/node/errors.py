"""What a signer node refuses, as exceptions that each carry their HTTP status and problem type, and how the
node's problem documents differ from the API's (`NODE_PROBLEMS`).

Rooted in `custody.errors.CustodyError`, so the custody package keeps one hierarchy, and in
`custody.problems.ProblemError`, which maps them, in one place, to RFC 9457 problem documents; the
coordinator's client reads the problem type back. Messages name sessions, keys and reasons, never secret
material.
"""

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Final

from custody.errors import CustodyError
from custody.problems import ProblemError, ProblemProfile


class NodeError(CustodyError, ProblemError):
    """A request the node refuses; the class names the problem, `detail` says what exactly was wrong.

    Problem types are ``urn:tpwallet:custody:`` and the class's `problem`, e.g.
    ``urn:tpwallet:custody:session-used``."""

    type_prefix = "urn:tpwallet:custody:"
    status = HTTPStatus.INTERNAL_SERVER_ERROR
    problem = "node-error"
    title = "Signer node error"
    unexpected_detail = "the node failed to handle the request; see its log"


class MalformedRequest(NodeError):
    """A body that is not a well-formed request: bad JSON, a field of the wrong shape, an intent that does
    not decode, a signer set the key cannot use."""

    status = HTTPStatus.BAD_REQUEST
    problem = "malformed-request"
    title = "Malformed request"


class PeerNotAllowed(NodeError):
    """The client certificate is valid for the group but not for this route (e.g. a node's, not the
    coordinator's)."""

    status = HTTPStatus.FORBIDDEN
    problem = "peer-not-allowed"
    title = "Client not allowed"


class PolicyRefused(NodeError):
    """The node's policy refuses the intent; `reasons` says which rules failed."""

    status = HTTPStatus.FORBIDDEN
    problem = "policy-refused"
    title = "Refused by policy"

    def __init__(self, reasons: Sequence[str], policy_hash: str) -> None:
        super().__init__(
            "the node's policy refuses this intent: " + "; ".join(reasons),
            reasons=list(reasons),
            policy_hash=policy_hash,
        )
        self.reasons = list(reasons)


class UnknownKey(NodeError):
    """The node holds no share of this key id."""

    status = HTTPStatus.NOT_FOUND
    problem = "unknown-key"
    title = "Unknown key"


class UnknownSession(NodeError):
    """Round two for a session this node never opened."""

    status = HTTPStatus.NOT_FOUND
    problem = "unknown-session"
    title = "Unknown session"


class SessionConflict(NodeError):
    """A request that contradicts the session's state; the session cannot complete."""

    status = HTTPStatus.CONFLICT
    problem = "session-conflict"
    title = "Session conflict"


class SessionExists(SessionConflict):
    """Round one for a session id already used: a session id names one session, once."""

    problem = "session-exists"
    title = "Session already exists"


class SessionUsed(SessionConflict):
    """Round two for a session that is closed (signed, refused, expired or abandoned): a replay."""

    problem = "session-used"
    title = "Session already used"


class IntentMismatch(SessionConflict):
    """Round two names another key, request or intent than the one round one bound the nonce to."""

    problem = "intent-mismatch"
    title = "Intent differs from round one"


class CommitmentMismatch(SessionConflict):
    """The signer set's commitments list this node's commitment differently from what it made."""

    problem = "commitment-mismatch"
    title = "Commitment differs from round one"


class SessionExpired(SessionConflict):
    """Round two arrived after the nonce's time to live."""

    problem = "session-expired"
    title = "Session expired"


NODE_PROBLEMS: Final = ProblemProfile(
    root=NodeError,
    validation=MalformedRequest,
    fields_with_location=True,
    json_body_problems=False,
    error_log=logging.getLogger("custody.node"),
)
"""The node's problem documents: a body that does not validate (JSON or not) is a 400 `malformed-request`
listing the bad fields with their location (``body.intent.chain_id``), never their values; an unknown route
or method keeps its HTTP status. Anything else is a bug or a broken node and answers a bare 500: its message
may name files or records, so it goes to the node's log only."""
