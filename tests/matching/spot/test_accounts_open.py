"""`SpotMarket.open_accounts` writes a trader's accounts once: every later order skips that transaction."""

from sqlalchemy import Engine, event

from matching.spot.accounts import trader_account
from matching.spot.market import SpotMarket
from tests.matching.spot.conftest import OpenMarket
from tests.matching.spot.ledger_view import balance


def _commits(ledger: Engine) -> list[int]:
    seen: list[int] = []
    event.listen(ledger, "commit", lambda _connection: seen.append(1))
    return seen


def test_a_new_trader_gets_accounts_once(market: SpotMarket, ledger: Engine) -> None:
    commits = _commits(ledger)
    market.open_accounts(7)
    assert len(commits) == 1  # the accounts are written
    assert balance(ledger, trader_account(7, market.market.base)) == 0
    market.open_accounts(7)
    market.open_accounts(7)
    assert len(commits) == 1  # known: no transaction at all


def test_a_reopened_market_finds_the_accounts_again(
    open_market: OpenMarket, market: SpotMarket, ledger: Engine
) -> None:
    market.open_accounts(7)
    market.close()
    reopened = open_market()
    commits = _commits(ledger)
    reopened.open_accounts(7)  # a new market object does not know: it asks the ledger (answered `exists`)
    assert len(commits) == 1
    assert balance(ledger, trader_account(7, market.market.quote)) == 0
