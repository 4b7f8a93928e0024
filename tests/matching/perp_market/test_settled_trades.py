"""The perpetual's trades recorded for anchoring (SQLite and PostgreSQL): each fill once, venue 2, with
the fee each side was charged (the liquidation fee for a liquidation order's fill), in the transaction
of the step's money; a replay after an unclean close adds nothing; a batch cut over them proves."""

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from chain.merkle import verify
from matching.engine import Kind, Place, Side, Tif
from matching.perp_market import market as market_module
from matching.perp_market.accounts import fees_account, fund_account
from matching.perp_market.market import CURSOR_NAME, PerpMarket
from matching.perpetuals.margin import fee
from matching.settlement.batches import BatchPolicy, cut_batch, trade_proof, trade_row
from matching.settlement.leaf import Venue
from matching.settlement.schema import settlement_trades
from tests.matching.perp_market.conftest import OpenPerp, long_over_a_bid
from tests.matching.perp_market.view import balance, records

PRICE = 25_000
CHAIN, ANCHOR = 31337, "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9"


def recorded(ledger: Engine) -> list[dict[str, Any]]:
    with ledger.connect() as connection:
        rows = connection.execute(select(settlement_trades).order_by(settlement_trades.c.recorded_us))
        return sorted((dict(row._mapping) for row in rows), key=lambda row: (row["seq"], row["trade_index"]))


def liquidated(perp: PerpMarket) -> None:
    """Trader 1 long 50,000 lots from trader 2 at 25,000; the price falls to 20,000 and trader 1's
    position is liquidated into trader 3's bid at 19,700."""
    long_over_a_bid(perp, PRICE)
    perp.price_round(20_000)


def test_fills_are_recorded_with_the_fees_each_side_paid(perp: PerpMarket, ledger: Engine) -> None:
    liquidated(perp)
    rows = recorded(ledger)
    assert {row["venue"] for row in rows} == {int(Venue.PERPETUAL)}
    first, *liquidations = rows
    spec = perp.spec
    assert first["id"] == f"perp:{perp.id}:2:0"  # book seq 2: trader 1's IOC buy took trader 2's sell
    assert (first["buyer"], first["seller"], first["price"], first["qty"]) == (1, 2, PRICE, 50_000)
    assert first["buyer_fee"] == fee(50_000, PRICE, spec.taker_fee_bps, spec)
    assert first["seller_fee"] == fee(50_000, PRICE, spec.maker_fee_bps, spec)
    assert liquidations, "the price round liquidated into trader 3's bid"
    filled = records(ledger, "liquidation_filled")
    assert [(row["seller"], row["buyer"], row["price"]) for row in liquidations] == [
        (1, 3, 19_700) for _ in filled
    ]
    assert [row["seller_fee"] for row in liquidations] == [r.amount for r in filled]  # capped at equity
    assert all(row["seq"] > 3 for row in liquidations)  # the liquidation orders' own book seqs
    # every fee the ledger's fees account and the insurance fund took is a recorded side's fee
    trading = sum(row["buyer_fee"] + row["seller_fee"] for row in rows) - sum(r.amount for r in filled)
    assert trading == balance(ledger, fees_account(perp.id))
    assert sum(r.amount for r in filled) <= balance(ledger, fund_account(perp.id))


def test_an_unclean_close_records_nothing_twice(
    perp: PerpMarket, open_perp: OpenPerp, ledger: Engine, tmp_path: Path
) -> None:
    liquidated(perp)
    perp.place(Place(0, 14, 2, Side.BUY, Kind.LIMIT, 10_000, 19_800, tif=Tif.IOC))
    before = recorded(ledger)
    assert len(before) >= 3
    perp.book.close()  # no close: the files as the dead process left them, every cursor write lost
    perp.inputs.close()
    market_module.os.close(perp._writer_lock)
    perp._writer_lock = -1
    (tmp_path / "perp" / CURSOR_NAME).unlink()

    open_perp()
    assert recorded(ledger) == before


def test_a_batch_over_perpetual_trades_proves_each(perp: PerpMarket, ledger: Engine) -> None:
    liquidated(perp)
    rows = recorded(ledger)
    batch = cut_batch(ledger, BatchPolicy(max_trades=100, max_age_us=0), CHAIN, ANCHOR)
    assert batch is not None
    assert batch.count == len(rows)
    for row in rows:
        found = trade_row(ledger, row["id"])
        assert found is not None
        proof = trade_proof(ledger, found)
        assert proof is not None
        assert verify(proof.batch.root, proof.leaf, proof.proof)
