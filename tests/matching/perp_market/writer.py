"""A perpetual market as its own process, for the kill -9 test: `python -m tests.matching.perp_market.writer`.

Runs a seeded random flow (`tests.matching.perp_market.test_flows.step`) on the market in `directory` over
the ledger at `url`, printing `acked <n> <book seq> <input seq>` after each action returns (journaled and
stored by then), until the test kills it with SIGKILL.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from api.db import make_engine
from matching.perp_market.market import PerpMarket
from matching.perpetuals.spec import PerpSpec
from tests.matching.perp_market.test_flows import step


def main(directory: str, url: str, seed: int, length: int) -> None:
    perp = PerpMarket.open(PerpSpec(), Path(directory), make_engine(url))
    rng = random.Random(seed)
    outside, ids = 25_000, [1_000]
    for n in range(length):
        outside = step(perp, rng, outside, ids)
        print(f"acked {n} {perp.book.last_seq} {perp.inputs.last_seq}", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
