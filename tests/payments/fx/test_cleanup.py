"""Removing stale quotes, on SQLite and PostgreSQL: only quotes that expired unused longer ago than the
retention go; a converted quote stays with its conversion; the command line does the same for cron."""

import pytest
from sqlalchemy import Engine, select

from ledger.ids import NS_PER_SECOND, now_ns
from payments.fx.__main__ import main
from payments.fx.conversions import convert
from payments.fx.quotes import remove_expired
from payments.fx.schema import quotes
from tests.payments.fx.conftest import OpenAccount
from tests.payments.fx.test_conversions import _quote

pytestmark = pytest.mark.usefixtures("fx_tables")
HOUR = 3600 * NS_PER_SECOND


def _kept(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(connection.scalars(select(quotes.c.id)))


def test_only_quotes_expired_unused_before_the_cutoff_go(engine: Engine, open_account: OpenAccount) -> None:
    eur, usd = open_account("EUR"), open_account("USD")
    now = now_ns()
    with engine.begin() as connection:
        stale = _quote(connection, "EUR", "USD", 500, now=now - 3 * HOUR)
        converted = _quote(connection, "EUR", "USD", 500, now=now - 3 * HOUR)
        convert(connection, converted.id, "desk", sell_account_id=eur, buy_account_id=usd, now=now - 3 * HOUR)
        recent = _quote(connection, "EUR", "USD", 500, now=now - HOUR)  # expired, within the retention
        live = _quote(connection, "EUR", "USD", 500, now=now)
    with engine.begin() as connection:
        assert remove_expired(connection, now - 2 * HOUR) == 1
    assert _kept(engine) == {converted.id, recent.id, live.id}
    with engine.begin() as connection:
        assert remove_expired(connection, now - 2 * HOUR) == 0  # a second process finds nothing left
    assert stale.id not in _kept(engine)


def test_the_command_line_removes_with_its_retention(
    engine: Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    now = now_ns()
    with engine.begin() as connection:
        old = _quote(connection, "EUR", "USD", 500, now=now - 3 * HOUR)
        recent = _quote(connection, "EUR", "USD", 500, now=now - HOUR)
    assert (
        main(["remove-expired-quotes", "--database-url", database_url, "--older-than-seconds", "7200"]) == 0
    )
    assert capsys.readouterr().out == "removed 1 expired quote(s)\n"
    assert _kept(engine) == {recent.id}
    assert old.id not in _kept(engine)
    assert main(["remove-expired-quotes", "--database-url", database_url, "--older-than-seconds", "0"]) == 0
    assert _kept(engine) == set()
