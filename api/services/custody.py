"""Custody operations behind the routes: make, refresh and import group keys, take sign requests and
approvals, and try to sign (reads are `api.services.custody_reads`).

The API authorises nothing itself. It persists what callers ask, forwards it with every approval stored to
the signer nodes through the coordinator it hosts, and reports what the nodes decided
(`api.services.custody_outcomes`). A sign request is stored before the first attempt, so even a node that
is down leaves a `pending` request to retry, and its id (32 random bytes, drawn here) is the `requestId`
operators approve. Approvals are checked only for what the API can know: that the signature is the named
operator's over this request. Whether that operator counts is each node's policy's call.

Every state change is committed, then appended to the API's hash-chained audit log (actor: the API key).
Refusals (`ApiError`) are raised before anything is stored, so a failed request can be retried with the
same idempotency key. Database and audit-file work runs in worker threads: the event loop only waits on
the nodes. Each database step is one transaction, ended before the thread returns, so no connection is
held while the nodes are asked.

POSTs run in atomic phases (Stripe's recovery points, `api.idempotency.Progress`): a phase's writes commit
with the key's recovery point, the last phase's with the response. A retry of a request that failed or
died after a phase resumes from it: a sign request is stored once, under the id drawn the first time, and
only its signing attempt is repeated (the nodes count a request id once); a DKG keeps the key id chosen
first, and a DKG the nodes finished is registered from their statements instead of being run again; a
refresh cut short is run again (same group key either way). The audit record of a phase is appended after
its commit, so a crash in between leaves that one record out; the nodes' own logs still hold every step.
"""

import asyncio
import secrets
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from api.auth import ApiClient
from api.idempotency import Progress
from api.models import CustodyKey, CustodySignRequest
from api.services import custody_outcomes
from api.services import custody_store as store
from api.services.custody_errors import (
    CustodyConflict,
    CustodyKeyNotFound,
    CustodyNodeNotFound,
    CustodyValidationError,
    KeyCeremonyError,
    KeyStatementsDisagree,
    SignRequestNotFound,
)
from api.services.custody_runtime import CustodyRuntime
from api.services.custody_schemas import (
    ApprovalCreate,
    ApprovalOut,
    GroupKeyOut,
    KeyCeremonyOut,
    KeyCreate,
    KeyOut,
    KeyRefresh,
    SignatureOut,
    SignRequestCreate,
    SignRequestOut,
    SuspectClearedOut,
)
from api.services.custody_store import prefixed_hex
from api.settings import ApiSettings
from custody.coordinator.ceremony import KeyInfo
from custody.coordinator.errors import (
    KeyCeremonyFailed,
    KeyCeremonyIncomplete,
    KeyDisagreement,
    NodeCallError,
    SigningFailed,
)
from custody.frost import PublicKeyPackage, Signature
from custody.frost.group import scalar_to_bytes
from custody.policy.approvals import OperatorApproval
from custody.protocol.anchor_leaves import AnchorLeaves
from custody.protocol.signing import HealthResponse, IntentEnvelope

_T = TypeVar("_T")

ATTEMPT_WAIT_SECONDS = 60.0
"""How long an attempt waits for another attempt of the same request (each is bounded by the node timeouts,
a few seconds a round), far inside the idempotency lease (`TPW_IDEMPOTENCY_LOCK_TIMEOUT_SECONDS`, 300)."""


async def _in_thread(work: Callable[..., _T], *args: Any) -> _T:
    return await run_in_threadpool(work, *args)


def _transaction(work: Callable[..., _T], session: Session, *args: Any) -> _T:
    """`work(session, *args)`, its transaction ended before returning (committed, or rolled back if it
    raised), so the session holds no connection once the thread is done."""
    try:
        result = work(session, *args)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


async def _db(work: Callable[..., _T], session: Session, *args: Any) -> _T:
    """`work(session, *args)` in one transaction, in a worker thread."""
    return await run_in_threadpool(_transaction, work, session, *args)


# -- views ----------------------------------------------------------------------------------------------


