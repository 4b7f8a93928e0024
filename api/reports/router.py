"""`/v1/reports/...`: a merchant's statement and tax report for a period, as CSV.

A merchant's key with `payments:read`, for its own books in its own mode only (a sandbox key reports the
sandbox, a live key live; an operator's key has no merchant and is refused). Columns: docs/reconciliation.md.
"""

from typing import Annotated, Any, Final

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.auth import KEY_RESPONSES
from api.deps import ReportsTenant, SessionDep
from api.errors import problem_doc
from api.reports import service

router = APIRouter(prefix="/v1/reports", tags=["reports"])

FromQuery = Annotated[str, Query(alias="from", max_length=10, description="First day (UTC), YYYY-MM-DD.")]
ToQuery = Annotated[
    str, Query(max_length=10, description="Last day (UTC), YYYY-MM-DD, included; not in the future.")
]
CSV: Final[dict[int | str, dict[str, Any]]] = {
    200: {"description": "The report, RFC 4180 CSV with a header row.", "content": {"text/csv": {}}},
    **KEY_RESPONSES,
    422: problem_doc(
        "A bad date, a period ending before it starts, in the future or over 366 days, or an "
        "unknown currency; `errors` names `from`, `to` or `currency`."
    ),
}


def _csv(document: str, name: str) -> Response:
    return Response(
        document,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@router.get(
    "/statement",
    summary="The merchant's statement for a period (CSV)",
    response_class=Response,
    responses=CSV,
)
async def statement(
    tenant: ReportsTenant,
    session: SessionDep,
    first: FromQuery,
    to: ToQuery,
    currency: Annotated[str, Query(max_length=4, description="The balance's currency, e.g. EUR.")],
) -> Response:
    """Scope `payments:read`, a merchant's key. An `opening_balance` row, one row per movement of its
    available balance (payment, fee, refund, refund_reversal, dispute_hold, dispute_release, adjustment)
    with the balance after it, and a `closing_balance` row; closing = opening + the amounts."""
    document = await service.statement_csv(session, tenant, first, to, currency)
    return _csv(document, f"statement-{tenant.mode}-{currency}-{first}-{to}")


@router.get(
    "/tax", summary="The merchant's tax report for a period (CSV)", response_class=Response, responses=CSV
)
async def tax(tenant: ReportsTenant, session: SessionDep, first: FromQuery, to: ToQuery) -> Response:
    """Scope `payments:read`, a merchant's key. One row per month (UTC) and currency: gross, refunds,
    disputes_lost, fees, adjustments and net (the change of its posted balance), in major units."""
    document = await service.tax_csv(session, tenant, first, to)
    return _csv(document, f"tax-{tenant.mode}-{first}-{to}")
