"""The pool venue's quote is the pair's own arithmetic with the fee split out; the replay venue answers
from the recording at the simulated time and takes executed lots out of its snapshot."""

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain.amm import amount_in, amount_out
from chain.paths import PROJECT_ROOT
from matching.engine import Side
from matching.routing import NoLiquidity
from matching.routing.venues import PoolVenue, load_replay
from matching.routing.venues.replay import ReplayFileError

WEI = 10**18
RECORDING = PROJECT_ROOT / "config" / "venues" / "outside.jsonl"
START = 1_796_601_600_000_000


@given(
    st.integers(2, 10**6),
    st.integers(1, 10**12),
    st.integers(1, 10**4),
    st.sampled_from(Side),
)
def test_the_pool_quote_is_the_pairs_arithmetic(lots_in_pool: int, reserve_quote: int, lots: int, side: Side):
    pool = PoolVenue("pool", lots_in_pool * WEI, reserve_quote, WEI, gas=7)
    if lots > pool.capacity(side):
        with pytest.raises(NoLiquidity):
            pool.quote(side, lots)
        return
    fill = pool.quote(side, lots)
    if side is Side.BUY:
        assert fill.notional + fill.fee == amount_in(lots * WEI, reserve_quote, lots_in_pool * WEI)
        assert fill.cost == fill.notional + fill.fee + 7
    else:
        assert fill.notional - fill.fee == amount_out(lots * WEI, lots_in_pool * WEI, reserve_quote)
        assert fill.cost == 7 - (fill.notional - fill.fee)
    assert fill.fee >= 0
    assert fill.impact >= 0


def test_an_empty_pool_has_no_capacity():
    assert PoolVenue("pool", 0, 0, WEI, 0).capacity(Side.BUY) == 0
    assert PoolVenue("pool", 10 * WEI, 10, WEI, 0).capacity(Side.BUY) == 9


def test_the_replay_answers_from_the_snapshot_at_the_simulated_time():
    venue = load_replay(RECORDING)
    assert (venue.name, venue.fee_bps, venue.gas) == ("outside", 15, 0)
    assert venue.at(START - 1).capacity(Side.BUY) == 0  # before the recording: nothing
    first = venue.at(START).quote(Side.BUY, 10)
    assert first.notional == (8 * 249 + 2 * 250) * 10_000
    executed = venue.execute(Side.BUY, 10)
    assert executed == first
    assert venue.quote(Side.BUY, 1).notional == 250 * 10_000  # the 2.49 level is gone
    assert venue.capacity(Side.BUY) == 8 + 14 + 20 + 26 - 10
    later = venue.at(START + 300_000_000)  # the next snapshot forgets the fill
    assert later.capacity(Side.BUY) == 8 + 14 + 20 + 26
    assert later.quote(Side.BUY, 1).notional == 250 * 10_000
    with pytest.raises(ValueError, match="backwards"):
        venue.at(START)
    assert venue.volume(START, START + 300_000_000) == sum(1 + j % 3 for j in range(4))


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "empty"),
        (['{"kind": "book", "ts": 1, "bids": [], "asks": []}'], "first record"),
        (['{"kind": "venue", "market": "BTC", "fee_bps": 1}'], "unknown market"),
        (
            [
                '{"kind": "venue", "market": "TPW-tUSD", "fee_bps": 1}',
                '{"kind": "book", "ts": -1, "bids": [], "asks": []}',
            ],
            "ts",
        ),
        (
            [
                '{"kind": "venue", "market": "TPW-tUSD", "fee_bps": 1}',
                '{"kind": "book", "ts": 1, "bids": [["2.505", "1"]], "asks": []}',
            ],
            ":2",
        ),
        (['{"kind": "venue", "market": "TPW-tUSD", "fee_bps": 1.5}'], "fee_bps"),
        (["not json"], "not JSON"),
    ],
)
def test_a_malformed_recording_is_refused_naming_the_line(tmp_path: Path, lines: list[str], message: str):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ReplayFileError, match=message):
        load_replay(path)


def test_the_shipped_recording_is_well_formed():
    records = [json.loads(line) for line in RECORDING.read_text().splitlines()]
    assert records[0]["kind"] == "venue"
    assert load_replay(RECORDING).volume(0, 2**62) == sum(
        int(r["qty"]) for r in records if r["kind"] == "trade"
    )
