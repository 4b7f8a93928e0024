"""The smart order router's cost: routes per second and latency over the three venues it splits across.

The venues are the shapes the API builds: a book of 100 levels (1-40 lots each, one tick apart), the
devnet pool's reserves (100,000 TPW, 250,000 tUSD, 0.48 tUSD of gas) and the recorded outside venue's
first snapshot (config/venues/outside.jsonl). Orders of 1, 10, 100 and 1,000 lots, both sides; each
route is computed from scratch (no cache between routes), as a quote or a slice does it.

    python benchmarks/routing.py          # the table
    python benchmarks/routing.py --json   # one object: routing_<lots>_p50_us, routing_<lots>_p99_us, ...
"""

import json
import random
import statistics
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/routing.py`: make the project root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from chain.paths import PROJECT_ROOT
from matching.engine import Side
from matching.markets import TPW_TUSD
from matching.routing import route
from matching.routing.venues import BookVenue, Ladder, PoolVenue, gas_in_quote, load_replay
from matching.routing.venues.pool import SWAP_GAS

SIZES = (1, 10, 100, 1_000)
ROUNDS = 200


def venues() -> list[object]:
    rng = random.Random(13)
    asks = [(251 + i, rng.randint(1, 40)) for i in range(100)]
    bids = [(249 - i, rng.randint(1, 40)) for i in range(100)]
    book = BookVenue("book", TPW_TUSD, Ladder(bids, asks), TPW_TUSD.taker_fee_bps)
    gas = gas_in_quote(SWAP_GAS, 10**9, 3_000 * 10**6)
    pool = PoolVenue("pool", 100_000 * 10**18, 250_000 * 10**6, 10**18, gas)
    outside = load_replay(PROJECT_ROOT / "config" / "venues" / "outside.jsonl")
    outside.at(outside.snapshots[0].ts)
    return [book, pool, outside]


def main() -> None:
    found = venues()
    figures: dict[str, float] = {}
    for lots in SIZES:
        times = []
        for n in range(ROUNDS):
            side = Side.BUY if n % 2 else Side.SELL
            start = time.perf_counter_ns()
            route(found, side, lots)  # type: ignore[arg-type]
            times.append((time.perf_counter_ns() - start) / 1_000)
        times.sort()
        figures[f"routing_{lots}_p50_us"] = round(statistics.median(times), 1)
        figures[f"routing_{lots}_p99_us"] = round(times[int(len(times) * 0.99) - 1], 1)
        figures[f"routing_{lots}_per_s"] = round(1_000_000 / statistics.mean(times), 1)
    if "--json" in sys.argv:
        print(json.dumps(figures))
        return
    print(f"{'lots':>6} {'routes/s':>10} {'p50 µs':>10} {'p99 µs':>10}")
    for lots in SIZES:
        print(
            f"{lots:>6} {figures[f'routing_{lots}_per_s']:>10} {figures[f'routing_{lots}_p50_us']:>10} "
            f"{figures[f'routing_{lots}_p99_us']:>10}"
        )


if __name__ == "__main__":
    main()