def key_view(row: CustodyKey) -> KeyOut:
    """The public view of a stored key."""
    package = PublicKeyPackage.from_bytes(row.public_key_package)
    x, y = package.group_public_key.coordinates()
    assert package.min_signers is not None  # every package a ceremony makes has its threshold
    return KeyOut(
        key_id=row.key_id,
        group_public_key=GroupKeyOut(
            compressed=prefixed_hex(package.group_public_key.to_bytes()),
            x=prefixed_hex(scalar_to_bytes(x)),
            y=prefixed_hex(scalar_to_bytes(y)),
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
        R=prefixed_hex(signature.R.to_bytes()),
        z=prefixed_hex(scalar_to_bytes(z)),
        rx=prefixed_hex(scalar_to_bytes(rx)),
        ry=prefixed_hex(scalar_to_bytes(ry)),
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


# -- keys -----------------------------------------------------------------------------------------------


async def _key_from_nodes(runtime: CustodyRuntime, key_id: str) -> KeyInfo:
    """The key as its holders state it (signed statements, checked against the roster); 404 when no node
    that answers holds a share of it, 502 when the holders disagree."""
    answers = await asyncio.gather(
        *(runtime.client.health(node) for node in runtime.roster), return_exceptions=True
    )
    for answer in answers:
        if isinstance(answer, BaseException) and not isinstance(answer, NodeCallError):
            raise answer
    if not any(isinstance(answer, HealthResponse) and key_id in answer.keys for answer in answers):
        raise CustodyKeyNotFound(
            f"no custody key {key_id!r}: this API has none, and no node that answered holds a share of it"
        )
    try:
        return await runtime.keys.fetch_key(key_id)
    except KeyDisagreement as error:
        raise KeyStatementsDisagree(str(error)) from None


async def _known_key(runtime: CustodyRuntime, session: Session, client: ApiClient, key_id: str) -> CustodyKey:
    """The stored key; a key made outside this API (e.g. by `tpw-custody` on the devnet) is registered on
    first use from its holders' signed statements, so the nodes stay the one source of truth."""
    stored = await _db(store.find_key, session, key_id)
    if stored is not None:
        return stored
    info = await _key_from_nodes(runtime, key_id)
    row, registered = await _db(store.register_key, session, info, client)
    if registered:
        await _audit(runtime, client, "custody-key.registered", f"key:{key_id}", _key_details(key_view(row)))
    return row


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


KEY_CHOSEN = "key-id-chosen"
"""Recovery point of a key creation: the key id is fixed (data `key_id`), the DKG may have begun."""


async def _dkg_or_its_result(
    runtime: CustodyRuntime, key_id: str, threshold: int, participants: list[int], resumed: bool
) -> tuple[KeyInfo, list[int]]:
    """Run the DKG of `key_id`; when resuming one that may have run, the key its holders state if any."""
    if resumed:
        try:
            return await _key_from_nodes(runtime, key_id), []
        except CustodyKeyNotFound:
            pass  # the nodes never finished it: run it (again) under the same id
    return await _ceremony(lambda: runtime.keys.create_key(threshold, participants, key_id=key_id))


async def create_key(
    runtime: CustodyRuntime,
    session: Session,
    settings: ApiSettings,
    client: ApiClient,
    body: KeyCreate,
    progress: Progress,
) -> KeyCeremonyOut:
    """A DKG across the nodes; the new key's public view (the API stores its public key package)."""
    participants = body.participants if body.participants is not None else runtime.roster.node_ids
    threshold = body.threshold if body.threshold is not None else settings.custody_threshold
    if progress.point == KEY_CHOSEN:
        key_id = str(progress.data["key_id"])
    else:
        _check_members(runtime, participants)
        if threshold > len(participants):
            raise CustodyValidationError(
                "threshold", f"{threshold} signers cannot come from {len(participants)} participants"
            )
        await _db(store.require_unused_key_id, session, body.key_id)
        key_id = body.key_id or f"key-{secrets.token_hex(8)}"
        await _in_thread(lambda: progress.save(KEY_CHOSEN, key_id=key_id))
    info, lagging = await _dkg_or_its_result(runtime, key_id, threshold, participants, progress.resumed)
    row = await _db(
        store.add_key,
        session,
        info,
        client,
        progress.finish(lambda stored: _ceremony_view(stored, lagging)),
    )
    view = key_view(row)
    await _audit(
        runtime,
        client,
        "custody-key.created",
        f"key:{info.key_id}",
        {**_key_details(view), "lagging_nodes": lagging},
    )
    return KeyCeremonyOut(**view.model_dump(), lagging_nodes=lagging)


def _ceremony_view(row: CustodyKey, lagging: list[int]) -> KeyCeremonyOut:
    return KeyCeremonyOut(**key_view(row).model_dump(), lagging_nodes=lagging)


async def refresh_key(
    runtime: CustodyRuntime,
    session: Session,
    client: ApiClient,
    key_id: str,
    body: KeyRefresh,
    progress: Progress,
) -> KeyCeremonyOut:
    """New shares of the same group key among `body.participants` (default: the current holders)."""
    row = await _known_key(runtime, session, client, key_id)
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
    row = await _db(
        store.update_key, session, info, progress.finish(lambda stored: _ceremony_view(stored, lagging))
    )
    view = key_view(row)
    await _audit(
        runtime,
        client,
        "custody-key.refreshed",
        f"key:{key_id}",
        {**_key_details(view), "lagging_nodes": lagging},
    )
    return KeyCeremonyOut(**view.model_dump(), lagging_nodes=lagging)


async def import_key(runtime: CustodyRuntime, session: Session, client: ApiClient, key_id: str) -> KeyOut:
    """Register a key made outside this API from its holders' signed statements; idempotent (a stored key
    is answered as stored, nothing asked of the nodes). The explicit admin POST that replaces registering
    on a read: a GET never writes (`api.services.custody_reads`)."""
    return key_view(await _known_key(runtime, session, client, key_id))


def _key_details(view: KeyOut) -> dict[str, Any]:
    return {
        "group_public_key": view.group_public_key.compressed,
        "threshold": view.threshold,
        "participants": view.participants,
    }


# -- sign requests --------------------------------------------------------------------------------------


REQUEST_STORED = "sign-request-stored"
"""Recovery point of a sign request: stored under data `request_id`; its attempt may have begun."""
APPROVAL_STORED = "approval-stored"
"""Recovery point of an approval: stored; the attempt with it may have begun."""


async def create_sign_request(
    runtime: CustodyRuntime, session: Session, client: ApiClient, body: SignRequestCreate, progress: Progress
) -> SignRequestOut:
    """Store the request, then try to sign it at once (the nodes start any time lock from this attempt)."""
    if progress.point == REQUEST_STORED:
        return await _attempt(runtime, session, client, str(progress.data["request_id"]), progress)
    if body.anchor_leaves is not None and body.intent.primary_type != "Anchor":
        raise CustodyValidationError("anchor_leaves", "anchor_leaves go only with an Anchor intent")
    await _known_key(runtime, session, client, body.key_id)
    _, digest = body.intent.decode()
    request_id = prefixed_hex(secrets.token_bytes(32))
    await _db(
        store.add_request,
        session,
        request_id,
        body,
        digest,
        client,
        progress.advance(REQUEST_STORED, request_id=request_id),
    )
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
            "digest": prefixed_hex(digest),
        },
    )
    return await _attempt(runtime, session, client, request_id, progress)


