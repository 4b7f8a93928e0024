"""`/v1/custody/...`: group keys, sign requests for typed intents, operator approvals, the audit log.

Thin routes over `api.custody.service` (writes) and `api.custody.reads` (reads, and lists in the API's one
pagination convention, `api.pagination`). Every route needs an API key with the scope it names
(`api.auth`); every POST needs an `Idempotency-Key` (`api.idempotency`); no GET writes anything. The API
never authorises a signature: the signer nodes check each intent and its approvals against their own
policies, and the sign request reports what they decided.
"""

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Annotated, Any, Final, TypeVar

from fastapi import APIRouter, FastAPI, Path, Query
from fastapi.responses import Response

from api.auth import KEY_RESPONSES
from api.custody import reads, schemas, service
from api.custody.runtime import CustodyRuntime
from api.deps import (
    AdminPost,
    ApproverPost,
    CustodyAdmin,
    CustodyAuditor,
    CustodyDep,
    KeyReader,
    RequestReader,
    SettingsDep,
    SignerPost,
)
from api.errors import problem_doc
from api.idempotency.route import RESPONSES, idempotent_posts
from api.pagination import DEFAULT_LIMIT, LIST_RESPONSES, CursorQuery, LimitQuery, Page
from api.settings import ApiSettings
from custody.protocol.ids import KEY_ID_PATTERN, REQUEST_ID_PATTERN

log = logging.getLogger("api.custody")
_Route = TypeVar("_Route", bound=Callable[..., Any])


@asynccontextmanager
async def custody_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the custody runtime (if configured) for the app's life; `app.state.custody` holds it."""
    settings: ApiSettings = app.state.settings
    runtime = CustodyRuntime.open(settings)
    if runtime is None:
        log.warning("custody is off: no roster", extra={"roster": str(settings.custody_roster_path)})
    else:
        log.info("custody ready", extra={"nodes": runtime.roster.node_ids})
    app.state.custody = runtime
    try:
        yield
    finally:
        app.state.custody = None
        if runtime is not None:
            await runtime.aclose()


router = APIRouter(prefix="/v1/custody", tags=["custody"], lifespan=custody_lifespan)

KeyIdPath = Annotated[str, Path(pattern=KEY_ID_PATTERN, description="The custody key's id.")]
RequestIdPath = Annotated[
    str,
    Path(
        pattern=REQUEST_ID_PATTERN,
        description="The sign request's id: 0x and 64 lowercase hex digits.",
    ),
]


AUTH_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    **KEY_RESPONSES,
    422: problem_doc("The request is invalid; `errors` names each bad field."),
    503: problem_doc("Custody is not configured on this server."),
}
POST_RESPONSES: Final = {**AUTH_RESPONSES, **RESPONSES}


def _get(path: str, summary: str, not_found: str | None = None) -> Callable[[_Route], _Route]:
    """A custody GET: a list when `not_found` is None (paged as every list is), else one item whose 404
    says `not_found`."""
    extra: dict[int | str, dict[str, Any]] = (
        LIST_RESPONSES if not_found is None else {404: problem_doc(not_found)}
    )
    return router.get(path, summary=summary, responses={**AUTH_RESPONSES, **extra})


_post = idempotent_posts(router, POST_RESPONSES)
"""A custody POST: an `Idempotency-Key` (read by `IdempotencyDep`), the problems every custody POST can
answer, then its own."""


@_post(
    "/keys",
    schemas.KeyCeremonyOut,
    "Create a group key (DKG across the signer nodes)",
    {
        409: problem_doc("The key id is taken, or the Idempotency-Key was used for another request."),
        502: problem_doc("The nodes could not complete the DKG; `nodes` says what each did."),
    },
    status_code=HTTPStatus.CREATED,
)
async def create_key(body: schemas.KeyCreate, post: AdminPost, settings: SettingsDep) -> Response:
    """Scope `custody:admin`. Every participant ends up with one share; no machine ever holds the key."""
    return await post.run(service.create_key, settings, body, body=body, status_code=HTTPStatus.CREATED)


@_post(
    "/keys/{key_id}/refresh",
    schemas.KeyCeremonyOut,
    "Refresh a group key's shares (same group key, new shares)",
    {
        404: problem_doc("Neither this API nor any node that answered knows this key."),
        502: problem_doc("The nodes could not complete the refresh, or disagree about the key."),
    },
)
async def refresh_key(key_id: KeyIdPath, body: schemas.KeyRefresh, post: AdminPost) -> Response:
    """Scope `custody:admin`. Old shares stop working once every participant holds its new one."""
    return await post.run(service.refresh_key, key_id, body, body=body)


