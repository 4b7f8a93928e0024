"""Custody operations behind the routes: make and refresh group keys, take sign requests and approvals, try
to sign, and read the audit log.

The API authorises nothing itself. It persists what callers ask, forwards it with every approval stored to
the signer nodes through the coordinator it hosts, and reports what the nodes decided
(`api.services.custody_outcomes`). A sign request is stored before the first attempt, so even a node that
is down leaves a `pending` request to retry, and its id (32 random bytes, drawn here) is the `requestId`
operators approve. Approvals are checked only for what the API can know: that the signature is the named
operator's over this request. Whether that operator counts is each node's policy's call.

Every state change is committed, then appended to the API's hash-chained audit log (actor: the API key).
Refusals (`ApiError`) are raised before anything is stored, so a failed request can be retried with the
same idempotency key. Database and audit-file work runs in worker threads: the event loop only waits on
the nodes.
"""

import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from itertools import islice
from typing import Any, Final, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.auth import ApiClient
from api.errors import ApiError, NotFound
from api.models import CustodyApproval, CustodyKey, CustodySignRequest
from api.services import custody_outcomes
from api.services.custody_runtime import CustodyRuntime
from api.services.custody_schemas import (
    ApprovalCreate,
    ApprovalOut,
    AuditPage,
    AuditRecordOut,
    GroupKeyOut,
    KeyCeremonyOut,
    KeyCreate,
    KeyOut,
    KeyRefresh,
    SignatureOut,
    SignRequestCreate,
    SignRequestOut,
)
from api.settings import ApiSettings
from custody.coordinator.ceremony import KeyCeremonyFailed, KeyCeremonyIncomplete, KeyInfo
from custody.coordinator.signing import SigningFailed
from custody.frost import PublicKeyPackage, Signature
from custody.frost.group import scalar_to_bytes
from custody.node.schemas import IntentEnvelope
from custody.policy.approvals import OperatorApproval, approval_message, recover_signer
from custody.policy.errors import InvalidApproval

MAX_APPROVALS: Final = 64
"""The most approvals the nodes take with one request (`custody.node.schemas.Round1Request`)."""

_T = TypeVar("_T")


class CustodyKeyNotFound(NotFound):
    """No custody key of this id was made through this API."""

    problem = "custody-key-not-found"
    title = "Custody key not found"


class SignRequestNotFound(NotFound):
    """No sign request has this id."""

    problem = "sign-request-not-found"
    title = "Sign request not found"


class CustodyConflict(ApiError):
    """The request contradicts the current state: a key id taken, a request already signed, an operator
    who already approved."""

    status = HTTPStatus.CONFLICT
    problem = "custody-conflict"
    title = "Conflict with the custody state"


