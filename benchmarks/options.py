"""The options' pricing cost: Φ, one Black-Scholes valuation with greeks, one margin scan, per call.

Each figure is the median of `--repeat` timed calls (after one untimed warm-up) of the Decimal code under
its fixed 40-digit context: Φ at three points (the series is longest far from zero), a full valuation
(price and five greeks: four Φ, one φ, an ln, an exp, a sqrt), and the scenario scan (21 scenarios) of a
portfolio of the six listed series. The scan is what the margin gate runs before every sell, under the
venue's lock, so its time bounds how many sells a venue admits per second. Run from the project root:

    python benchmarks/options.py            # the table
    python benchmarks/options.py --json     # {"cdf_us": ..., "valuation_us": ..., "margin_scan_ms": ...}

The load average is printed first: on a machine busy with other work every figure here is worse.
"""

import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/options.py`: the project root first (this folder
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # has a matching.py of its own)

from matching.options.margin import ScanParams, requirement
from matching.options.normal import cdf
from matching.options.pricing import Inputs, Right, value
from matching.options_market.config import load_series, load_surface


def median_us(call: Callable[[], object], repeat: int) -> float:
    call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        call()
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1_000


def main(argv: list[str]) -> None:
    repeat = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else 200
    series = load_series()
    surface = load_surface()
    now = min(s.expiry_us for s in series) - 30 * 86_400 * 1_000_000
    portfolio = {s: (-3 if i % 2 else 2) for i, s in enumerate(series)}
    inputs = Inputs(Right.CALL, Decimal(42), Decimal(40), Decimal("0.1"), Decimal("0.2"), Decimal("0.5"))
    figures = {
        "cdf_us_at_0.5": median_us(lambda: cdf(Decimal("0.5")), repeat),
        "cdf_us_at_3": median_us(lambda: cdf(Decimal(3)), repeat),
        "cdf_us_at_8": median_us(lambda: cdf(Decimal(8)), repeat),
        "valuation_us": median_us(lambda: value(inputs), repeat),
        "margin_scan_ms": median_us(
            lambda: requirement(portfolio, Decimal("2.4"), now, surface, ScanParams()), max(repeat // 10, 5)
        )
        / 1_000,
    }
    if "--json" in argv:
        print(json.dumps(figures))
        return
    print(f"load average {os.getloadavg()[0]:.2f}; median of {repeat} calls")
    for name, figure in figures.items():
        print(f"{name:<16} {figure:>10.1f}")


if __name__ == "__main__":
    main(sys.argv[1:])
