"""A spot market as its own process, for the kill -9 test: `python -m tests.matching.spot.writer`.

Runs a seeded random flow (`tests.matching.spot.flows`) on the market in `directory` over the ledger at
`url`, printing `acked <seq>` after each command returns (journaled and posted by then), until the test
kills it with SIGKILL.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from api.db import make_engine
from matching.markets import TPW_TUSD
from matching.spot.market import SpotMarket
from tests.matching.spot.flows import step


def main(directory: str, url: str, seed: int, length: int) -> None:
    spot = SpotMarket.open(TPW_TUSD, Path(directory), make_engine(url))
    rng = random.Random(seed)
    for order_id in range(10_000, 10_000 + length):
        step(spot, rng, order_id)
        print(f"acked {spot.book.last_seq}", flush=True)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
