"""Converting quotes on the ledger, on SQLite and PostgreSQL: the transfers posted, a quote used once and
only before it expires, and every currency balanced to the minor unit after many random conversions."""

from collections import defaultdict
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, select

from ledger.accounts import lookup_account
from ledger.check import verify
from ledger.ids import NS_PER_SECOND, now_ns
from payments.fx.books import open_books
from payments.fx.conversions import convert
from payments.fx.currency import currency
from payments.fx.errors import AccountRefused, QuoteExpired, QuoteNotFound, QuoteUsed
from payments.fx.pricing import minor_scale
from payments.fx.quotes import Quote, QuoteRequest, create_quote
from payments.fx.rates import TUSD_PEG, PeggedRates
from payments.fx.schema import books, conversions, quotes
from tests.payments.fx.conftest import ROUND_RATES, OpenAccount

pytestmark = pytest.mark.usefixtures("fx_tables")

CURRENCIES = ("EUR", "USD", "JPY", "KWD", "BHD", "tUSD")
PEGGED = PeggedRates(ROUND_RATES, TUSD_PEG)
"""The round rates, and tUSD (6 decimals) at 1 USD."""


def _quote(
    connection: Connection, sell: str, buy: str, amount: int, owner: str = "desk", **options: int
) -> Quote:
    return create_quote(
        connection,
        PEGGED,
        QuoteRequest(sell, buy, sell_amount=amount),
        owner=owner,
        spread_bps=options.get("spread_bps", 50),
        ttl_seconds=30,
        now=options.get("now", now_ns()),
    )


def _balance(engine: Engine, account_id: int) -> int:
    account = lookup_account(engine, account_id)
    assert account is not None
    return account.balances.posted


def test_a_conversion_posts_the_sell_the_buy_and_the_spread(
    engine: Engine, open_account: OpenAccount
) -> None:
    eur, usd = open_account("EUR"), open_account("USD")
    with engine.begin() as connection:
        quote = _quote(connection, "EUR", "USD", 10_000)  # 1.25 x 0.995 = 1.24375: 124.375 -> 124.38 USD
        done = convert(connection, quote.id, "desk", sell_account_id=eur, buy_account_id=usd, now=now_ns())
        book = open_books(connection, ["EUR", "USD"])
    assert (quote.buy_amount, done.spread_amount, done.rounding_booked) == (12_438, 62, 0)
    assert (_balance(engine, eur), _balance(engine, usd)) == (-10_000, 12_438)
    assert _balance(engine, book["EUR"].position_account_id) == 10_000
    assert _balance(engine, book["USD"].position_account_id) == -12_500  # mid value 125.00 USD
    assert _balance(engine, book["USD"].spread_account_id) == 62
    assert book["USD"].carry == 0  # 12500 - 12438 - 62 (spread 62.5 rounds to even 62) = 0
    assert verify(engine) == []


def test_a_quote_converts_once(engine: Engine, open_account: OpenAccount) -> None:
    eur, usd = open_account("EUR"), open_account("USD")
    with engine.begin() as connection:
        quote = _quote(connection, "EUR", "USD", 500)
        convert(connection, quote.id, "desk", sell_account_id=eur, buy_account_id=usd, now=now_ns())
    with engine.begin() as connection, pytest.raises(QuoteUsed) as raised:
        convert(connection, quote.id, "desk", sell_account_id=eur, buy_account_id=usd, now=now_ns())
    assert raised.value.field == "quote_id"
    assert _balance(engine, eur) == -500


def test_an_expired_quote_does_not_convert(engine: Engine, open_account: OpenAccount) -> None:
    eur, usd = open_account("EUR"), open_account("USD")
    created = now_ns()
    with engine.begin() as connection:
        quote = _quote(connection, "EUR", "USD", 500, now=created)
    at = created + 30 * NS_PER_SECOND
    with engine.begin() as connection, pytest.raises(QuoteExpired) as raised:
        convert(connection, quote.id, "desk", sell_account_id=eur, buy_account_id=usd, now=at)
    assert raised.value.field == "quote_id"
    assert _balance(engine, eur) == 0


