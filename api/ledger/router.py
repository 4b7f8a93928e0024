"""`/v1/ledger/...`: the double-entry ledger's accounts, transfers (two-phase, linked) and account entries.

Thin routes over `api.ledger.service`. Reads need an API key with `ledger:read`, writes `ledger:write`;
every POST an `Idempotency-Key` (`api.idempotency`); no GET writes anything. Amounts and ids are decimal
strings (`api.ledger.schemas`); a ledger refusal is a problem document carrying the ledger's result code in
`code` (`api.ledger.errors`).
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Annotated, Any, Final

from fastapi import APIRouter, Body, FastAPI, Path
from fastapi.responses import Response

from api.auth import KEY_RESPONSES
from api.deps import IdempotencyDep, LedgerReader, LedgerWriter, SessionDep
from api.errors import problem_doc
from api.idempotency.route import RESPONSES, idempotent_post
from api.ledger import schemas, service
from api.ledger.expiry import expiring
from api.pagination import DEFAULT_LIMIT, LIST_RESPONSES, CursorQuery, LimitQuery


@asynccontextmanager
async def ledger_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Release expired pending transfers while the app serves (`api.ledger.expiry`)."""
    async with expiring(app.state.engine, app.state.settings.ledger_expiry_interval_seconds):
        yield


router = APIRouter(prefix="/v1/ledger", tags=["ledger"], lifespan=ledger_lifespan)

IdPath = Annotated[
    schemas.LedgerId, Path(description="The id, as a decimal string (63 bits: beyond a JSON number).")
]
AUTH_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    **KEY_RESPONSES,
    422: problem_doc("The request is invalid; `errors` names each bad field, `code` the ledger's reason."),
}
ACCOUNT_MISSING: Final[dict[int | str, dict[str, Any]]] = {
    404: problem_doc("No ledger account with this id (`code` account_not_found).")
}
CONFLICT: Final = problem_doc(
    "The ledger's journal says otherwise (`code`: exists_with_different_*, pending_transfer_already_posted, "
    "..._voided, ..._expired, ..._not_pending), or the Idempotency-Key was used for another request."
)
POST_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {**AUTH_RESPONSES, **RESPONSES, 409: CONFLICT}
CREATED: Final = HTTPStatus.CREATED


@idempotent_post(router, "/accounts", schemas.AccountOut, "Open a ledger account", POST_RESPONSES, CREATED)
async def create_account(
    body: schemas.AccountCreate, _client: LedgerWriter, idempotency: IdempotencyDep, session: SessionDep
) -> Response:
    """Scope `ledger:write`. The ledger chooses its id; its totals start at zero."""
    return await idempotency.run(
        lambda progress: service.create_account(session, body, progress),
        body=body,
        status_code=HTTPStatus.CREATED,
    )


@router.get(
    "/accounts/{account_id}",
    summary="Read a ledger account: totals and balances",
    responses={**AUTH_RESPONSES, **ACCOUNT_MISSING},
)
async def read_account(account_id: IdPath, _client: LedgerReader, session: SessionDep) -> schemas.AccountOut:
    """Scope `ledger:read`. Posted, pending and available balances, and the four totals they derive from."""
    return await service.read_account(session, account_id)


@router.get(
    "/accounts/{account_id}/entries",
    summary="List an account's transfers in journal order",
    responses={**AUTH_RESPONSES, **ACCOUNT_MISSING, **LIST_RESPONSES},
)
async def list_entries(
    account_id: IdPath,
    _client: LedgerReader,
    session: SessionDep,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> schemas.Entries:
    """Scope `ledger:read`. Every transfer that debits or credits the account, oldest first; pass
    `next_cursor` as `cursor` while `has_more`."""
    return await service.entries(session, account_id, cursor, limit)


@idempotent_post(
    router,
    "/transfers",
    schemas.TransferCreated,
    "Create a transfer (maybe pending, maybe with linked ones)",
    {
        **POST_RESPONSES,
        404: problem_doc("An account named does not exist (`code` debit_/credit_account_not_found)."),
        422: problem_doc(
            "Invalid request (`errors` names the field), or insufficient funds (`insufficient-funds`, "
            "`code` exceeds_credits or exceeds_debits); nothing was written."
        ),
    },
    CREATED,
)
async def create_transfer(
    body: schemas.TransferCreate, _client: LedgerWriter, idempotency: IdempotencyDep, session: SessionDep
) -> Response:
    """Scope `ledger:write`. `amount` moves from the debit to the credit account at once, or is reserved
    (`pending`) until posted, voided or expired. The `linked` transfers commit all or none with it. A
    `reference` already used by the same transfer answers it as it stands."""
    return await idempotency.run(
        lambda progress: service.create_transfer(session, body, progress),
        body=body,
        status_code=HTTPStatus.CREATED,
    )


PENDING: Final[dict[int | str, dict[str, Any]]] = {
    **POST_RESPONSES,
    404: problem_doc("No transfer with this id (`code` pending_transfer_not_found)."),
}


@idempotent_post(
    router,
    "/transfers/{transfer_id}/post",
    schemas.TransferOut,
    "Post a pending transfer",
    PENDING,
    CREATED,
)
async def post_pending(
    transfer_id: IdPath,
    _client: LedgerWriter,
    idempotency: IdempotencyDep,
    session: SessionDep,
    body: Annotated[schemas.PendingPost | None, Body()] = None,
) -> Response:
    """Scope `ledger:write`. Posts all of the pending amount, or `amount` of it (the rest is released).
    Posting again answers the same post; a void, or an expiry, before it is a 409."""
    return await idempotency.run(
        lambda progress: service.resolve_pending(session, transfer_id, body, True, progress),
        body=body,
        status_code=HTTPStatus.CREATED,
    )


@idempotent_post(
    router,
    "/transfers/{transfer_id}/void",
    schemas.TransferOut,
    "Void a pending transfer",
    PENDING,
    CREATED,
)
async def void_pending(
    transfer_id: IdPath,
    _client: LedgerWriter,
    idempotency: IdempotencyDep,
    session: SessionDep,
    body: Annotated[schemas.PendingResolve | None, Body()] = None,
) -> Response:
    """Scope `ledger:write`. Releases the whole pending amount; a post or expiry before it is a 409."""
    return await idempotency.run(
        lambda progress: service.resolve_pending(session, transfer_id, body, False, progress),
        body=body,
        status_code=HTTPStatus.CREATED,
    )


@router.get(
    "/transfers/{transfer_id}",
    summary="Read a ledger transfer",
    responses={**AUTH_RESPONSES, 404: problem_doc("No transfer with this id (`code` transfer_not_found).")},
)
async def read_transfer(
    transfer_id: IdPath, _client: LedgerReader, session: SessionDep
) -> schemas.TransferOut:
    """Scope `ledger:read`. For a pending transfer, its `status` and the transfer that resolved it."""
    return await service.read_transfer(session, transfer_id)
