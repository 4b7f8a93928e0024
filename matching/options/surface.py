"""The implied volatility surface: a grid of tenors × moneyness, checked whole at load, interpolated.

The file (`config/options/surface.yaml`) gives, for each tenor in days, one volatility per moneyness
K/S (the strike over the underlying's price). Volatilities are quoted decimal strings ("0.65"): a YAML
float would be a binary float, and the surface feeds money. A point between the grid's nodes is read:

- **in moneyness:** linearly in volatility between the two neighbouring nodes of each tenor, flat beyond
  the first and last node (no extrapolated smile);
- **across tenors:** linearly in *total variance* w = σ²·t between the two neighbouring tenors, then
  σ = √(w/t). Total variance, not volatility, is what must grow with time for the surface to be free of
  calendar arbitrage, so the loader refuses a grid where it falls, and interpolating it keeps that
  property between the nodes. Before the first tenor the first tenor's volatility holds; after the last,
  the last's.

Every refusal names the file and the entry (`tenors[2]`, `vols[1][3]`), so a bad edit is found at once.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from matching.options.decimal_context import CONTEXT

DAYS_PER_YEAR: Final = Decimal(365)
MAX_VOL: Final = Decimal(5)


class SurfaceError(ValueError):
    """A surface file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class VolSurface:
    """Volatilities by tenor (days, increasing) and moneyness (K/S, increasing)."""

    tenors_days: tuple[int, ...]
    moneyness: tuple[Decimal, ...]
    vols: tuple[tuple[Decimal, ...], ...]

    def vol(self, moneyness: Decimal, years: Decimal) -> Decimal:
        """The volatility at `moneyness` for an option `years` from expiry (see the module docstring)."""
        c = CONTEXT
        times = [c.divide(Decimal(days), DAYS_PER_YEAR) for days in self.tenors_days]
        if years <= times[0]:
            return self._smile(0, moneyness)
        if years >= times[-1]:
            return self._smile(len(times) - 1, moneyness)
        upper = bisect_right(times, years)
        lower = upper - 1
        w_low = c.multiply(c.power(self._smile(lower, moneyness), 2), times[lower])
        w_high = c.multiply(c.power(self._smile(upper, moneyness), 2), times[upper])
        share = c.divide(c.subtract(years, times[lower]), c.subtract(times[upper], times[lower]))
        total = c.add(w_low, c.multiply(share, c.subtract(w_high, w_low)))
        return c.sqrt(c.divide(total, years))

    def _smile(self, row: int, moneyness: Decimal) -> Decimal:
        c, nodes, vols = CONTEXT, self.moneyness, self.vols[row]
        if moneyness <= nodes[0]:
            return vols[0]
        if moneyness >= nodes[-1]:
            return vols[-1]
        upper = bisect_right(nodes, moneyness)
        lower = upper - 1
        share = c.divide(c.subtract(moneyness, nodes[lower]), c.subtract(nodes[upper], nodes[lower]))
        return c.add(vols[lower], c.multiply(share, c.subtract(vols[upper], vols[lower])))


def _decimal(value: Any, where: str) -> Decimal:
    if not isinstance(value, str):
        raise SurfaceError(f'{where}: must be a quoted decimal string such as "0.65", not {value!r}')
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise SurfaceError(f"{where}: {value!r} is not a decimal") from None
    if not number.is_finite() or number <= 0:
        raise SurfaceError(f"{where}: must be positive, got {value!r}")
    return number


def _list(data: Mapping[str, Any], key: str, source: str) -> Sequence[Any]:
    value = data.get(key)
    if not isinstance(value, list) or not value:
        raise SurfaceError(f"{source}: {key}: must be a non-empty list")
    return value


def parse_surface(data: Any, source: str) -> VolSurface:
    """The surface in `data` (the parsed file), checked whole; `source` names the file in errors."""
    if not isinstance(data, dict):
        raise SurfaceError(f"{source}: must be a mapping with tenors_days, moneyness and vols")
    unknown = set(data) - {"tenors_days", "moneyness", "vols"}
    if unknown:
        raise SurfaceError(f"{source}: {sorted(unknown)[0]}: unknown entry")
    tenors: list[int] = []
    for i, days in enumerate(_list(data, "tenors_days", source)):
        if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
            raise SurfaceError(f"{source}: tenors_days[{i}]: must be a positive whole number of days")
        if tenors and days <= tenors[-1]:
            raise SurfaceError(f"{source}: tenors_days[{i}]: must be above the tenor before it")
        tenors.append(days)
    nodes: list[Decimal] = []
    for i, text in enumerate(_list(data, "moneyness", source)):
        node = _decimal(text, f"{source}: moneyness[{i}]")
        if nodes and node <= nodes[-1]:
            raise SurfaceError(f"{source}: moneyness[{i}]: must be above the node before it")
        nodes.append(node)
    rows = _list(data, "vols", source)
    if len(rows) != len(tenors):
        raise SurfaceError(f"{source}: vols: needs one row per tenor ({len(tenors)}), has {len(rows)}")
    grid: list[tuple[Decimal, ...]] = []
    for i, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != len(nodes):
            raise SurfaceError(f"{source}: vols[{i}]: needs one volatility per moneyness node ({len(nodes)})")
        vols = tuple(_decimal(text, f"{source}: vols[{i}][{j}]") for j, text in enumerate(row))
        for j, vol in enumerate(vols):
            if vol > MAX_VOL:
                raise SurfaceError(f"{source}: vols[{i}][{j}]: above {MAX_VOL} (500 %): a typo?")
            c = CONTEXT
            if grid and c.multiply(c.power(vol, 2), tenors[i]) < c.multiply(
                c.power(grid[-1][j], 2), tenors[i - 1]
            ):
                raise SurfaceError(
                    f"{source}: vols[{i}][{j}]: total variance falls from the tenor before (calendar arb.)"
                )
        grid.append(vols)
    return VolSurface(tuple(tenors), tuple(nodes), tuple(grid))