def test_another_owners_quote_is_not_found(engine: Engine, open_account: OpenAccount) -> None:
    eur, usd = open_account("EUR"), open_account("USD")
    with engine.begin() as connection:
        quote = _quote(connection, "EUR", "USD", 500, owner="alice")
    with engine.begin() as connection, pytest.raises(QuoteNotFound):
        convert(connection, quote.id, "mallory", sell_account_id=eur, buy_account_id=usd, now=now_ns())


def test_accounts_must_exist_hold_the_right_currency_and_be_a_customers(
    engine: Engine, open_account: OpenAccount
) -> None:
    eur, usd = open_account("EUR"), open_account("USD")
    with engine.begin() as connection:
        quote = _quote(connection, "EUR", "USD", 500)
        desk_usd = open_books(connection, ["USD"])["USD"].position_account_id
    cases = [(usd, usd, "sell_account_id"), (eur, eur, "buy_account_id"), (eur, 12_345, "buy_account_id")]
    cases.append((eur, desk_usd, "buy_account_id"))
    for sell_account, buy_account, field in cases:
        with engine.begin() as connection, pytest.raises(AccountRefused) as raised:
            convert(
                connection,
                quote.id,
                "desk",
                sell_account_id=sell_account,
                buy_account_id=buy_account,
                now=now_ns(),
            )
        assert raised.value.field == field
    assert verify(engine) == []


def _mid_values(connection: Connection) -> dict[str, Fraction]:
    """Per buy currency: the mid value of everything converted, exactly, from the stored quotes."""
    totals: dict[str, Fraction] = defaultdict(Fraction)
    joined = quotes.join(conversions, conversions.c.quote_id == quotes.c.id)
    for row in connection.execute(select(quotes).select_from(joined)):
        sell, buy = currency(row.sell_currency), currency(row.buy_currency)
        totals[buy.ledger_code] += row.sell_amount * Fraction(row.mid_rate) * minor_scale(sell, buy)
    return totals


conversion_plans = st.lists(
    st.tuples(
        st.sampled_from(CURRENCIES),
        st.sampled_from(CURRENCIES),
        st.integers(min_value=100, max_value=10**12),
        st.integers(min_value=0, max_value=300),
    ).filter(lambda plan: plan[0] != plan[1]),
    min_size=1,
    max_size=12,
)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plans=conversion_plans)
def test_every_currency_balances_to_the_minor_unit(
    engine: Engine, open_account: OpenAccount, plans: list[tuple[str, str, int, int]]
) -> None:
    customers = {code: open_account(currency(code).ledger_code) for code in CURRENCIES}
    for sell, buy, amount, spread_bps in plans:
        with engine.begin() as connection:
            scaled = amount * 10 ** max(0, currency(sell).exponent - 2)  # worth a cent at least
            quote = _quote(connection, sell, buy, scaled, spread_bps=spread_bps)
            accounts = {"sell_account_id": customers[sell], "buy_account_id": customers[buy]}
            convert(connection, quote.id, "desk", **accounts, now=now_ns())
    assert verify(engine) == []  # each currency's debits equal its credits; totals replay the journal
    with engine.connect() as connection:
        mid_values = _mid_values(connection)
        paid: dict[str, int] = defaultdict(int)
        for row in connection.execute(
            select(quotes.c.buy_currency, quotes.c.buy_amount).select_from(
                quotes.join(conversions, conversions.c.quote_id == quotes.c.id)
            )
        ):
            paid[currency(row.buy_currency).ledger_code] += row.buy_amount
        for book in connection.execute(select(books)):
            carried = Fraction(book.rounding_carry)
            assert -1 < carried < 1
            spread = _balance(engine, book.spread_account_id)
            rounding = _balance(engine, book.rounding_account_id)
            # The sell side's mid value, in the buy currency, is all accounted for, exactly:
            assert mid_values[book.currency] == paid[book.currency] + spread + rounding + carried
            # and the desk's position gave up exactly its whole minor units.
            sold_to_desk = -_balance(engine, book.position_account_id) + sum(
                row.sell_amount
                for row in connection.execute(
                    select(quotes.c.sell_amount, quotes.c.sell_currency).select_from(
                        quotes.join(conversions, conversions.c.quote_id == quotes.c.id)
                    )
                )
                if currency(row.sell_currency).ledger_code == book.currency
            )
            assert sold_to_desk == paid[book.currency] + spread + rounding
