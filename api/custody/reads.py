"""Custody reads: keys, sign requests and the audit log, one item or a page (`api.pagination`).

Who reads what:

- Keys are public material (group public keys): any `custody:read` key reads and lists them.
- A sign request is read only by the API key that created it, or by a key with `custody:admin`,
  `custody:audit` or `custody:approve` (`READ_EVERY_REQUEST`); lists show a caller only the requests it may
  read. Anyone else gets the same 404 as for an id that does not exist, not a 403: a request id is 32
  random bytes, and a different answer for "exists, not yours" would tell a caller which ids are in use.
- The audit log has its own scope (`custody:audit`, checked by the route), and pages through
  `custody.audit.index`: a page costs reading that page, however long the log has grown.

A read never writes. A key made outside this API (e.g. by `tpw-custody` on the devnet) is unknown here until
an admin imports it (`api.custody.service.import_key`, a POST): reading an unknown key is a plain 404.
Database and file work runs in worker threads, like the rest of custody.
"""

from datetime import datetime
from typing import Final

from anyio import to_thread
from sqlalchemy.orm import Session

from api.auth import ApiClient, Scope
from api.custody import store
from api.custody.errors import CustodyKeyNotFound, SignRequestNotFound
from api.custody.runtime import CustodyRuntime
from api.custody.schemas import AuditRecordOut, KeyOut, SignRequestOut, SignRequestStatus
from api.custody.views import key_view, sign_request_view
from api.pagination import Listing, Page, key_part

READ_EVERY_REQUEST: Final[frozenset[Scope]] = frozenset({"custody:admin", "custody:audit", "custody:approve"})
"""Scopes that read every sign request, not only the caller's own: an operator approves requests other keys
made, so it reads them (and the pending queue) before it signs its approval."""

KEYS: Final = Listing("custody-keys", (str,))
SIGN_REQUESTS: Final = Listing("custody-sign-requests", (datetime, str))
AUDIT: Final = Listing("custody-audit", (int,))


def reads_every_request(client: ApiClient) -> bool:
    """Whether `client` may read sign requests it did not create."""
    return not client.scopes.isdisjoint(READ_EVERY_REQUEST)


# -- keys -----------------------------------------------------------------------------------------------


async def read_key(session: Session, key_id: str) -> KeyOut:
    """A key this API made or imported; 404 (naming the import route) if none."""
    row = await to_thread.run_sync(lambda: store.find_key(session, key_id))
    if row is None:
        raise CustodyKeyNotFound(
            f"no custody key {key_id!r} is known to this API; a key made outside it is imported with "
            f"POST /v1/custody/keys/{key_id}/import (custody:admin)"
        )
    return key_view(row)


async def list_keys(session: Session, cursor: str | None, limit: int) -> Page[KeyOut]:
    """Keys this API made or imported, by id."""
    after = KEYS.decode(cursor)
    rows = await to_thread.run_sync(
        lambda: store.list_keys(
            session, after=None if after is None else key_part(after, 0, str), limit=limit + 1
        )
    )
    return KEYS.page([key_view(row) for row in rows], limit, lambda key: (key.key_id,), cursor=cursor)


# -- sign requests --------------------------------------------------------------------------------------


async def read_sign_request(session: Session, client: ApiClient, request_id: str) -> SignRequestOut:
    """A sign request `client` may read (its own, or any with READ_EVERY_REQUEST); 404 otherwise."""
    row = await to_thread.run_sync(lambda: store.load_request(session, request_id))
    if row.created_by != client.key_id and not reads_every_request(client):
        raise SignRequestNotFound(f"no sign request {request_id}")  # the same answer as for no such id
    return sign_request_view(row)


async def list_sign_requests(
    session: Session, client: ApiClient, status: SignRequestStatus | None, cursor: str | None, limit: int
) -> Page[SignRequestOut]:
    """The sign requests `client` may read, oldest first, in `status` when given."""
    filters = {"status": status}
    after = SIGN_REQUESTS.decode(cursor, filters)
    rows = await to_thread.run_sync(
        lambda: store.list_requests(
            session,
            status=status,
            created_by=None if reads_every_request(client) else client.key_id,
            after=None if after is None else (key_part(after, 0, datetime), key_part(after, 1, str)),
            limit=limit + 1,
        )
    )
    return SIGN_REQUESTS.page(
        [sign_request_view(row) for row in rows],
        limit,
        lambda request: (request.created_at, request.id),
        cursor=cursor,
        filters=filters,
    )


# -- audit ----------------------------------------------------------------------------------------------


def _audit_page(runtime: CustodyRuntime, cursor: str | None, limit: int) -> Page[AuditRecordOut]:
    after = AUDIT.decode(cursor)
    after_seq = 0 if after is None else key_part(after, 0, int)
    records = runtime.audit_index.read(after_seq, limit + 1)
    out = [AuditRecordOut.model_validate(record, from_attributes=True) for record in records]
    return AUDIT.page(out, limit, lambda record: (record.seq,), cursor=cursor)


async def audit_page(runtime: CustodyRuntime, cursor: str | None, limit: int) -> Page[AuditRecordOut]:
    """Up to `limit` audit records after the cursor's, oldest first."""
    return await to_thread.run_sync(lambda: _audit_page(runtime, cursor, limit))