async def add_approval(
    runtime: CustodyRuntime,
    session: Session,
    client: ApiClient,
    request_id: str,
    body: ApprovalCreate,
    progress: Progress,
) -> SignRequestOut:
    """Store an operator's approval of the request, then try to sign with every approval stored."""
    if progress.point == APPROVAL_STORED:
        return await _attempt(runtime, session, client, request_id, progress)
    approval = body.approval()
    try:
        await _db(
            store.add_approval,
            session,
            request_id,
            approval,
            client,
            runtime.operators(),
            progress.advance(APPROVAL_STORED),
        )
    except CustodyValidationError as rejected:  # a forged or misdirected approval: worth a record
        await _audit(
            runtime,
            client,
            "sign-request.approval-rejected",
            request_id,
            {
                "operator": approval.operator,
                "signature": prefixed_hex(approval.signature),
                "reason": rejected.reason,
            },
        )
        raise
    await _audit(
        runtime,
        client,
        "sign-request.approval-added",
        request_id,
        {"operator": approval.operator, "signature": prefixed_hex(approval.signature)},
    )
    return await _attempt(runtime, session, client, request_id, progress)


async def retry_sign_request(
    runtime: CustodyRuntime, session: Session, client: ApiClient, request_id: str, progress: Progress
) -> SignRequestOut:
    """Another signing attempt (after a time lock, or once nodes are back); 409 if signed already. Only the
    key that made the request (or an admin key) drives it: anyone else gets the 404 an unknown id gets, as
    on reads (`custody_reads`), so a request id seen in an approval or a log opens nothing."""
    row = await _db(store.load_request, session, request_id)
    if row.created_by != client.key_id and "custody:admin" not in client.scopes:
        raise SignRequestNotFound(f"no sign request {request_id}")
    await _db(store.require_unsigned, session, request_id)
    return await _attempt(runtime, session, client, request_id, progress)


