"""Settled trades recorded with their postings and cut into batches (SQLite and PostgreSQL): each trade is
recorded once whatever the market replays, is in exactly one batch, and its proof leads to the batch root."""

import threading

from sqlalchemy import Engine, func, select

from chain.merkle import verify
from matching.engine import Kind, Place, Side
from matching.markets import TPW_TUSD
from matching.settlement.batches import (
    BatchPolicy,
    choose_anchor,
    cut_batch,
    record_anchored,
    trade_proof,
    trade_row,
    unfinished,
)
from matching.settlement.schema import settlement_batches, settlement_trades
from matching.spot.accounts import fees_account
from matching.spot.market import SpotMarket
from matching.spot.poster import CURSOR_NAME
from tests.matching.spot.conftest import OpenMarket
from tests.matching.spot.ledger_view import balance

CHAIN, ANCHOR = 31337, "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9"


def trade_rounds(spot: SpotMarket, rounds: int, first_id: int = 100) -> None:
    """`rounds` commands that each print two trades: two resting sells taken by one buy."""
    for n in range(rounds):
        base = first_id + 3 * n
        spot.place(Place(0, base, 2, Side.SELL, Kind.LIMIT, 1, 200))
        spot.place(Place(0, base + 1, 2, Side.SELL, Kind.LIMIT, 2, 201))
        spot.place(Place(0, base + 2, 1, Side.BUY, Kind.LIMIT, 3, 201))


def recorded(ledger: Engine) -> list[dict[str, object]]:
    with ledger.connect() as connection:
        rows = connection.execute(select(settlement_trades).order_by(settlement_trades.c.id))
        return [dict(row._mapping) for row in rows]


def test_each_trade_is_recorded_with_its_sides_and_fees(market: SpotMarket, ledger: Engine) -> None:
    trade_rounds(market, 2)
    rows = recorded(ledger)
    assert [row["id"] for row in rows] == [
        "spot:TPW-tUSD:3:0",
        "spot:TPW-tUSD:3:1",
        "spot:TPW-tUSD:6:0",
        "spot:TPW-tUSD:6:1",
    ]
    first = rows[0]
    assert (first["buyer"], first["seller"], first["price"], first["qty"]) == (1, 2, 200, 1)
    # the buyer took (20 bps), the seller rested (10 bps): 1 lot at 2.00 tUSD = 2,000,000 units notional
    assert (first["buyer_fee"], first["seller_fee"]) == (4_000, 2_000)
    fees = sum(int(row["buyer_fee"]) + int(row["seller_fee"]) for row in rows)  # type: ignore[call-overload]
    assert fees == balance(ledger, fees_account(TPW_TUSD, TPW_TUSD.quote))


def test_a_replay_of_the_journal_records_no_trade_twice(
    market: SpotMarket, open_market: OpenMarket, ledger: Engine, tmp_path: object
) -> None:
    trade_rounds(market, 2)
    before = recorded(ledger)
    market.close()
    (market.book.directory / CURSOR_NAME).unlink()  # every command re-posted at reopen
    open_market()
    assert recorded(ledger) == before


def test_batches_cut_by_size_then_by_age_each_trade_in_exactly_one(
    market: SpotMarket, ledger: Engine
) -> None:
    trade_rounds(market, 3)  # 6 trades
    policy = BatchPolicy(max_trades=4, max_age_us=1_000_000)
    start = max(int(row["recorded_us"]) for row in recorded(ledger))  # type: ignore[call-overload]
    first = cut_batch(ledger, policy, CHAIN, ANCHOR, now_us=start)
    assert first is not None
    assert (first.id, first.count, first.status) == (1, 4, "cut")
    assert cut_batch(ledger, policy, CHAIN, ANCHOR, now_us=start + 10**9) is None  # batch 1 unfinished
    choose_anchor(ledger, 1, 1, bytes(32))
    record_anchored(ledger, 1, "0x" + "ab" * 32, 7)
    assert unfinished(ledger) is None
    assert cut_batch(ledger, policy, CHAIN, ANCHOR, now_us=start) is None  # 2 waiting, not old enough
    second = cut_batch(ledger, policy, CHAIN, ANCHOR, now_us=start + 1_000_000)
    assert second is not None
    assert (second.id, second.count) == (2, 2)
    rows = recorded(ledger)
    assert sorted((row["batch_id"], row["position"]) for row in rows) == [
        (1, 0),
        (1, 1),
        (1, 2),
        (1, 3),
        (2, 0),
        (2, 1),
    ]
    for row in rows:
        found = trade_row(ledger, str(row["id"]))
        assert found is not None
        proof = trade_proof(ledger, found)
        assert proof is not None
        assert verify(proof.batch.root, proof.leaf, proof.proof)


def test_racing_cutters_commit_one_batch(market: SpotMarket, ledger: Engine) -> None:
    trade_rounds(market, 2)
    policy = BatchPolicy(max_trades=4, max_age_us=0)
    results: list[object] = []
    barrier = threading.Barrier(4)

    def cut() -> None:
        barrier.wait()
        results.append(cut_batch(ledger, policy, CHAIN, ANCHOR))

    threads = [threading.Thread(target=cut) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result is not None for result in results) == 1
    with ledger.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(settlement_batches)) == 1
        batched = connection.scalar(
            select(func.count()).select_from(settlement_trades).where(settlement_trades.c.batch_id == 1)
        )
    assert batched == 4