class CustodyValidationError(ApiError):
    """A well-formed body the custody group cannot take (a node not in the roster, a threshold above n, an
    approval signed by someone else); shaped like FastAPI's validation problems, `errors` naming the field."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY
    problem = "validation-error"
    title = "Invalid request"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"invalid value for: {field}", errors=[{"field": field, "message": message}])
        self.reason = message


class KeyCeremonyError(ApiError):
    """The nodes could not complete a DKG or refresh; `nodes` says what each did, nothing was stored."""

    status = HTTPStatus.BAD_GATEWAY
    problem = "key-ceremony-failed"
    title = "Key ceremony failed"


def _now() -> datetime:
    return datetime.now(UTC)


def _hex(data: bytes) -> str:
    return "0x" + data.hex()


async def _in_thread(work: Callable[..., _T], *args: Any) -> _T:
    return await run_in_threadpool(work, *args)


# -- views ----------------------------------------------------------------------------------------------


def key_view(row: CustodyKey) -> KeyOut:
    """The public view of a stored key."""
    package = PublicKeyPackage.from_bytes(row.public_key_package)
    x, y = package.group_public_key.coordinates()
    assert package.min_signers is not None  # every package a ceremony makes has its threshold
    return KeyOut(
        key_id=row.key_id,
        group_public_key=GroupKeyOut(
            compressed=_hex(package.group_public_key.to_bytes()),
            x=_hex(scalar_to_bytes(x)),
            y=_hex(scalar_to_bytes(y)),
        ),
        threshold=package.min_signers,
        participants=list(package.verifying_shares),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def signature_view(serialized: str) -> SignatureOut:
    """A stored 65-byte signature, in every form callers use."""
    signature = Signature.from_bytes(bytes.fromhex(serialized[2:]))
    rx, ry, z = signature.onchain()
    return SignatureOut(
        R=_hex(signature.R.to_bytes()),
        z=_hex(scalar_to_bytes(z)),
        rx=_hex(scalar_to_bytes(rx)),
        ry=_hex(scalar_to_bytes(ry)),
        serialized=serialized,
    )


def sign_request_view(row: CustodySignRequest) -> SignRequestOut:
    """The view of a stored sign request."""
    return SignRequestOut(
        id=row.id,
        key_id=row.key_id,
        status=row.status,  # type: ignore[arg-type]  # only ever written from SignRequestStatus
        intent=IntentEnvelope.model_validate(row.intent),
        digest=row.digest,
        reasons=row.reasons,
        nodes=row.nodes,  # NodeFailure.to_json() per node, validated into NodeOutcome
        approvals=[
            ApprovalOut(
                operator=approval.operator,
                signature=approval.signature,
                submitted_by=approval.submitted_by,
                created_at=approval.created_at,
            )
            for approval in row.approvals
        ],
        signature=signature_view(row.signature) if row.signature is not None else None,
        attempts=row.attempts,
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


# -- database steps (run in worker threads) ---------------------------------------------------------------


def _load_key(session: Session, key_id: str) -> CustodyKey:
    row = session.get(CustodyKey, key_id, populate_existing=True)
    if row is None:
        raise CustodyKeyNotFound(f"no custody key {key_id!r} was made through this API")
    return row


def _load_request(session: Session, request_id: str) -> CustodySignRequest:
    session.expire_all()  # an attempt elsewhere may have changed it, or added approvals
    row = session.get(CustodySignRequest, request_id)
    if row is None:
        raise SignRequestNotFound(f"no sign request {request_id}")
    return row


def _require_unused_key_id(session: Session, key_id: str | None) -> None:
    if key_id is not None and session.get(CustodyKey, key_id) is not None:
        raise CustodyConflict(f"a custody key {key_id!r} exists already")


def _store_key(session: Session, info: KeyInfo, client: ApiClient) -> CustodyKey:
    now = _now()
    row = CustodyKey(
        key_id=info.key_id,
        public_key_package=info.public_key_package.to_bytes(),
        created_by=client.key_id,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.commit()
    return row


def _store_refreshed_key(session: Session, info: KeyInfo) -> CustodyKey:
    row = _load_key(session, info.key_id)
    row.public_key_package = info.public_key_package.to_bytes()
    row.updated_at = _now()
    session.commit()
    return row


def _store_request(
    session: Session, request_id: str, body: SignRequestCreate, digest: bytes, client: ApiClient
) -> CustodySignRequest:
    now = _now()
    row = CustodySignRequest(
        id=request_id,
        key_id=body.key_id,
        intent=body.intent.model_dump(mode="json"),
        digest=_hex(digest),
        status="pending",
        reasons=[],
        nodes={},
        attempts=0,
        signature=None,
        created_by=client.key_id,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.commit()
    return row


def _store_approval(session: Session, request_id: str, approval: OperatorApproval, client: ApiClient) -> None:
    row = _load_request(session, request_id)
    if row.status == "signed":
        raise CustodyConflict(f"sign request {request_id} is signed already")
    if len(row.approvals) >= MAX_APPROVALS:
        raise CustodyConflict(f"sign request {request_id} has the most approvals a request can carry")
    if any(stored.operator == approval.operator for stored in row.approvals):
        raise CustodyConflict(f"operator {approval.operator} approved sign request {request_id} already")
    _require_operators_signature(row, approval)
    session.add(
        CustodyApproval(
            request_id=request_id,
            operator=approval.operator,
            signature=_hex(approval.signature),
            submitted_by=client.key_id,
            created_at=_now(),
        )
    )
    try:
        session.commit()
    except IntegrityError:  # the same operator's approval, stored concurrently
        session.rollback()
        raise CustodyConflict(
            f"operator {approval.operator} approved sign request {request_id} already"
        ) from None


def _require_operators_signature(row: CustodySignRequest, approval: OperatorApproval) -> None:
    """The signature must be `approval.operator`'s over SignApproval(digest, request id) in the domain."""
    envelope = IntentEnvelope.model_validate(row.intent)
    message = approval_message(
        bytes.fromhex(row.digest[2:]),
        bytes.fromhex(row.id[2:]),
        envelope.chain_id,
        envelope.verifying_contract,
    )
    try:
        signer = recover_signer(approval, message)
    except InvalidApproval as error:
        raise CustodyValidationError("signature", str(error)) from None
    if signer != approval.operator:
        raise CustodyValidationError(
            "signature",
            f"not {approval.operator}'s approval of this request: it recovers to {signer} (signed for "
            "another request, intent, chain or contract, or by another account)",
        )


