"""A trader withdrawing perpetual margin while its own orders are placed, all at once over HTTP: the order
margin check and the withdrawal's check run under the market's single-writer lock, so whatever order the
requests are served in, the trader never ends with resting orders its margin cannot carry, nor with a
negative margin or wallet; every tUSD withdrawn is in the wallet once, and the ledger audits clean."""

import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest
from sqlalchemy import Engine, create_engine

from api.orders.runtime import trader_of
from api.settings import ApiSettings
from ledger.check import verify
from matching.perp_market.accounts import wallet_account
from matching.perp_market.order_margin import open_orders
from matching.perpetuals.margin import carries
from payments.merchants.tenant import Tenant
from tests.api.merchants.conftest import Onboarded
from tests.api.perps.conftest import TRANSFERS, Perp, order
from tests.matching.spot.ledger_view import balance

ORDERS = "/v1/orders"
PLACERS, WITHDRAWERS, ORDERS_EACH = 4, 2, 10
CHUNK = Decimal(40)
UNIT = 1_000_000  # tUSD minor units


@pytest.fixture
def ledger(api_settings: ApiSettings) -> Iterator[Engine]:
    engine = create_engine(api_settings.database_url)
    yield engine
    engine.dispose()


def place(trader: Onboarded, seed: int) -> list[httpx.Response]:
    """Resting orders that never cross each other: buys at 2.40 and below, sells at 2.60 and above."""
    rng = random.Random(seed)
    answers = []
    for _ in range(ORDERS_EACH):
        if rng.random() < 0.5:
            body = order("buy", f"2.{40 - rng.randint(0, 5)}", str(rng.randint(50, 250)))
        else:
            body = order("sell", f"2.{60 + rng.randint(0, 5)}", str(rng.randint(50, 250)))
        answers.append(trader.sandbox.post(ORDERS, body))
    return answers


def withdraw(trader: Onboarded) -> list[httpx.Response]:
    """`CHUNK` tUSD at a time until three in a row are refused."""
    answers: list[httpx.Response] = []
    refused = 0
    while refused < 3:
        body = {"market": "TPW-PERP", "direction": "withdraw", "amount": str(CHUNK)}
        answer = trader.sandbox.post(TRANSFERS, body)
        answers.append(answer)
        refused = refused + 1 if answer.status_code == 422 else 0
    return answers


def test_withdrawing_while_placing_never_leaves_resting_orders_unmargined(
    traders: tuple[Onboarded, Onboarded], perp: Perp, ledger: Engine
) -> None:
    a, _ = traders
    trader = trader_of(Tenant(a.id, False))
    wallet_before = balance(ledger, wallet_account(trader))
    with ThreadPoolExecutor(PLACERS + WITHDRAWERS) as pool:
        placing = [pool.submit(place, a, seed) for seed in range(PLACERS)]
        withdrawing = [pool.submit(withdraw, a) for _ in range(WITHDRAWERS)]
        placed = [answer for job in placing for answer in job.result()]
        withdrawn = [answer for job in withdrawing for answer in job.result()]
    assert {answer.status_code for answer in placed} <= {201, 422}, [a.text for a in placed]
    assert {answer.status_code for answer in withdrawn} <= {201, 422}, [a.text for a in withdrawn]
    accepted_orders = [answer for answer in placed if answer.status_code == 201]
    accepted_withdrawals = sum(answer.status_code == 201 for answer in withdrawn)
    assert accepted_orders, "no order rested: the test would prove nothing"
    assert accepted_withdrawals > 0
    for refused in (answer for answer in placed + withdrawn if answer.status_code == 422):
        assert [error["field"] for error in refused.json()["errors"]] in (["qty"], ["amount"]), refused.text

    market = perp(False)
    held = market.account(trader)
    assert held is not None
    account, _, mark = held
    buys, sells = open_orders(market.book.engine.book, trader)
    assert len(buys) + len(sells) == len(accepted_orders)  # nothing filled: every accepted order rests
    assert carries(account, buys, sells, mark, market.spec)  # the margin carries every resting order
    taken = accepted_withdrawals * int(CHUNK) * UNIT
    assert account.collateral == 1_000 * UNIT - taken >= 0
    assert balance(ledger, wallet_account(trader)) == wallet_before + taken
    assert verify(ledger) == []
