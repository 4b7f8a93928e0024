"""Test money for paper trading: sandbox keys only, credited from the sandbox market's faucet.

A sandbox key already trades the sandbox copy of a market (`api.orders.runtime`) with its own ledger
accounts; this is how those accounts get money, as a payment provider's test mode hands out test cards.
The test money comes from the sandbox market's faucet accounts (`matching.spot.accounts.faucet_account`,
which may go below zero) as linked ledger transfers, base and quote, made on the request's transaction, so
they commit together with the Idempotency-Key's stored answer (`Idempotency.committed`): a retry replays
the answer and never credits twice, and a crash before the commit leaves nothing. A live key is refused
(403 `sandbox-only`): live balances are funded by deposits, and nothing here can name a live account, since
the trader and the faucet both derive from the sandbox mode.
"""

from typing import Final

from sqlalchemy import Connection

from api.errors import ApiError
from api.markets import schemas
from api.markets.service import balances_view, open_market
from api.orders.errors import InvalidOrder, field_problem
from api.orders.runtime import SpotMarkets, trader_of
from api.paper.schemas import SandboxFunds
from ledger.ids import new_id
from ledger.model import TransferFlags, TransferSpec
from ledger.transfers import create_transfers
from matching.markets import MarketSpecError
from matching.markets.spec import parse_units
from matching.spot.accounts import ensure_accounts, faucet_account, faucet_specs, trader_account, trader_specs
from payments.merchants.tenant import Tenant

MOST_BASE: Final = 1_000_000
"""Whole base (TPW) one request may add."""
MOST_QUOTE: Final = 100_000_000
"""Whole quote (tUSD) one request may add."""


class SandboxOnly(ApiError, status=403, problem="sandbox-only", title="Sandbox keys only"):
    """Test money is for the sandbox; a live balance is funded by deposits."""


def _amount(text: str, decimals: int, most: int, field: str) -> int:
    try:
        units = parse_units(text, decimals, field)
    except MarketSpecError as error:
        raise field_problem(error) from error
    if units > most * 10**decimals:
        raise InvalidOrder(field, f"{field} may add at most {most} a request")
    return units


class Funding:
    """One checked request for test money: `credit` does it on the request's transaction."""

    def __init__(self, spot_markets: SpotMarkets, tenant: Tenant, market_id: str, body: SandboxFunds) -> None:
        if tenant.livemode:
            raise SandboxOnly("test money is for sandbox keys: a live balance is funded by deposits")
        self.market, self.spec = open_market(spot_markets, tenant, market_id)
        self.tenant = tenant
        paper = self.market.market  # the sandbox copy: its own id, faucet and references
        self.amounts = {
            paper.base: _amount(body.base, self.spec.base_decimals, MOST_BASE, "base"),
            paper.quote: _amount(body.quote, self.spec.quote_decimals, MOST_QUOTE, "quote"),
        }
        if not any(self.amounts.values()):
            raise InvalidOrder("quote", "add something: base or quote above zero")

    def credit(self, connection: Connection) -> schemas.Balances:
        paper, trader = self.market.market, trader_of(self.tenant)
        ensure_accounts(connection, [*faucet_specs(paper), *trader_specs(paper, trader)])
        moves = [(currency, amount) for currency, amount in self.amounts.items() if amount]
        reference = f"spot:{paper.id}:paper:{new_id()}"
        specs = [
            TransferSpec(
                reference=f"{reference}:{currency}",
                debit_account_id=faucet_account(paper, currency),
                credit_account_id=trader_account(trader, currency),
                amount=amount,
                currency=currency,
                flags=TransferFlags.LINKED if index < len(moves) - 1 else TransferFlags.NONE,
            )
            for index, (currency, amount) in enumerate(moves)
        ]
        failed = [outcome for outcome in create_transfers(connection, specs) if not outcome.ok]
        if failed:
            raise RuntimeError(f"sandbox funding {reference}: {failed[0].result}")
        return balances_view(self.market, self.spec, self.tenant, connection)
