"""`/v1/fx/...`: quotes locked for a time at a spread, and their conversion on the ledger.

Thin routes over `api.fx.service`. Scopes `fx:write` (quote, convert) and `fx:read` (read a quote); every
POST needs an `Idempotency-Key`. A quote belongs to the API key that asked for it: another key is told it
does not exist. How amounts are rounded and booked: docs/fx.md.
"""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Annotated, Any, Final, TypeVar

from fastapi import APIRouter, FastAPI, Path
from fastapi.responses import Response
from pydantic import BaseModel

from api.deps import FxRatesDep, FxReader, FxWriter, IdempotencyDep, SessionDep, SettingsDep
from api.errors import problem_doc
from api.fx import service
from api.fx.cleanup import cleaning
from api.fx.schemas import ConversionCreate, ConversionOut, QuoteCreate, QuoteOut
from api.idempotency.route import OPENAPI_EXTRA, RESPONSES


@asynccontextmanager
async def fx_lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Remove FX quotes that expired unused while the app serves (`api.fx.cleanup`)."""
    settings = app.state.settings
    retention, interval = settings.fx_quote_retention_seconds, settings.fx_quote_cleanup_interval_seconds
    async with cleaning(app.state.engine, retention, interval):
        yield


router = APIRouter(prefix="/v1/fx", tags=["fx"], lifespan=fx_lifespan)

AUTH_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    401: problem_doc("No API key, or an invalid or revoked one (`WWW-Authenticate: Bearer`)."),
    403: problem_doc("The API key lacks the scope this route needs; `detail` names it."),
    422: problem_doc("The request is invalid; `errors` names each bad field."),
}
_Route = TypeVar("_Route", bound=Callable[..., Any])


def _post(
    path: str, response_model: type[BaseModel], summary: str, responses: dict[int | str, dict[str, Any]]
) -> Callable[[_Route], _Route]:
    """An FX POST: 201, an `Idempotency-Key` (documented here, read by `IdempotencyDep`), the problems
    every FX POST can answer, then `responses`."""
    return router.post(
        path,
        status_code=HTTPStatus.CREATED,
        response_model=response_model,
        summary=summary,
        openapi_extra=OPENAPI_EXTRA,
        responses={**AUTH_RESPONSES, **RESPONSES, **responses},
    )


QuoteIdPath = Annotated[str, Path(max_length=64, description="The quote's id (fxq_...).")]


@_post(
    "/quotes",
    QuoteOut,
    "Quote an exchange: a rate locked for a while, with its spread",
    {503: problem_doc("The reference rates cannot be read.")},
)
async def create_quote(
    body: QuoteCreate,
    client: FxWriter,
    idempotency: IdempotencyDep,
    session: SessionDep,
    settings: SettingsDep,
    rates: FxRatesDep,
) -> Response:
    """Scope `fx:write`. Give the amount of one side in minor units; the other is computed at the mid rate
    less the pair's spread, rounded half to even. The quote converts once, within its time to live."""
    return await idempotency.run(
        lambda progress: service.create_quote(session, settings, rates, client, body, progress),
        body=body,
        status_code=HTTPStatus.CREATED,
    )


@router.get(
    "/quotes/{quote_id}",
    summary="Read a quote and its status",
    responses={**AUTH_RESPONSES, 404: problem_doc("No quote of this id asked for by this API key.")},
)
async def read_quote(quote_id: QuoteIdPath, client: FxReader, session: SessionDep) -> QuoteOut:
    """Scope `fx:read`. `status`: open (convertible), converted, or expired."""
    return await service.read_quote(session, client, quote_id)


@_post(
    "/conversions",
    ConversionOut,
    "Convert a quote at its rate, from and to the customer's ledger accounts",
    {
        404: problem_doc("No quote of this id asked for by this API key; `errors` names `quote_id`."),
        409: problem_doc(
            "The quote was converted already, or the Idempotency-Key was used for another request."
        ),
        410: problem_doc("The quote has expired; `errors` names `quote_id`. Ask for a new one."),
    },
)
async def convert(
    body: ConversionCreate, client: FxWriter, idempotency: IdempotencyDep, session: SessionDep
) -> Response:
    """Scope `fx:write`. One linked chain of ledger transfers, all or none: the sell amount from the sell
    account to the FX desk, the buy amount from the desk to the buy account, and the desk's spread and
    rounding bookings. A 422 names the account the ledger refused (e.g. one without the funds)."""
    return await idempotency.run(
        lambda progress: service.convert(session, client, body, progress),
        body=body,
        status_code=HTTPStatus.CREATED,
    )
