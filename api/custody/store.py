"""The custody tables, read and written in short transactions: keys, sign requests, approvals, outcomes.

Plain synchronous functions over a `Session`, which the services run in worker threads, one transaction each
(`transaction`). Each commits what it
changed before it returns, or raises a refusal (`api.custody.errors`) having changed nothing; a
request is re-read fresh each time, since an attempt or an approval in another request may have changed it.
A writer's `before_commit` hook runs in its transaction just before the commit, with the row written: the
idempotency layer records its recovery point or response there, atomically with the write
(`api.idempotency.progress.Progress`).
"""

from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from anyio import to_thread
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.auth import ApiClient
from api.custody.errors import (
    CustodyConflict,
    CustodyKeyNotFound,
    CustodyValidationError,
    SignRequestNotFound,
)
from api.custody.outcomes import SigningOutcome
from api.custody.schemas import SignRequestCreate
from api.models import CustodyApproval, CustodyKey, CustodySignRequest
from custody.coordinator.ceremony import KeyInfo
from custody.policy.approvals import OperatorApproval, approval_message, recover_signer
from custody.policy.errors import InvalidApproval
from custody.protocol.signing import IntentEnvelope

_Row = TypeVar("_Row")
_T = TypeVar("_T")
Hook = Callable[[_Row], None] | None
"""A writer's `before_commit`: called with the row written, inside the transaction, before the commit."""

MAX_APPROVALS = 64
"""The most approvals the nodes take with one request (`custody.protocol.signing.Round1Request`)."""


def _in_transaction(work: Callable[..., _T], session: Session, *args: Any) -> _T:
    try:
        result = work(session, *args)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return result


async def transaction(work: Callable[..., _T], session: Session, *args: Any) -> _T:
    """`work(session, *args)` in a worker thread, its transaction ended before it returns (committed, or
    rolled back if it raised), so the session holds no connection once the thread is done."""
    return await to_thread.run_sync(_in_transaction, work, session, *args)


def _now() -> datetime:
    return datetime.now(UTC)


def prefixed_hex(data: bytes) -> str:
    """`data` as 0x-prefixed lowercase hex, the spelling of every id, digest and signature stored."""
    return "0x" + data.hex()


def find_key(session: Session, key_id: str) -> CustodyKey | None:
    """The stored key `key_id`, or None."""
    return session.get(CustodyKey, key_id, populate_existing=True)


def load_key(session: Session, key_id: str) -> CustodyKey:
    """The stored key `key_id`; CustodyKeyNotFound if there is none."""
    row = find_key(session, key_id)
    if row is None:
        raise CustodyKeyNotFound(f"no custody key {key_id!r} is known to this API")
    return row


def load_request(session: Session, request_id: str) -> CustodySignRequest:
    """The sign request as stored now, with its approvals; SignRequestNotFound if there is none."""
    session.expire_all()  # an attempt elsewhere may have changed it, or added approvals
    row = session.get(CustodySignRequest, request_id)
    if row is None:
        raise SignRequestNotFound(f"no sign request {request_id}")
    return row


def list_keys(session: Session, *, after: str | None, limit: int) -> Sequence[CustodyKey]:
    """Up to `limit` stored keys whose id sorts after `after` (None: from the first), by id."""
    query = select(CustodyKey).order_by(CustodyKey.key_id).limit(limit)
    if after is not None:
        query = query.where(CustodyKey.key_id > after)
    return session.scalars(query).all()


def list_requests(
    session: Session,
    *,
    status: str | None,
    created_by: str | None,
    after: tuple[datetime, str] | None,
    limit: int,
) -> Sequence[CustodySignRequest]:
    """Up to `limit` sign requests after the (created_at, id) key `after`, oldest first; only those in
    `status` and made by the API key `created_by`, when given. The order's key never changes once a request
    exists, so requests stored while a client pages through never shift its pages (`api.pagination`)."""
    session.expire_all()  # attempts elsewhere change statuses and approvals
    query = (
        select(CustodySignRequest).order_by(CustodySignRequest.created_at, CustodySignRequest.id).limit(limit)
    )
    if status is not None:
        query = query.where(CustodySignRequest.status == status)
    if created_by is not None:
        query = query.where(CustodySignRequest.created_by == created_by)
    if after is not None:
        created_at, request_id = after
        query = query.where(
            or_(
                CustodySignRequest.created_at > created_at,
                and_(CustodySignRequest.created_at == created_at, CustodySignRequest.id > request_id),
            )
        )
    return session.scalars(query).all()


