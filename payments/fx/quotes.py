"""Quotes: a price for one exchange, stored and locked for a time-to-live, then converted once or let lapse.

A quote is priced once, from the rate source's mid rate less the pair's spread (`payments.fx.pricing`), and
stored with everything that priced it (the mid rate exactly, the customer's rate as shown, the spread, the
rates' date), so its conversion never asks the rate source again: it converts at the quoted rate or not at
all. A quote belongs to its owner (the API key that asked); another owner is told it does not exist.
"""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final

from sqlalchemy import Connection, insert, select

from ledger.ids import NS_PER_SECOND
from payments.fx.currency import currency
from payments.fx.errors import QuoteNotFound, SameCurrency
from payments.fx.pricing import price, rate_text
from payments.fx.rates import RateSource
from payments.fx.schema import quotes

ID_PREFIX: Final = "fxq_"


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


def spread_for(sell: str, buy: str, spreads: Mapping[str, int], default: int) -> int:
    """The pair's spread in basis points: `spreads["EUR/USD"]` serves both directions, else `default`."""
    return spreads.get(f"{sell}/{buy}", spreads.get(f"{buy}/{sell}", default))


def create_quote(
    connection: Connection,
    rates: RateSource,
    *,
    owner: str,
    sell_currency: str,
    buy_currency: str,
    sell_amount: int | None = None,
    buy_amount: int | None = None,
    spread_bps: int,
    ttl_seconds: int,
    now: int,
) -> Quote:
    """Price and store a quote of `owner`'s, valid from `now` (ns) for `ttl_seconds`."""
    sell, buy = currency(sell_currency, "sell_currency"), currency(buy_currency, "buy_currency")
    if sell == buy:
        raise SameCurrency(f"selling and buying {sell} is no exchange: name two currencies")
    mid = rates.mid_rate(sell, buy)
    priced = price(sell, buy, mid.value, spread_bps, sell_amount=sell_amount, buy_amount=buy_amount)
    quote = Quote(
        id=ID_PREFIX + secrets.token_hex(12),
        owner=owner,
        sell_currency=sell.code,
        buy_currency=buy.code,
        sell_amount=priced.sell_amount,
        buy_amount=priced.buy_amount,
        rate=priced.rate,
        mid_rate=priced.mid,
        spread_bps=spread_bps,
        rates_as_of=mid.as_of,
        created_at=now,
        expires_at=now + ttl_seconds * NS_PER_SECOND,
    )
    connection.execute(insert(quotes).values(**_row(quote)))
    return quote


def _row(quote: Quote) -> dict[str, Any]:
    return {
        "id": quote.id,
        "owner": quote.owner,
        "sell_currency": quote.sell_currency,
        "buy_currency": quote.buy_currency,
        "sell_amount": quote.sell_amount,
        "buy_amount": quote.buy_amount,
        "rate": rate_text(quote.rate),
        "mid_rate": str(quote.mid_rate),
        "spread_bps": quote.spread_bps,
        "rates_as_of": quote.rates_as_of.isoformat(),
        "created_at": quote.created_at,
        "expires_at": quote.expires_at,
    }


def _quote(row: Any) -> Quote:
    return Quote(
        id=row.id,
        owner=row.owner,
        sell_currency=row.sell_currency,
        buy_currency=row.buy_currency,
        sell_amount=int(row.sell_amount),
        buy_amount=int(row.buy_amount),
        rate=Decimal(row.rate),
        mid_rate=Fraction(row.mid_rate),
        spread_bps=row.spread_bps,
        rates_as_of=date.fromisoformat(row.rates_as_of),
        created_at=int(row.created_at),
        expires_at=int(row.expires_at),
    )


def read_quote(connection: Connection, quote_id: str, owner: str, *, lock: bool = False) -> Quote:
    """`owner`'s quote `quote_id` (locked for this transaction if `lock`); `QuoteNotFound` otherwise."""
    query = select(quotes).where(quotes.c.id == quote_id, quotes.c.owner == owner)
    row = connection.execute(query.with_for_update() if lock else query).one_or_none()
    if row is None:
        raise QuoteNotFound(f"no quote {quote_id} of this API key")
    return _quote(row)
