"""Custody operations behind the routes: make, refresh and import group keys, take sign requests and
approvals, and try to sign (reads are `api.custody.reads`).

The API authorises nothing itself. It persists what callers ask, forwards it with every approval stored to
the signer nodes through the coordinator it hosts (`api.custody.attempts`), and reports what the nodes
decided (`api.custody.outcomes`). A sign request is stored before the first attempt, so even a node that
is down leaves a `pending` request to retry, and its id (32 random bytes, drawn here) is the `requestId`
operators approve. Approvals are checked only for what the API can know: that the signature is the named
operator's over this request. Whether that operator counts is each node's policy's call.

Every state change is committed, then appended to the API's hash-chained audit log (actor: the API key).
Refusals (`ApiError`) are raised before anything is stored, so a failed request can be retried with the
same idempotency key. Database and audit-file work runs in worker threads: the event loop only waits on
the nodes. Each database step is one transaction, ended before the thread returns, so no connection is
held while the nodes are asked.

POSTs run in atomic phases (Stripe's recovery points, `api.idempotency.progress.Progress`): a phase's
writes commit with the key's recovery point, the last phase's with the response. A retry of a request that
failed or died after a phase resumes from it: a sign request is stored once, under the id drawn the first
time, and only its signing attempt is repeated (the nodes count a request id once); a DKG keeps the key id
chosen first, and a DKG the nodes finished is registered from their statements instead of being run
again; a refresh cut short is run again (same group key either way). The audit record of a phase is
appended after its commit, so a crash in between leaves that one record out; the nodes' own logs still
hold every step.
"""

import asyncio
import secrets
from collections.abc import Callable, Sequence
from typing import Any

from anyio import to_thread
from sqlalchemy.orm import Session

from api.auth import ApiClient
from api.custody import store
from api.custody.attempts import attempt
from api.custody.errors import (
    CustodyKeyNotFound,
    CustodyNodeNotFound,
    CustodyValidationError,
    KeyCeremonyError,
    KeyStatementsDisagree,
    SignRequestNotFound,
)
from api.custody.runtime import CustodyRuntime
from api.custody.schemas import (
    ApprovalCreate,
    KeyCeremonyOut,
    KeyCreate,
    KeyOut,
    KeyRefresh,
    SignRequestCreate,
    SignRequestOut,
    SuspectClearedOut,
)
from api.custody.store import prefixed_hex
from api.custody.views import key_view
from api.idempotency.progress import Progress
from api.models import CustodyKey
from api.settings import ApiSettings
from custody.coordinator.ceremony import KeyInfo
from custody.coordinator.errors import (
    KeyCeremonyFailed,
    KeyCeremonyIncomplete,
    KeyDisagreement,
    NodeCallError,
)
from custody.frost import PublicKeyPackage
from custody.protocol.signing import HealthResponse

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
    stored = await store.transaction(store.find_key, session, key_id)
    if stored is not None:
        return stored
    info = await _key_from_nodes(runtime, key_id)
    row, registered = await store.transaction(store.register_key, session, info, client)
    if registered:
        await runtime.record(
            client.actor, "custody-key.registered", f"key:{key_id}", _key_details(key_view(row))
        )
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
    client: ApiClient,
    settings: ApiSettings,
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
        await store.transaction(store.require_unused_key_id, session, body.key_id)
        key_id = body.key_id or f"key-{secrets.token_hex(8)}"
        await to_thread.run_sync(lambda: progress.save(KEY_CHOSEN, key_id=key_id))
    info, lagging = await _dkg_or_its_result(runtime, key_id, threshold, participants, progress.resumed)
    row = await store.transaction(
        store.add_key,
        session,
        info,
        client,
        progress.finish(lambda stored: _ceremony_view(stored, lagging)),
    )
    return await _ceremony_done(runtime, client, "custody-key.created", row, lagging)


def _ceremony_view(row: CustodyKey, lagging: list[int]) -> KeyCeremonyOut:
    return KeyCeremonyOut(**key_view(row).model_dump(), lagging_nodes=lagging)