def require_unused_key_id(session: Session, key_id: str | None) -> None:
    """CustodyConflict if a key named `key_id` is stored (None: a random id will be drawn)."""
    if key_id is not None and session.get(CustodyKey, key_id) is not None:
        raise CustodyConflict(f"a custody key {key_id!r} exists already")


def _commit(session: Session, row: _Row, before_commit: "Hook[_Row]") -> _Row:
    if before_commit is not None:
        before_commit(row)
    session.commit()
    return row


def add_key(
    session: Session, info: KeyInfo, client: ApiClient, before_commit: "Hook[CustodyKey]" = None
) -> CustodyKey:
    """Store a new key's public key package, made or registered by `client`."""
    now = _now()
    row = CustodyKey(
        key_id=info.key_id,
        public_key_package=info.public_key_package.to_bytes(),
        created_by=client.key_id,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    return _commit(session, row, before_commit)


def register_key(session: Session, info: KeyInfo, client: ApiClient) -> tuple[CustodyKey, bool]:
    """Store a key the nodes stated; the stored row and whether this call stored it (a concurrent
    registration of the same key may have come first)."""
    try:
        return add_key(session, info, client), True
    except IntegrityError:
        session.rollback()
        return load_key(session, info.key_id), False


def update_key(session: Session, info: KeyInfo, before_commit: "Hook[CustodyKey]" = None) -> CustodyKey:
    """Store a refreshed key's new public key package (same group key, new verifying shares)."""
    row = load_key(session, info.key_id)
    row.public_key_package = info.public_key_package.to_bytes()
    row.updated_at = _now()
    return _commit(session, row, before_commit)


def add_request(
    session: Session,
    request_id: str,
    body: SignRequestCreate,
    digest: bytes,
    client: ApiClient,
    before_commit: "Hook[CustodySignRequest]" = None,
) -> CustodySignRequest:
    """Store a new, not yet attempted sign request."""
    now = _now()
    row = CustodySignRequest(
        id=request_id,
        key_id=body.key_id,
        intent=body.intent.model_dump(mode="json"),
        digest=prefixed_hex(digest),
        status="pending",
        reasons=[],
        nodes={},
        anchor_leaves=None if body.anchor_leaves is None else body.anchor_leaves.model_dump(mode="json"),
        bridge_messages=None
        if body.bridge_messages is None
        else body.bridge_messages.model_dump(mode="json"),
        attempts=0,
        signature=None,
        created_by=client.key_id,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    return _commit(session, row, before_commit)


def add_approval(
    session: Session,
    request_id: str,
    approval: OperatorApproval,
    client: ApiClient,
    operators: Collection[str],
    before_commit: "Hook[CustodySignRequest]" = None,
) -> None:
    """Store `approval` of an unsigned request: once per operator, at most MAX_APPROVALS, and only if it
    names one of `operators` (the addresses the nodes' policy names: anyone else's approval could only fill
    the cap) and its signature is that operator's over this request (CustodyValidationError otherwise)."""
    row = load_request(session, request_id)
    if row.status == "signed":
        raise CustodyConflict(f"sign request {request_id} is signed already")
    if approval.operator not in operators:
        raise CustodyValidationError(
            "operator", f"{approval.operator} is not one of the custody group's operators"
        )
    if len(row.approvals) >= MAX_APPROVALS:
        raise CustodyConflict(f"sign request {request_id} has the most approvals a request can carry")
    if any(stored.operator == approval.operator for stored in row.approvals):
        raise CustodyConflict(f"operator {approval.operator} approved sign request {request_id} already")
    _require_operators_signature(row, approval)
    session.add(
        CustodyApproval(
            request_id=request_id,
            operator=approval.operator,
            signature=prefixed_hex(approval.signature),
            submitted_by=client.key_id,
            created_at=_now(),
        )
    )
    try:
        _commit(session, row, before_commit)
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


def record_outcome(
    session: Session,
    request_id: str,
    outcome: SigningOutcome,
    before_commit: "Hook[CustodySignRequest]" = None,
) -> CustodySignRequest:
    """Store what an attempt came to: status, reasons, what each node did, the signature if any."""
    row = load_request(session, request_id)
    row.status = outcome.status
    row.reasons = outcome.reasons
    row.nodes = outcome.nodes
    row.attempts += 1
    if outcome.signature is not None:
        row.signature = prefixed_hex(outcome.signature.to_bytes())
    row.updated_at = _now()
    return _commit(session, row, before_commit)


def require_unsigned(session: Session, request_id: str) -> None:
    """CustodyConflict if the request is signed already (SignRequestNotFound if there is none)."""
    if load_request(session, request_id).status == "signed":
        raise CustodyConflict(f"sign request {request_id} is signed already")
