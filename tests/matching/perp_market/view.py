"""Reading a perpetual market's ledger and records in tests: balances, funding a wallet, and the
invariant every flow keeps (the ledger holds exactly the domain's money)."""

from typing import Any

from sqlalchemy import Engine, select

from ledger.check import verify
from matching.markets import TPW_TUSD
from matching.perp_market.accounts import (
    clearing_account,
    deposits_account,
    fees_account,
    funding_account,
    margin_account,
)
from matching.perp_market.market import PerpMarket
from matching.perp_market.records import perp_records
from tests.matching.spot.ledger_view import UNIT, balance, transfer_count
from tests.matching.spot.ledger_view import fund as fund_spot

__all__ = ["UNIT", "assert_ledger_agrees", "balance", "fund", "records", "transfer_count"]


def fund(ledger: Engine, trader: int, tusd: int) -> None:
    """`tusd` whole tUSD into the trader's wallet (its spot QTU account) from a treasury account."""
    fund_spot(ledger, TPW_TUSD, trader, tpw=1, tusd=tusd)


def assert_ledger_agrees(ledger: Engine, market: PerpMarket) -> None:
    """The ledger audits clean, each margin account and the fund hold the domain's money, the fees
    account its fees; the funding pool and the deposits account are empty; the domain conserves."""
    assert verify(ledger) == []
    perp = market.runner.perp
    for account in perp.everyone():
        assert balance(ledger, margin_account(market.id, account.id)) == account.total_money(), account.id
    assert balance(ledger, fees_account(market.id)) == perp.fees
    assert balance(ledger, funding_account(market.id)) == 0
    assert balance(ledger, deposits_account(market.id)) == 0
    assert perp.conserved() == perp.deposited
    held = sum(a.total_money() for a in perp.everyone()) + perp.fees
    assert held + balance(ledger, clearing_account(market.id)) == perp.deposited


def records(ledger: Engine, kind: str | None = None) -> list[Any]:
    query = select(perp_records).order_by(perp_records.c.step, perp_records.c.n)
    if kind is not None:
        query = query.where(perp_records.c.kind == kind)
    with ledger.connect() as connection:
        return list(connection.execute(query).all())
