"""`/v1/disputes`: chargebacks of succeeded payment intents, recorded by the operators as the card networks
report them, read and answered with evidence by the merchants.

Thin routes over `api.disputes.service`. Recording a dispute and its decision need an operator's key with
`disputes:write`; reading, a merchant's `payments:read` (or `payments:write`) for its own disputes, or an
operator's `disputes:read` for all; evidence, the merchant's `payments:write`. Every POST needs an
`Idempotency-Key` (`api.idempotency`).
"""

from http import HTTPStatus
from typing import Annotated, Any, Final

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from api.deps import DisputesDesk, DisputesReader, PaymentsWriter
from api.disputes import schemas, service
from api.errors import problem_doc
from api.idempotency.route import idempotent_posts
from api.pagination import DEFAULT_LIMIT, LIST_RESPONSES, CursorQuery, LimitQuery
from api.payment_intents.router import AUTH_RESPONSES

router = APIRouter(tags=["disputes"])

DisputeIdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="The dispute's id.")]
NOT_FOUND: Final[dict[int | str, dict[str, Any]]] = {
    404: problem_doc("No dispute of this id is the caller's (or, recording one, no such payment intent).")
}

CONFLICT: Final[dict[int | str, dict[str, Any]]] = {
    409: problem_doc(
        "The intent is not `succeeded`, or the dispute is closed already (`intent_status` names the status), "
        "or the Idempotency-Key was used for another request."
    )
}

_post = idempotent_posts(router, {**AUTH_RESPONSES, **NOT_FOUND, **CONFLICT})


@_post("/v1/disputes", schemas.DisputeOut, "Record a dispute", status_code=HTTPStatus.CREATED)
async def create_dispute(body: schemas.DisputeCreate, post: DisputesDesk) -> Response:
    """Scope `disputes:write` (an operator's key). The card network disputed `amount` (default: all still
    refundable) of a succeeded intent: it is withheld from the merchant's balance until the dispute closes.
    Announced to the merchant as `charge.dispute.created`."""
    dispute_id = service.dispute_id_for(post.client, post.idempotency.key)
    return await post.run(service.open_dispute, body, dispute_id, body=body, status_code=HTTPStatus.CREATED)


@router.get("/v1/disputes/{dispute_id}", summary="A dispute", responses={**AUTH_RESPONSES, **NOT_FOUND})
async def get_dispute(dispute_id: DisputeIdPath, call: DisputesReader) -> schemas.DisputeOut:
    """Scope `payments:read` for a merchant's own, `disputes:read` for an operator."""
    return await call.read(service.get_dispute, dispute_id)  # type: ignore[return-value]


@router.get(
    "/v1/disputes", summary="List disputes, oldest first", responses={**AUTH_RESPONSES, **LIST_RESPONSES}
)
async def list_disputes(
    call: DisputesReader,
    payment_intent: Annotated[
        str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,64}$", description="Only this intent's disputes.")
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> schemas.DisputePage:
    """Scope `payments:read` for a merchant's own, `disputes:read` for every merchant's. Pages as every list
    does: pass `next_cursor` as `cursor` while `has_more`."""
    return await call.read(service.list_disputes, payment_intent, cursor, limit)  # type: ignore[return-value]


@_post("/v1/disputes/{dispute_id}/evidence", schemas.DisputeOut, "Submit evidence on a dispute")
async def submit_evidence(
    dispute_id: DisputeIdPath, body: schemas.DisputeEvidence, post: PaymentsWriter
) -> Response:
    """Scope `payments:write` (the merchant's). While the dispute is open only: each field given replaces its
    earlier text. Announced as `charge.dispute.updated`."""
    return await post.run(service.submit_evidence, dispute_id, body, body=body)


@_post("/v1/disputes/{dispute_id}/close", schemas.DisputeOut, "Close a dispute (the network's decision)")
async def close_dispute(
    dispute_id: DisputeIdPath, body: schemas.DisputeClose, post: DisputesDesk
) -> Response:
    """Scope `disputes:write` (an operator's key). `won: true` reinstates the withheld funds, `false`
    withdraws them for good. Announced as `charge.dispute.closed`."""
    return await post.run(service.close_dispute, dispute_id, body, body=body)
