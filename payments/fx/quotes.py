"""Quotes: a price for one exchange, stored and locked for a time-to-live, then converted once or let lapse.

A quote is priced once, from the rate source's mid rate less the pair's spread (`payments.fx.pricing`), and
stored with everything that priced it (the mid rate exactly, the customer's rate as shown, the spread, the
rates' date), so its conversion never asks the rate source again: it converts at the quoted rate or not at
all. A quote belongs to its owner (the API key that asked); another owner is told it does not exist.
A quote that expired unused is kept a while, then removed (`remove_expired`); a converted one stays with
its conversion for good.
"""

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final

from sqlalchemy import Connection, delete, insert, select

from ledger.ids import NS_PER_SECOND
from payments.fx.currency import currency
from payments.fx.errors import QuoteNotFound, SameCurrency
from payments.fx.pricing import price, rate_text
from payments.fx.rates import RateSource
from payments.fx.schema import conversions, quotes

ID_PREFIX: Final = "fxq_"
RETENTION_SECONDS: Final = 24 * 3600
"""How long a quote that expired unused is kept by default (`remove_expired`): a day, to answer questions
about it."""


@dataclass(frozen=True, slots=True)
class Quote:
    id: str
    owner: str
    sell_currency: str
    buy_currency: str
    sell_amount: int
    buy_amount: int
    rate: Decimal
    mid_rate: Fraction
    spread_bps: int
    rates_as_of: date
    created_at: int
    expires_at: int
    """ns since the epoch; the quote converts only before this moment."""


@dataclass(frozen=True, slots=True)
class QuoteRequest:
    """What a customer asks to exchange: exactly one of the amounts (minor units) is given."""

    sell_currency: str
    buy_currency: str
    sell_amount: int | None = None
    buy_amount: int | None = None


_TEXT: Final[dict[str, tuple[Callable[[Any], str], Callable[[str], Any]]]] = {
    "rate": (rate_text, Decimal),
    "mid_rate": (str, Fraction),
    "rates_as_of": (date.isoformat, date.fromisoformat),
}
"""The fields stored as text, exactly: how each is written, and read back."""


def spread_for(sell: str, buy: str, spreads: Mapping[str, int], default: int) -> int:
    """The pair's spread in basis points: `spreads["EUR/USD"]` serves both directions, else `default`."""
    return spreads.get(f"{sell}/{buy}", spreads.get(f"{buy}/{sell}", default))


def create_quote(
    connection: Connection,
    rates: RateSource,
    request: QuoteRequest,
    *,
    owner: str,
    spread_bps: int,
    ttl_seconds: int,
    now: int,
) -> Quote:
    """Price and store a quote of `owner`'s, valid from `now` (ns) for `ttl_seconds`."""
    sell = currency(request.sell_currency, "sell_currency")
    buy = currency(request.buy_currency, "buy_currency")
    if sell == buy:
        raise SameCurrency(f"selling and buying {sell} is no exchange: name two currencies")
    mid = rates.mid_rate(sell, buy)
    amounts = {"sell_amount": request.sell_amount, "buy_amount": request.buy_amount}
    priced = price(sell, buy, mid.value, spread_bps, **amounts)
    quote = Quote(
        ID_PREFIX + secrets.token_hex(12),
        owner,
        sell.code,
        buy.code,
        priced.sell_amount,
        priced.buy_amount,
        priced.rate,
        priced.mid,
        spread_bps,
        mid.as_of,
        now,
        now + ttl_seconds * NS_PER_SECOND,
    )
    connection.execute(insert(quotes).values(**_row(quote)))
    return quote


def _row(quote: Quote) -> dict[str, Any]:
    row = {field.name: getattr(quote, field.name) for field in fields(Quote)}
    return row | {name: write(row[name]) for name, (write, _) in _TEXT.items()}


def _quote(row: Any) -> Quote:
    stored = dict(row._mapping)
    return Quote(**(stored | {name: read(stored[name]) for name, (_, read) in _TEXT.items()}))


def read_quote(connection: Connection, quote_id: str, owner: str, *, lock: bool = False) -> Quote:
    """`owner`'s quote `quote_id` (locked for this transaction if `lock`); `QuoteNotFound` otherwise."""
    query = select(quotes).where(quotes.c.id == quote_id, quotes.c.owner == owner)
    row = connection.execute(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise QuoteNotFound(f"no quote {quote_id} of this API key")
    return _quote(row)


def remove_expired(connection: Connection, expired_before: int) -> int:
    """Delete the quotes that expired before `expired_before` (ns) and were never converted; how many.

    Safe to run from several processes at once (a quote is deleted once, by whichever comes first), and
    against conversions: a quote converts only before it expires, which these quotes did long ago."""
    converted = select(conversions.c.quote_id)
    removed = connection.execute(
        delete(quotes).where(quotes.c.expires_at < expired_before, quotes.c.id.not_in(converted))
    )
    return removed.rowcount
