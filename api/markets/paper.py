"""`POST /v1/markets/{id}/sandbox-funds`: test money for paper trading, for sandbox keys only.

A sandbox key already trades the sandbox copy of a market (`api.orders.runtime`) with its own ledger
accounts; this is how those accounts get money, as a payment provider's test mode hands out test cards.
The test money comes from the sandbox market's faucet accounts (`matching.spot.accounts.faucet_account`,
which may go below zero) as two linked ledger transfers, base and quote, committed in the request's
transaction together with the Idempotency-Key's stored answer: a retry replays the answer and never
credits twice, and a crash before the commit leaves nothing. A live key is refused (403 `sandbox-only`):
live balances are funded by deposits, and nothing here can name a live account, since the trader and the
faucet both derive from the sandbox mode.
"""

from http import HTTPStatus
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from api.auth import KEY_RESPONSES
from api.deps import IdempotencyDep, OrdersWriter
from api.errors import ApiError, problem_doc
from api.idempotency.route import idempotent_post
from api.markets import schemas
from api.markets.router import MarketPath, balances_view, open_market
from api.orders.errors import InvalidOrder, field_problem
from api.orders.runtime import trader_of
from api.orders.schemas import DecimalText
from api.schemas import ApiModel
from ledger.ids import new_id
from ledger.model import TransferFlags, TransferSpec
from ledger.transfers import create_transfers
from matching.markets import MarketSpecError
from matching.markets.spec import parse_units
from matching.spot.accounts import ensure_accounts, faucet_account, faucet_specs, trader_account, trader_specs

router = APIRouter(prefix="/v1/markets", tags=["markets"])

MOST_BASE: Final = 1_000_000
"""Whole base (TPW) one request may add."""
MOST_QUOTE: Final = 100_000_000
"""Whole quote (tUSD) one request may add."""


class SandboxOnly(ApiError, status=403, problem="sandbox-only", title="Sandbox keys only"):
    """Test money is for the sandbox; a live balance is funded by deposits."""


class SandboxFunds(ApiModel):
    """Test money to add to the caller's sandbox balances, in each currency's own units."""

    base: DecimalText = "0"
    """Base currency (TPW), a decimal string, at most 1,000,000."""
    quote: DecimalText = "0"
    """Quote currency (tUSD), a decimal string, at most 100,000,000."""


RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    **KEY_RESPONSES,
    403: problem_doc("A live key (`sandbox-only`), or a key without `orders:write`."),
    404: problem_doc("No market of this id."),
    422: problem_doc("An amount that is not a decimal string within the limits; `errors` names it."),
}


def _amount(text: str, decimals: int, most: int, field: str) -> int:
    try:
        units = parse_units(text, decimals, field)
    except MarketSpecError as error:
        raise field_problem(error) from error
    if units > most * 10**decimals:
        raise InvalidOrder(field, f"{field} may add at most {most} a request")
    return units


@idempotent_post(router, "/{market_id}/sandbox-funds", schemas.Balances, "Add paper-trading money", RESPONSES)
async def fund_sandbox(
    request: Request,
    market_id: MarketPath,
    body: SandboxFunds,
    tenant: OrdersWriter,
    idempotency: IdempotencyDep,
) -> Response:
    """Scope `orders:write`, a sandbox key. Credits the caller's sandbox balances in the market's two
    currencies with test money; answers its balances (as `GET .../balances`)."""
    if tenant.livemode:
        raise SandboxOnly("test money is for sandbox keys: a live balance is funded by deposits")
    market, spec = await run_in_threadpool(open_market, request, tenant, market_id)
    paper = market.market  # the sandbox copy: its own id, faucet and references
    amounts = {
        paper.base: _amount(body.base, spec.base_decimals, MOST_BASE, "base"),
        paper.quote: _amount(body.quote, spec.quote_decimals, MOST_QUOTE, "quote"),
    }
    if not any(amounts.values()):
        raise InvalidOrder("quote", "add something: base or quote above zero")
    trader = trader_of(tenant)

    def credit(connection: Connection) -> schemas.Balances:
        ensure_accounts(connection, [*faucet_specs(paper), *trader_specs(paper, trader)])
        moves = [(currency, amount) for currency, amount in amounts.items() if amount]
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
        outcomes = create_transfers(connection, specs)
        failed = [outcome for outcome in outcomes if not outcome.ok]
        if failed:
            raise RuntimeError(f"sandbox funding {reference}: {failed[0].result}")
        return balances_view(market, spec, tenant, connection)

    return await idempotency.committed(credit, body=body, status_code=HTTPStatus.OK)
