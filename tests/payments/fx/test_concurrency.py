"""Conversions racing, on SQLite and PostgreSQL: one quote converted by many clients at once converts once,
and many first conversions of a new pair open each currency's book once."""

import threading
from collections import Counter

import pytest
from sqlalchemy import Engine, func, select

from ledger.check import verify
from ledger.ids import now_ns
from ledger.model import OwnerKind
from ledger.schema import accounts
from payments.fx.conversions import convert
from payments.fx.errors import QuoteUsed
from payments.fx.quotes import Quote, QuoteRequest, create_quote
from payments.fx.schema import books
from tests.helpers.threads import run_concurrently
from tests.payments.fx.conftest import ROUND_RATES, OpenAccount

pytestmark = pytest.mark.usefixtures("fx_tables")
CLIENTS = 8


def _quote(engine: Engine, sell: str, buy: str) -> Quote:
    with engine.begin() as connection:
        request = QuoteRequest(sell, buy, sell_amount=1_000)
        return create_quote(
            connection, ROUND_RATES, request, owner="desk", spread_bps=50, ttl_seconds=30, now=now_ns()
        )


def test_a_quote_converted_by_many_clients_at_once_converts_once(
    engine: Engine, open_account: OpenAccount
) -> None:
    eur, usd = open_account("EUR"), open_account("USD")
    quote = _quote(engine, "EUR", "USD")
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def client() -> None:
        try:
            with engine.begin() as connection:
                convert(connection, quote.id, "desk", sell_account_id=eur, buy_account_id=usd, now=now_ns())
            outcome = "converted"
        except QuoteUsed:
            outcome = "used"
        with lock:
            outcomes[outcome] += 1

    run_concurrently(client, CLIENTS)
    assert outcomes == {"converted": 1, "used": CLIENTS - 1}
    assert verify(engine) == []


def test_first_conversions_of_a_new_pair_open_each_book_once(
    engine: Engine, open_account: OpenAccount
) -> None:
    kwd, bhd = open_account("KWD"), open_account("BHD")
    pending = [_quote(engine, "KWD", "BHD") for _ in range(CLIENTS)]
    lock = threading.Lock()

    def client() -> None:
        with lock:
            quote = pending.pop()
        with engine.begin() as connection:
            convert(connection, quote.id, "desk", sell_account_id=kwd, buy_account_id=bhd, now=now_ns())

    run_concurrently(client, CLIENTS)
    assert not pending
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(books)) == 2
        desk = accounts.c.owner_kind.in_([str(OwnerKind.FX_POSITION), str(OwnerKind.FEES)])
        assert connection.scalar(select(func.count()).select_from(accounts).where(desk)) == 6
    assert verify(engine) == []