def _store_outcome(
    session: Session, request_id: str, outcome: custody_outcomes.SigningOutcome
) -> CustodySignRequest:
    row = _load_request(session, request_id)
    row.status = outcome.status
    row.reasons = outcome.reasons
    row.nodes = outcome.nodes
    row.attempts += 1
    if outcome.signature is not None:
        row.signature = _hex(outcome.signature.to_bytes())
    row.updated_at = _now()
    session.commit()
    return row


def _require_unsigned(session: Session, request_id: str) -> None:
    if _load_request(session, request_id).status == "signed":
        raise CustodyConflict(f"sign request {request_id} is signed already")


# -- keys -----------------------------------------------------------------------------------------------


def _check_members(runtime: CustodyRuntime, participants: Sequence[int]) -> None:
    strangers = sorted(set(participants) - set(runtime.roster.node_ids))
    if strangers:
        raise CustodyValidationError("participants", f"nodes {strangers} are not in the roster")
    if len(set(participants)) != len(participants):
        raise CustodyValidationError("participants", "a node is listed twice")


async def _ceremony(run: Callable[[], Any]) -> tuple[KeyInfo, list[int]]:
    """Run a DKG or refresh: the key and the lagging nodes, or KeyCeremonyError."""
    try:
        info: KeyInfo = await run()
    except KeyCeremonyIncomplete as incomplete:
        return incomplete.info, incomplete.lagging
    except KeyCeremonyFailed as failure:
        raise KeyCeremonyError(
            f"the {failure.ceremony} of key {failure.key_id!r} failed; culprits {failure.culprits}",
            nodes={str(node): result.to_json() for node, result in sorted(failure.failures.items())},
            culprits=failure.culprits,
        ) from None
    return info, []


async def create_key(
    runtime: CustodyRuntime, session: Session, settings: ApiSettings, client: ApiClient, body: KeyCreate
) -> KeyCeremonyOut:
    """A DKG across the nodes; the new key's public view (the API stores its public key package)."""
    participants = body.participants if body.participants is not None else runtime.roster.node_ids
    threshold = body.threshold if body.threshold is not None else settings.custody_threshold
    _check_members(runtime, participants)
    if threshold > len(participants):
        raise CustodyValidationError(
            "threshold", f"{threshold} signers cannot come from {len(participants)} participants"
        )
    await _in_thread(_require_unused_key_id, session, body.key_id)
    info, lagging = await _ceremony(
        lambda: runtime.keys.create_key(threshold, participants, key_id=body.key_id)
    )
    row = await _in_thread(_store_key, session, info, client)
    view = key_view(row)
    await _audit(
        runtime,
        client,
        "custody-key.created",
        f"key:{info.key_id}",
        {**_key_details(view), "lagging_nodes": lagging},
    )
    return KeyCeremonyOut(**view.model_dump(), lagging_nodes=lagging)


async def refresh_key(
    runtime: CustodyRuntime, session: Session, client: ApiClient, key_id: str, body: KeyRefresh
) -> KeyCeremonyOut:
    """New shares of the same group key among `body.participants` (default: the current holders)."""
    row = await _in_thread(_load_key, session, key_id)
    package = PublicKeyPackage.from_bytes(row.public_key_package)
    assert package.min_signers is not None
    if body.participants is not None:
        _check_members(runtime, body.participants)
        if len(body.participants) < package.min_signers:
            raise CustodyValidationError(
                "participants", f"key {key_id!r} needs at least {package.min_signers} holders"
            )
    runtime.public_keys[key_id] = package
    info, lagging = await _ceremony(lambda: runtime.keys.refresh(key_id, body.participants))
    row = await _in_thread(_store_refreshed_key, session, info)
    view = key_view(row)
    await _audit(
        runtime,
        client,
        "custody-key.refreshed",
        f"key:{key_id}",
        {**_key_details(view), "lagging_nodes": lagging},
    )
    return KeyCeremonyOut(**view.model_dump(), lagging_nodes=lagging)


async def read_key(session: Session, key_id: str) -> KeyOut:
    """A key made through this API; 404 otherwise."""
    return key_view(await _in_thread(_load_key, session, key_id))


def _key_details(view: KeyOut) -> dict[str, Any]:
    return {
        "group_public_key": view.group_public_key.compressed,
        "threshold": view.threshold,
        "participants": view.participants,
    }


# -- sign requests --------------------------------------------------------------------------------------


