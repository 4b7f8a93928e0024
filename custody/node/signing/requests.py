"""A signing request as the node reads it: the intent decoded strictly, its digest computed by the node
itself, the approvals parsed, and what of it goes into the audit log.

Anything that does not decode is a `MalformedRequest`: the node never signs what it cannot read.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chain.intents import Intent, IntentError
from custody.policy.approvals import OperatorApproval
from custody.policy.context import request_id_from_hex
from custody.policy.engine import Decision
from custody.policy.errors import InvalidApproval
from custody.protocol.errors import MalformedRequest
from custody.protocol.signing import IntentEnvelope, Round1Request, Round2Request


@dataclass(frozen=True)
class ParsedRequest:
    """A request's decoded intent, its envelope's fingerprint, the request id as bytes, the approvals."""

    intent: Intent
    envelope: str
    request_id: bytes
    approvals: tuple[OperatorApproval, ...]


def parse_request(
    request_id: str, envelope: IntentEnvelope, approvals: Sequence[dict[str, Any]]
) -> ParsedRequest:
    """The request's intent and approvals, decoded; MalformedRequest if either does not decode."""
    try:
        intent = envelope.intent()
    except IntentError as error:
        raise MalformedRequest(f"the intent does not decode: {error}") from None
    try:
        parsed = tuple(OperatorApproval.from_json(approval) for approval in approvals)
    except InvalidApproval as error:
        raise MalformedRequest(f"an approval is malformed: {error}") from None
    return ParsedRequest(intent, envelope.fingerprint(), request_id_from_hex(request_id), parsed)


def intent_digest(parsed: ParsedRequest, envelope: IntentEnvelope) -> bytes:
    """The intent's EIP-712 digest in the envelope's domain (what this node signs)."""
    try:
        return parsed.intent.digest(envelope.chain_id, envelope.verifying_contract)
    except IntentError as error:
        raise MalformedRequest(f"the intent's domain is invalid: {error}") from None


def decision_details(decision: Decision) -> dict[str, Any]:
    """The policy's decision, for the audit log."""
    return {
        "allowed": decision.allowed,
        "reasons": list(decision.reasons),
        "policy_hash": decision.policy_hash,
    }


def request_details(
    request: Round1Request | Round2Request, parsed: ParsedRequest, digest: bytes
) -> dict[str, Any]:
    """What the audit log records of a signing request: key, request, intent type, domain and digest."""
    return {
        "key_id": request.key_id,
        "request_id": request.request_id,
        "intent_type": parsed.intent.PRIMARY_TYPE,
        "chain_id": request.intent.chain_id,
        "verifying_contract": request.intent.verifying_contract,
        "digest": "0x" + digest.hex(),
    }