@_get("/keys", "List the group keys this API made or imported")
async def list_keys(
    call: KeyReader, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> Page[schemas.KeyOut]:
    """Scope `custody:read`. By key id; a key made outside this API is listed once it is imported."""
    return await reads.list_keys(call.session, cursor, limit)


@_get(
    "/keys/{key_id}",
    "Read a group key",
    "This API has no key of this id (a key made elsewhere is imported first).",
)
async def read_key(key_id: KeyIdPath, call: KeyReader) -> schemas.KeyOut:
    """Scope `custody:read`. The group public key (compressed, and x/y for the contracts) and who holds it.
    A read never writes: a key made outside this API (e.g. by `tpw-custody`) is 404 until it is imported
    (`POST /v1/custody/keys/{key_id}/import`)."""
    return await reads.read_key(call.session, key_id)


@_post(
    "/keys/{key_id}/import",
    schemas.KeyOut,
    "Import a group key made outside this API, from its holders' signed statements",
    {
        404: problem_doc("No node that answered holds a share of this key."),
        502: problem_doc("The nodes holding the key state different public keys for it."),
    },
)
async def import_key(key_id: KeyIdPath, post: AdminPost) -> Response:
    """Scope `custody:admin`. Each holder states the key's public key package, signed with its identity
    key; the statements are checked against the roster and must agree. Idempotent: importing a key this
    API knows already answers it as stored."""
    return await post.run(service.import_key, key_id, body=None)


@_post(
    "/sign-requests",
    schemas.SignRequestOut,
    "Submit a sign request for a typed intent",
    {
        404: problem_doc("Neither this API nor any node that answered knows this key."),
    },
    status_code=HTTPStatus.CREATED,
)
async def create_sign_request(body: schemas.SignRequestCreate, post: SignerPost) -> Response:
    """Scope `custody:sign`. The request is stored, then signed at once if the nodes' policies allow it:
    the answer is `signed` (with the signature), `pending` (with the reasons: approvals needed, a time
    lock, nodes down) or `refused`."""
    return await post.run(service.create_sign_request, body, body=body, status_code=HTTPStatus.CREATED)


@_get("/sign-requests", "List sign requests, oldest first, by status")
async def list_sign_requests(
    call: RequestReader,
    status: Annotated[
        schemas.SignRequestStatus | None, Query(description="Only requests in this status.")
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[schemas.SignRequestOut]:
    """Scope `custody:read`: the caller's own requests; `custody:admin` or `custody:audit`: every request
    (`?status=pending` is the operators' queue). Oldest first, by creation time."""
    return await reads.list_sign_requests(call.session, call.client, status, cursor, limit)


@_get(
    "/sign-requests/{request_id}",
    "Read a sign request: status, reasons, approvals, signature",
    "No sign request with this id that this API key may read.",
)
async def read_sign_request(request_id: RequestIdPath, call: RequestReader) -> schemas.SignRequestOut:
    """Scope `custody:read` for a request this API key created; `custody:admin` or `custody:audit` for any.
    Another caller's request is a 404, exactly as an unknown id, so ids do not reveal that they exist."""
    return await reads.read_sign_request(call.session, call.client, request_id)


@_post(
    "/sign-requests/{request_id}/approvals",
    schemas.SignRequestOut,
    "Approve a sign request as an operator",
    {
        404: problem_doc("No sign request with this id."),
        409: problem_doc(
            "Signed already, this operator approved already, or the Idempotency-Key was used for another "
            "request."
        ),
        422: problem_doc(
            "Invalid body, or the signature is not the named operator's approval of this request."
        ),
    },
    status_code=HTTPStatus.CREATED,
)
async def add_approval(
    request_id: RequestIdPath, body: schemas.ApprovalCreate, post: ApproverPost
) -> Response:
    """Scope `custody:approve`. The operator signs `SignApproval(intentDigest, requestId)` in the intent's
    EIP-712 domain; the API stores it and tries to sign again with every approval. Whether the operator
    counts is the nodes' decision: one they do not know shows up in `reasons`."""
    return await post.run(service.add_approval, request_id, body, body=body, status_code=HTTPStatus.CREATED)


@_post(
    "/sign-requests/{request_id}/attempts",
    schemas.SignRequestOut,
    "Try to sign a pending request again",
    {
        404: problem_doc("No sign request with this id."),
        409: problem_doc("Signed already, or the Idempotency-Key was used for another request."),
    },
)
async def retry_sign_request(request_id: RequestIdPath, post: SignerPost) -> Response:
    """Scope `custody:sign`. For a request that waited out a time lock, or whose nodes are back."""
    return await post.run(service.retry_sign_request, request_id, body=None)


@router.delete(
    "/nodes/{node_id}/suspect",
    summary="Clear a signer node's suspect mark",
    responses={**AUTH_RESPONSES, 404: problem_doc("No node with this id in the custody roster.")},
)
async def clear_suspect(
    node_id: Annotated[int, Path(ge=1, le=0xFFFF, description="The signer node's roster id.")],
    client: CustodyAdmin,
    runtime: CustodyDep,
) -> schemas.SuspectClearedOut:
    """Scope `custody:admin`. A node whose signature share or answer failed is held suspect and never chosen
    to sign until an operator clears it here (after repairing its share, or finding it was blamed on a
    stale key). Idempotent: `was_suspect` says whether it was held suspect."""
    return await service.clear_suspect(runtime, client, node_id)


@_get("/audit", "Read the API's custody audit log")
async def read_audit(
    client: CustodyAuditor,
    runtime: CustodyDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> Page[schemas.AuditRecordOut]:
    """Scope `custody:audit`. Hash-chained records (`custody.audit`), oldest first: every custody call of
    this API and every step of the coordinator it hosts. Keep the last `next_cursor` to read on later."""
    return await reads.audit_page(runtime, cursor, limit)
