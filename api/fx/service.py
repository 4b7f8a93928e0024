"""FX behind the routes: price and store quotes, read them, convert them on the ledger (`payments.fx`).

Each call is one database transaction on the request's session, run in a worker thread, and its response is
stored with its Idempotency-Key in that same transaction (`Progress.finish`): a retried POST replays the
first answer, and a conversion's ledger transfers, its row and its stored answer commit together or not at
all. `payments.fx`'s refusals become problem documents naming the field at fault.
"""

import functools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from anyio import to_thread
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth import ApiClient
from api.errors import ApiError, InvalidRequest, NotFound, ServiceUnavailable
from api.fx.schemas import ConversionCreate, ConversionOut, QuoteCreate, QuoteOut
from api.idempotency.progress import Progress
from api.settings import ApiSettings
from ledger.ids import EPOCH, now_ns
from payments.fx import conversions, errors, quotes
from payments.fx.pricing import rate_text
from payments.fx.rates import RateFileError, RateSource, default_rate_source
from payments.fx.schema import conversions as conversions_table


class FxQuoteNotFound(NotFound, problem="fx-quote-not-found", title="FX quote not found"):
    """No quote of this id that this API key asked for."""


class FxQuoteUsed(ApiError, status=409, problem="fx-quote-used", title="FX quote already converted"):
    """A quote converts once; ask for a new one."""


class FxQuoteExpired(ApiError, status=410, problem="fx-quote-expired", title="FX quote expired"):
    """The quote's time to live has passed; ask for a new one."""


class FxRatesUnavailable(ServiceUnavailable, problem="fx-rates-unavailable", title="FX rates unavailable"):
    """The reference rate file is missing or malformed (the operator's to fix)."""


_PROBLEMS: Final[dict[type[errors.FxError], type[ApiError]]] = {
    errors.QuoteNotFound: FxQuoteNotFound,
    errors.QuoteUsed: FxQuoteUsed,
    errors.QuoteExpired: FxQuoteExpired,
}
"""Refusals with a problem type of their own; every other `FxError` is a 422 about its field."""


def _problem(error: errors.FxError) -> ApiError:
    problem = _PROBLEMS.get(type(error), InvalidRequest)
    return problem(str(error), errors=[{"field": error.field, "message": str(error)}])


@functools.lru_cache(maxsize=4)
def _rates(path: str, modified_ns: int) -> RateSource:
    return default_rate_source(Path(path))


def rate_source(path: Path) -> RateSource:
    """The reference rates at `path` (tUSD pegged to USD), read again whenever the file changes."""
    try:
        return _rates(str(path), path.stat().st_mtime_ns)
    except (OSError, RateFileError) as error:
        raise FxRatesUnavailable(f"the FX reference rates cannot be read: {error}") from None


def _moment(ns: int) -> datetime:
    return (EPOCH + timedelta(microseconds=ns // 1_000)).astimezone(UTC)


def _status(session: Session, quote: quotes.Quote, now: int) -> str:
    converted = session.execute(
        select(conversions_table.c.id).where(conversions_table.c.quote_id == quote.id)
    ).scalar()
    if converted is not None:
        return "converted"
    return "expired" if now >= quote.expires_at else "open"


QUOTE_FIELDS: Final = (
    "id",
    "sell_currency",
    "buy_currency",
    "sell_amount",
    "buy_amount",
    "spread_bps",
    "rates_as_of",
)
"""What a quote's answer shows as `payments.fx.quotes.Quote` holds it (and its rate, date, times, status)."""
CONVERSION_FIELDS: Final = (
    "id",
    "sell_account_id",
    "buy_account_id",
    "sell_transfer_id",
    "buy_transfer_id",
    "spread_amount",
    "rounding_booked",
)
"""What a conversion's answer shows as `payments.fx.conversions.Conversion` holds it (and its quote)."""


def _quote_view(quote: quotes.Quote, status: str) -> QuoteOut:
    return QuoteOut.model_validate(
        {name: getattr(quote, name) for name in QUOTE_FIELDS}
        | {
            "rate": rate_text(quote.rate),
            "created_at": _moment(quote.created_at),
            "expires_at": _moment(quote.expires_at),
            "status": status,
        }
    )


def _create_quote(
    session: Session,
    settings: ApiSettings,
    rates: RateSource,
    owner: str,
    body: QuoteCreate,
    progress: Progress,
) -> QuoteOut:
    if (body.sell_amount is None) == (body.buy_amount is None):
        field = "sell_amount" if body.sell_amount is None else "buy_amount"
        message = "give exactly one of sell_amount and buy_amount"
        raise InvalidRequest(message, errors=[{"field": field, "message": message}])
    spread = quotes.spread_for(
        body.sell_currency, body.buy_currency, settings.fx_pair_spreads_bps, settings.fx_spread_bps
    )
    request = quotes.QuoteRequest(**dict(body))  # the values, not their JSON spelling
    ttl = settings.fx_quote_ttl_seconds
    try:
        connection = session.connection()
        quote = quotes.create_quote(
            connection, rates, request, owner=owner, spread_bps=spread, ttl_seconds=ttl, now=now_ns()
        )
    except errors.FxError as error:
        raise _problem(error) from None
    view = _quote_view(quote, "open")
    progress.finish(lambda _: view)(None)
    session.commit()
    return view


async def create_quote(
    session: Session,
    settings: ApiSettings,
    rates: RateSource,
    client: ApiClient,
    body: QuoteCreate,
    progress: Progress,
) -> QuoteOut:
    """Price a quote for `client` and store it (201)."""
    return await to_thread.run_sync(_create_quote, session, settings, rates, client.key_id, body, progress)


def _read_quote(session: Session, owner: str, quote_id: str) -> QuoteOut:
    try:
        quote = quotes.read_quote(session.connection(), quote_id, owner)
        return _quote_view(quote, _status(session, quote, now_ns()))
    except errors.FxError as error:
        raise _problem(error) from None
    finally:
        session.rollback()


async def read_quote(session: Session, client: ApiClient, quote_id: str) -> QuoteOut:
    """`client`'s quote `quote_id`, with its status now; another key's is a 404 like an unknown id."""
    return await to_thread.run_sync(_read_quote, session, client.key_id, quote_id)


def _convert(session: Session, owner: str, body: ConversionCreate, progress: Progress) -> ConversionOut:
    try:
        done = conversions.convert(
            session.connection(),
            body.quote_id,
            owner,
            sell_account_id=body.sell_account_id,
            buy_account_id=body.buy_account_id,
            now=now_ns(),
        )
    except errors.FxError as error:
        raise _problem(error) from None
    view = ConversionOut.model_validate(
        {name: getattr(done, name) for name in CONVERSION_FIELDS}
        | {"quote": _quote_view(done.quote, "converted"), "created_at": _moment(done.created_at)}
    )
    progress.finish(lambda _: view)(None)
    session.commit()
    return view


async def convert(
    session: Session, client: ApiClient, body: ConversionCreate, progress: Progress
) -> ConversionOut:
    """Convert `client`'s quote at its rate, once, before it expires (201)."""
    return await to_thread.run_sync(_convert, session, client.key_id, body, progress)
