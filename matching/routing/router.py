"""The smart order router: split an order across venues by least total cost, and say why.

Total cost is a fill's `cost` summed over the venues used: price impact and fees (which grow with the
lots a venue takes) and gas (a fixed cost of using a venue at all). Because gas is fixed, the best split
may leave a venue out entirely, so the router tries every subset of the venues (three venues: seven
subsets). Within a subset it hands out the order in chunks, each to the venue whose next chunk costs least
(the marginal cost: impact grows along a book's levels and a pool's curve, so cheap lots go first); a
chunk is 1/`CHUNKS` of the order, at least one lot. The subset whose split costs least wins. A venue
alone is one of the subsets, so the route never costs more than the cheapest venue able to fill the
whole order by itself.

Everything is integers in quote minor units, and ties are broken by the venues' order (then fewer venues),
so the same venues and order give the same route. `Leg.reason` explains each venue: why it got what it
got, or why it got nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Final

from matching.engine import Side
from matching.routing.fills import Fill, NoLiquidity, Venue

CHUNKS: Final = 200


@dataclass(frozen=True, slots=True)
class Leg:
    """One venue's part of a route: its fill (None when it takes nothing) and why."""

    venue: str
    fill: Fill | None
    reason: str
    detail: str

    @property
    def lots(self) -> int:
        return self.fill.lots if self.fill is not None else 0


@dataclass(frozen=True, slots=True)
class Route:
    """The chosen split: a leg per venue (in the venues' order), and its total cost."""

    side: Side
    lots: int
    legs: tuple[Leg, ...]
    cost: int

    @property
    def fills(self) -> list[Fill]:
        return [leg.fill for leg in self.legs if leg.fill is not None]


class _Costs:
    """Fills by (venue index, lots), computed once per route; `variable` is a fill's cost less its gas."""

    def __init__(self, venues: Sequence[Venue], side: Side) -> None:
        self.venues = venues
        self.side = side
        self.capacity = [venue.capacity(side) for venue in venues]
        self._fills: dict[tuple[int, int], Fill] = {}

    def fill(self, index: int, lots: int) -> Fill:
        key = (index, lots)
        if key not in self._fills:
            self._fills[key] = self.venues[index].quote(self.side, lots)
        return self._fills[key]

    def variable(self, index: int, lots: int) -> int:
        if lots == 0:
            return 0
        fill = self.fill(index, lots)
        return fill.cost - fill.gas

    def total(self, allocation: dict[int, int]) -> int:
        return sum(self.fill(index, lots).cost for index, lots in allocation.items() if lots)


def _split(costs: _Costs, subset: tuple[int, ...], lots: int) -> dict[int, int]:
    """Hand `lots` out in chunks to the cheapest next chunk among `subset` (ties: the earlier venue)."""
    chunk = max(1, lots // CHUNKS)
    taken = dict.fromkeys(subset, 0)
    remaining = lots
    while remaining:
        best: tuple[int, int, int] | None = None  # (marginal cost, size, index)
        for index in subset:
            size = min(chunk, remaining, costs.capacity[index] - taken[index])
            if size <= 0:
                continue
            marginal = costs.variable(index, taken[index] + size) - costs.variable(index, taken[index])
            # per-lot comparison without division: marginal / size < best_marginal / best_size
            if best is None or marginal * best[1] < best[0] * size:
                best = (marginal, size, index)
        if best is None:
            raise NoLiquidity("the subset ran out of depth")  # excluded by the caller's capacity check
        taken[best[2]] += best[1]
        remaining -= best[1]
    return taken


def route(venues: Sequence[Venue], side: Side, lots: int) -> Route:
    """The least-cost split of `lots` on `side` across `venues`; `NoLiquidity` if together they are short."""
    if lots <= 0:
        raise ValueError("lots must be positive")
    costs = _Costs(venues, side)
    if sum(costs.capacity) < lots:
        raise NoLiquidity(f"the venues hold {sum(costs.capacity)} lots on this side, not {lots}")
    best: tuple[int, int, dict[int, int]] | None = None  # (cost, venues used, allocation)
    for size in range(1, len(venues) + 1):
        for subset in combinations(range(len(venues)), size):
            if sum(costs.capacity[index] for index in subset) < lots:
                continue
            allocation = _split(costs, subset, lots)
            total = costs.total(allocation)
            used = sum(1 for taken in allocation.values() if taken)
            if best is None or (total, used) < (best[0], best[1]):
                best = (total, used, allocation)
    assert best is not None  # the full set has the capacity
    return Route(side, lots, _explain(costs, best[2]), best[0])


def _explain(costs: _Costs, allocation: dict[int, int]) -> tuple[Leg, ...]:
    """A leg per venue, with the reason it took what it took."""
    used = {index: lots for index, lots in allocation.items() if lots}
    worst_used = max(
        (costs.variable(index, lots) - costs.variable(index, lots - 1) for index, lots in used.items()),
        default=0,
    )
    legs = []
    for index, venue in enumerate(costs.venues):
        lots, capacity = used.get(index, 0), costs.capacity[index]
        if capacity == 0:
            legs.append(Leg(venue.name, None, "no_liquidity", "nothing to trade on this side"))
        elif lots == 0:
            gas = costs.fill(index, 1).gas
            legs.append(
                Leg(
                    venue.name,
                    None,
                    "costlier",
                    f"every split using it cost more (its gas is {gas}, and its price and fees did not "
                    "save as much)",
                )
            )
        elif lots == capacity:
            legs.append(Leg(venue.name, costs.fill(index, lots), "depth_exhausted", "took all it offers"))
        elif len(used) == 1:
            legs.append(
                Leg(venue.name, costs.fill(index, lots), "cheapest", "the whole order: cheapest here alone")
            )
        else:
            following = costs.variable(index, lots + 1) - costs.variable(index, lots)
            legs.append(
                Leg(
                    venue.name,
                    costs.fill(index, lots),
                    "marginal_cost",
                    f"its next lot would cost {following}, and no lot placed elsewhere cost over "
                    f"{worst_used}",
                )
            )
    return tuple(legs)