async def _attempt(
    runtime: CustodyRuntime, session: Session, client: ApiClient, request_id: str, progress: Progress
) -> SignRequestOut:
    """One signing attempt with every approval stored, recorded whatever the nodes answer. Waiting for
    another attempt of the same request is bounded (`ATTEMPT_WAIT_SECONDS`, well inside the idempotency
    lease), so queued attempts answer 409 rather than outlive their claim."""
    lock = runtime.attempt_lock(request_id)
    try:
        async with asyncio.timeout(ATTEMPT_WAIT_SECONDS):
            await lock.acquire()
    except TimeoutError:
        raise CustodyConflict(
            f"another signing attempt of sign request {request_id} is still running; retry later"
        ) from None
    try:
        row = await _db(store.load_request, session, request_id)
        if row.status == "signed":  # an attempt that held the lock before this one signed it
            return sign_request_view(row)
        key = await _db(store.load_key, session, row.key_id)
        package = PublicKeyPackage.from_bytes(key.public_key_package)
        runtime.public_keys[row.key_id] = package
        approvals = [
            OperatorApproval.from_json({"operator": stored.operator, "signature": stored.signature})
            for stored in row.approvals
        ]
        try:
            signature = await runtime.signing.sign(
                row.key_id,
                request_id,
                IntentEnvelope.model_validate(row.intent),
                approvals,
                anchor_leaves=None
                if row.anchor_leaves is None
                else AnchorLeaves.model_validate(row.anchor_leaves),
            )
        except SigningFailed as failure:
            outcome = custody_outcomes.failed(failure, len(package.verifying_shares))
        else:
            outcome = custody_outcomes.signed(signature)
        finally:
            await _in_thread(runtime.save_states)  # before anything else: a crash must not lose a newer one
        row = await _db(
            store.record_outcome, session, request_id, outcome, progress.finish(sign_request_view)
        )
    finally:
        lock.release()
    details: dict[str, Any] = {"attempt": row.attempts, "reasons": outcome.reasons, "nodes": outcome.nodes}
    if row.signature is not None:
        details["signature"] = row.signature
    await _audit(runtime, client, f"sign-request.{outcome.status}", request_id, details)
    return sign_request_view(row)


# -- nodes ----------------------------------------------------------------------------------------------


async def clear_suspect(runtime: CustodyRuntime, client: ApiClient, node_id: int) -> SuspectClearedOut:
    """Let the coordinator choose `node_id` again after it was held suspect (e.g. once its share is
    repaired, or it was blamed on a stale key); audited by the coordinator with the caller as actor."""
    if node_id not in runtime.roster.node_ids:
        raise CustodyNodeNotFound(f"no node {node_id} in the custody roster")
    was_suspect = await _in_thread(runtime.signing.clear_suspect, node_id, client.actor)
    return SuspectClearedOut(node_id=node_id, was_suspect=was_suspect)


# -- audit ----------------------------------------------------------------------------------------------


async def _audit(
    runtime: CustodyRuntime, client: ApiClient, action: str, subject: str, details: dict[str, Any]
) -> None:
    await _in_thread(
        lambda: runtime.audit.append(actor=client.actor, action=action, subject=subject, details=details)
    )
