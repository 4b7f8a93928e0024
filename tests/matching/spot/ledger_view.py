"""Reading a spot market's ledger in tests: balances, funding, and the invariants every flow keeps."""

from sqlalchemy import Engine, func, select

from ledger.accounts import create_accounts, lookup_account
from ledger.check import verify
from ledger.model import AccountSpec, OwnerKind, TransferSpec
from ledger.schema import transfers
from ledger.transfers import create_transfer
from matching.engine import Side
from matching.markets import MarketSpec
from matching.spot.accounts import escrow_account, fees_account, trader_account, trader_specs
from matching.spot.market import SpotMarket
from matching.spot.settlement import need

UNIT = 1_000_000  # both TPW and tUSD ledger units are 10^-6


def balance(ledger: Engine, account_id: int) -> int:
    account = lookup_account(ledger, account_id)
    assert account is not None
    return account.balances.posted


def fund(ledger: Engine, market: MarketSpec, trader: int, *, tpw: int, tusd: int) -> None:
    """Open `trader`'s accounts in `market` and move `tpw` TPW and `tusd` tUSD into them from a treasury
    account (deposits are the rails' business, not the market's)."""
    create_accounts(ledger, trader_specs(market, trader))
    for currency, amount in ((market.base, tpw), (market.quote, tusd)):
        source = 9_000 + ord(currency[0])
        create_accounts(ledger, [AccountSpec(source, currency, OwnerKind.TREASURY, "test-funding")])
        outcome = create_transfer(
            ledger,
            TransferSpec(
                reference=f"fund:{market.id}:{trader}:{currency}",
                debit_account_id=source,
                credit_account_id=trader_account(trader, currency),
                amount=amount * UNIT,
                currency=currency,
            ),
        )
        assert outcome.ok, outcome


def transfer_count(ledger: Engine) -> int:
    with ledger.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(transfers)).scalar_one())


def assert_consistent(ledger: Engine, spot: SpotMarket) -> None:
    """The ledger audits clean (every currency sums to zero, no account overdrawn) and each escrow holds
    exactly what the open orders of the book still need."""
    assert verify(ledger) == []
    market = spot.market
    open_needs = {market.base: 0, market.quote: 0}
    for order in spot.book.engine.book.orders.values():
        side = Side(order.side)
        currency = market.quote if side is Side.BUY else market.base
        open_needs[currency] += need(market, side, order.leaves, order.price)
    for currency, expected in open_needs.items():
        assert balance(ledger, escrow_account(market, currency)) == expected, currency
    assert balance(ledger, fees_account(market, market.base)) == 0