async def _ceremony_done(
    runtime: CustodyRuntime, client: ApiClient, action: str, row: CustodyKey, lagging: list[int]
) -> KeyCeremonyOut:
    """The answer of a DKG or refresh whose key is stored, once its audit record is appended."""
    view = _ceremony_view(row, lagging)
    details = {**_key_details(view), "lagging_nodes": lagging}
    await runtime.record(client.actor, action, f"key:{view.key_id}", details)
    return view


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
    row = await store.transaction(
        store.update_key, session, info, progress.finish(lambda stored: _ceremony_view(stored, lagging))
    )
    return await _ceremony_done(runtime, client, "custody-key.refreshed", row, lagging)


async def import_key(
    runtime: CustodyRuntime, session: Session, client: ApiClient, key_id: str, _progress: Progress
) -> KeyOut:
    """Register a key made outside this API from its holders' signed statements; idempotent (a stored key
    is answered as stored, nothing asked of the nodes; one phase, so no recovery point). The explicit admin
    POST that replaces registering on a read: a GET never writes (`api.custody.reads`)."""
    return key_view(await _known_key(runtime, session, client, key_id))


def _key_details(view: KeyOut) -> dict[str, Any]:
    """What the audit log records of a key: its public key and who holds it."""
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
        return await attempt(runtime, session, client, str(progress.data["request_id"]), progress)
    if body.anchor_leaves is not None and body.intent.primary_type != "Anchor":
        raise CustodyValidationError("anchor_leaves", "anchor_leaves go only with an Anchor intent")
    if body.bridge_messages is not None and body.intent.primary_type != "BridgeBatch":
        raise CustodyValidationError("bridge_messages", "bridge_messages go only with a BridgeBatch intent")
    await _known_key(runtime, session, client, body.key_id)
    _, digest = body.intent.decode()
    request_id = prefixed_hex(secrets.token_bytes(32))
    await store.transaction(
        store.add_request,
        session,
        request_id,
        body,
        digest,
        client,
        progress.advance(REQUEST_STORED, request_id=request_id),
    )
    await runtime.record(
        client.actor,
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
    return await attempt(runtime, session, client, request_id, progress)


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
        return await attempt(runtime, session, client, request_id, progress)
    approval = body.approval()
    try:
        await store.transaction(
            store.add_approval,
            session,
            request_id,
            approval,
            client,
            runtime.operators(),
            progress.advance(APPROVAL_STORED),
        )
    except CustodyValidationError as rejected:  # a forged or misdirected approval: worth a record
        await runtime.record(
            client.actor,
            "sign-request.approval-rejected",
            request_id,
            {
                "operator": approval.operator,
                "signature": prefixed_hex(approval.signature),
                "reason": rejected.reason,
            },
        )
        raise
    await runtime.record(
        client.actor,
        "sign-request.approval-added",
        request_id,
        {"operator": approval.operator, "signature": prefixed_hex(approval.signature)},
    )
    return await attempt(runtime, session, client, request_id, progress)


async def retry_sign_request(
    runtime: CustodyRuntime, session: Session, client: ApiClient, request_id: str, progress: Progress
) -> SignRequestOut:
    """Another signing attempt (after a time lock, or once nodes are back); 409 if signed already. Only the
    key that made the request (or an admin key) drives it: anyone else gets the 404 an unknown id gets, as
    on reads (`api.custody.reads`), so a request id seen in an approval or a log opens nothing."""
    row = await store.transaction(store.load_request, session, request_id)
    if row.created_by != client.key_id and "custody:admin" not in client.scopes:
        raise SignRequestNotFound(f"no sign request {request_id}")
    await store.transaction(store.require_unsigned, session, request_id)
    return await attempt(runtime, session, client, request_id, progress)


# -- nodes ----------------------------------------------------------------------------------------------


async def clear_suspect(runtime: CustodyRuntime, client: ApiClient, node_id: int) -> SuspectClearedOut:
    """Let the coordinator choose `node_id` again after it was held suspect (e.g. once its share is
    repaired, or it was blamed on a stale key); audited by the coordinator with the caller as actor."""
    if node_id not in runtime.roster.node_ids:
        raise CustodyNodeNotFound(f"no node {node_id} in the custody roster")
    was_suspect = await to_thread.run_sync(runtime.signing.clear_suspect, node_id, client.actor)
    return SuspectClearedOut(node_id=node_id, was_suspect=was_suspect)
