"""Many clients at once on the sandbox option books over HTTP: writers sell calls and buy them back (each
buy-back releasing margin their smaller short no longer needs), others sell and cancel, all concurrently.
Afterwards every writer's margin account holds what the scan of its exposure requires (never less: no
short is left un-margined; no more than the scan's drift since its last order: every release happened),
the ledger audits clean (no account below zero, every currency summing to zero), each book's escrow holds
exactly its open buys' premiums, and reopening the venue from its journals (the replay) rebuilds the same
books and positions, posts nothing, and finds every margin account still covering its requirement."""

import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine

from api.orders.runtime import SpotMarkets, trader_of
from api.settings import ApiSettings
from ledger.check import verify
from matching.engine import Side
from matching.options_market.venue import OptionVenue
from matching.spot.accounts import escrow_account
from payments.merchants.tenant import Tenant
from tests.api.merchants.conftest import Caller, Onboarded, onboard
from tests.api.options.test_routes import CALL, POSITIONS, order, set_index
from tests.api.orders.conftest import Fund
from tests.matching.spot.ledger_view import balance, transfer_count

ORDERS = "/v1/orders"
WRITERS = 6
STEPS = 14
DRIFT = 10_000
"""How far (QTU units: 0.01 tUSD) a writer's requirement may fall below what was held for it, by the
time value the scan lost between its last order and the check (seconds on a series months from expiry)."""


@pytest.fixture
def ledger(api_settings: ApiSettings) -> Iterator[Engine]:
    engine = create_engine(api_settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def writers(client: TestClient, admin: Caller, fund: Fund) -> list[Onboarded]:
    made = [onboard(client, admin, f"Writer {n}") for n in range(WRITERS)]
    for merchant in made:
        fund(merchant, False, 100, 2_000)
    return made


def flow(merchant: Onboarded, seed: int) -> list[httpx.Response]:
    """One client's orders: writes (resting sells), buy-backs (IOC buys that take others' sells), resting
    buys and cancels, drawn from `seed`."""
    rng = random.Random(seed)
    answers: list[httpx.Response] = []
    resting: list[str] = []
    for _ in range(STEPS):
        qty = str(rng.randint(1, 3))
        move = rng.random()
        if move < 0.4:
            answer = merchant.sandbox.post(ORDERS, order(CALL, "sell", f"0.3{rng.randint(0, 4)}", qty))
        elif move < 0.75:
            answer = merchant.sandbox.post(
                ORDERS, order(CALL, "buy", f"0.3{rng.randint(2, 6)}", qty, time_in_force="ioc")
            )
        elif move < 0.85:
            answer = merchant.sandbox.post(ORDERS, order(CALL, "buy", f"0.2{rng.randint(7, 9)}", qty))
        elif resting:
            answer = merchant.sandbox.delete(f"{ORDERS}/{resting.pop(rng.randrange(len(resting)))}")
        else:
            continue
        answers.append(answer)
        if answer.status_code == 201 and answer.json()["status"] in ("open", "partially_filled"):
            resting.append(answer.json()["id"])
    return answers


def open_buys_need(venue: OptionVenue, ledger: Engine) -> list[tuple[str, int, int]]:
    """Per book: (market, what its escrow holds, what its open buys' premiums need)."""
    found = []
    for book in venue.books.values():
        need = sum(
            book.settlement.need(Side.BUY, resting.leaves, resting.price)
            for resting in book.book.engine.book.orders.values()
            if resting.side == Side.BUY
        )
        found.append((book.market.id, balance(ledger, escrow_account(book.market, "QTU")), need))
    return found


def test_concurrent_buy_backs_and_writes_keep_margin_and_ledger_whole(
    client: TestClient, writers: list[Onboarded], ledger: Engine
) -> None:
    set_index(writers[0], writers[1], "2.40")
    for merchant in writers:  # every writer starts short, so that buying back releases margin
        written = merchant.sandbox.post(ORDERS, order(CALL, "sell", "0.35", "3"))
        assert written.status_code == 201, written.text
    for merchant in writers[1:]:
        taken = merchant.sandbox.post(ORDERS, order(CALL, "buy", "0.35", "3", time_in_force="ioc"))
        assert taken.status_code == 201, taken.text
    with ThreadPoolExecutor(WRITERS) as pool:
        answers = [a for batch in pool.map(flow, writers, range(WRITERS)) for a in batch]
    assert {answer.status_code for answer in answers} <= {200, 201, 422}, [
        answer.text for answer in answers if answer.status_code >= 500
    ]
    assert sum(answer.status_code == 201 for answer in answers) > WRITERS * STEPS // 3

    markets: SpotMarkets = client.app.state.spot_markets  # type: ignore[attr-defined]
    venue = markets.options.venue(False)
    traders = [trader_of(Tenant(merchant.id, False)) for merchant in writers]
    assert any(position.lots < 0 for trader in traders for position in venue.positions(trader))
    for merchant, trader in zip(writers, traders, strict=True):
        held, required = venue.held_margin(trader), venue.margin(trader).requirement
        assert required <= held <= required + DRIFT, (merchant.id, held, required)
        shown = merchant.sandbox.get(POSITIONS).json()["margin"]
        assert Decimal(shown["held"]) >= Decimal(shown["requirement"])
    assert verify(ledger) == []
    for market, held_in_escrow, needed in open_buys_need(venue, ledger):
        assert held_in_escrow == needed, market

    positions = {trader: venue.positions(trader) for trader in traders}
    hashes = {series_id: book.book.state_hash() for series_id, book in venue.books.items()}
    transfers = transfer_count(ledger)
    markets.options.close()
    replayed = markets.options.venue(False)
    assert replayed is not venue
    assert {trader: replayed.positions(trader) for trader in traders} == positions
    assert {series_id: book.book.state_hash() for series_id, book in replayed.books.items()} == hashes
    assert transfer_count(ledger) == transfers
    for trader in traders:
        assert replayed.held_margin(trader) >= replayed.margin(trader).requirement
    for market, held_in_escrow, needed in open_buys_need(replayed, ledger):
        assert held_in_escrow == needed, market