async def create_sign_request(
    runtime: CustodyRuntime, session: Session, client: ApiClient, body: SignRequestCreate
) -> SignRequestOut:
    """Store the request, then try to sign it at once (the nodes start any time lock from this attempt)."""
    await _in_thread(_load_key, session, body.key_id)
    _, digest = body.intent.decode()
    request_id = _hex(secrets.token_bytes(32))
    await _in_thread(_store_request, session, request_id, body, digest, client)
    await _audit(
        runtime,
        client,
        "sign-request.created",
        request_id,
        {
            "key_id": body.key_id,
            "intent_type": body.intent.primary_type,
            "chain_id": body.intent.chain_id,
            "verifying_contract": body.intent.verifying_contract,
            "digest": _hex(digest),
        },
    )
    return await _attempt(runtime, session, client, request_id)


async def read_sign_request(session: Session, request_id: str) -> SignRequestOut:
    """A sign request's status, reasons, approvals and signature."""
    return sign_request_view(await _in_thread(_load_request, session, request_id))


async def add_approval(
    runtime: CustodyRuntime, session: Session, client: ApiClient, request_id: str, body: ApprovalCreate
) -> SignRequestOut:
    """Store an operator's approval of the request, then try to sign with every approval stored."""
    approval = body.approval()
    try:
        await _in_thread(_store_approval, session, request_id, approval, client)
    except CustodyValidationError as rejected:  # a forged or misdirected approval: worth a record
        await _audit(
            runtime,
            client,
            "sign-request.approval-rejected",
            request_id,
            {"operator": approval.operator, "signature": _hex(approval.signature), "reason": rejected.reason},
        )
        raise
    await _audit(
        runtime,
        client,
        "sign-request.approval-added",
        request_id,
        {"operator": approval.operator, "signature": _hex(approval.signature)},
    )
    return await _attempt(runtime, session, client, request_id)


async def retry_sign_request(
    runtime: CustodyRuntime, session: Session, client: ApiClient, request_id: str
) -> SignRequestOut:
    """Another signing attempt (after a time lock, or once nodes are back); 409 if signed already."""
    await _in_thread(_require_unsigned, session, request_id)
    return await _attempt(runtime, session, client, request_id)


async def _attempt(
    runtime: CustodyRuntime, session: Session, client: ApiClient, request_id: str
) -> SignRequestOut:
    """One signing attempt with every approval stored, recorded whatever the nodes answer."""
    async with runtime.attempt_lock(request_id):
        row = await _in_thread(_load_request, session, request_id)
        if row.status == "signed":  # an attempt that held the lock before this one signed it
            return sign_request_view(row)
        key = await _in_thread(_load_key, session, row.key_id)
        package = PublicKeyPackage.from_bytes(key.public_key_package)
        runtime.public_keys[row.key_id] = package
        approvals = [
            OperatorApproval.from_json({"operator": stored.operator, "signature": stored.signature})
            for stored in row.approvals
        ]
        try:
            signature = await runtime.signing.sign(
                row.key_id, request_id, IntentEnvelope.model_validate(row.intent), approvals
            )
        except SigningFailed as failure:
            outcome = custody_outcomes.failed(failure, len(package.verifying_shares))
        else:
            outcome = custody_outcomes.signed(signature)
        row = await _in_thread(_store_outcome, session, request_id, outcome)
    details: dict[str, Any] = {"attempt": row.attempts, "reasons": outcome.reasons, "nodes": outcome.nodes}
    if row.signature is not None:
        details["signature"] = row.signature
    await _audit(runtime, client, f"sign-request.{outcome.status}", request_id, details)
    return sign_request_view(row)


# -- audit ----------------------------------------------------------------------------------------------


async def _audit(
    runtime: CustodyRuntime, client: ApiClient, action: str, subject: str, details: dict[str, Any]
) -> None:
    await _in_thread(
        lambda: runtime.audit.append(actor=client.actor, action=action, subject=subject, details=details)
    )


def _audit_page(runtime: CustodyRuntime, after_seq: int, limit: int) -> AuditPage:
    later = (record for record in runtime.audit.records() if record.seq > after_seq)
    records = [
        AuditRecordOut(
            seq=record.seq,
            time=record.time,
            actor=record.actor,
            action=record.action,
            subject=record.subject,
            details=record.details,
            prev_hash=record.prev_hash,
            hash=record.hash,
        )
        for record in islice(later, limit)
    ]
    return AuditPage(records=records, next_after_seq=records[-1].seq if records else after_seq)


async def audit_page(runtime: CustodyRuntime, after_seq: int, limit: int) -> AuditPage:
    """Up to `limit` audit records with seq > `after_seq`, oldest first."""
    return await _in_thread(_audit_page, runtime, after_seq, limit)
