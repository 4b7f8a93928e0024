"""An outside venue replayed from a recorded file: its book snapshots and trades, answered at a simulated
time. It is the connector interface's stand-in for an exchange this machine cannot reach: the router and
the slicer see a venue whose depth and volume move with the recording, deterministically.

The file (`config/venues/<name>.jsonl`) is JSON lines, timestamps in µs, prices and quantities as the
market's decimal strings (whole ticks and lots, read exactly by `MarketSpec`):

    {"kind": "venue", "name": "outside", "market": "TPW-tUSD", "fee_bps": 15, "gas": "0"}
    {"kind": "book", "ts": 1000000, "bids": [["2.49", "40"]], "asks": [["2.51", "25"]]}
    {"kind": "trade", "ts": 1500000, "price": "2.50", "qty": "3"}

At time `t` the venue's depth is the last snapshot at or before `t`; what has been executed against that
snapshot is taken out of it (two fills cannot both take one level) until the next snapshot replaces it.
The trades are the venue's volume, from which a VWAP schedule draws its weights (`volume`).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matching.engine import Side
from matching.markets import MarketSpec, MarketSpecError, markets
from matching.routing.fills import Fill
from matching.routing.venues.book import BookVenue, Ladder, Level


class ReplayFileError(ValueError):
    """A recording that is not in the format above (the line is named)."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    ts: int
    ladder: Ladder


@dataclass(frozen=True, slots=True)
class RecordedTrade:
    ts: int
    price: int
    qty: int


def _levels(spec: MarketSpec, raw: Any, where: str) -> tuple[Level, ...]:
    if not isinstance(raw, list):
        raise ReplayFileError(f"{where}: levels must be a list of [price, qty]")
    try:
        return tuple((spec.price_ticks(price), spec.qty_lots(qty)) for price, qty in raw)
    except (MarketSpecError, TypeError, ValueError) as error:
        raise ReplayFileError(f"{where}: {error}") from None


def _ts(record: dict[str, Any], where: str) -> int:
    ts = record.get("ts")
    if not isinstance(ts, int) or isinstance(ts, bool) or ts < 0:
        raise ReplayFileError(f"{where}: ts must be a non-negative integer (µs)")
    return ts


class ReplayVenue:
    """The recorded venue, positioned at a simulated time with `at`."""

    def __init__(
        self,
        name: str,
        market: MarketSpec,
        fee_bps: int,
        gas: int,
        snapshots: Sequence[Snapshot],
        trades: Sequence[RecordedTrade],
    ) -> None:
        self.name = name
        self.market = market
        self.fee_bps = fee_bps
        self.gas = gas
        self.snapshots = sorted(snapshots, key=lambda snapshot: snapshot.ts)
        self.trades = sorted(trades, key=lambda trade: trade.ts)
        self._index = -1
        self._taken: dict[Side, int] = {Side.BUY: 0, Side.SELL: 0}

    def at(self, ts: int) -> ReplayVenue:
        """Move the simulated clock to `ts` (it may only go forward); a new snapshot forgets past fills."""
        index = bisect.bisect_right([snapshot.ts for snapshot in self.snapshots], ts) - 1
        if index < self._index:
            raise ValueError("the replay's clock went backwards")
        if index != self._index:
            self._index = index
            self._taken = {Side.BUY: 0, Side.SELL: 0}
        return self

    def looped(self, ts: int) -> int:
        """`ts` mapped into the recording, which repeats: its first snapshot's time plus `ts` modulo the
        recording's length (its last snapshot lasts as long as the one before it)."""
        times = [snapshot.ts for snapshot in self.snapshots]
        if len(times) < 2:
            return ts
        length = times[-1] - times[0] + (times[-1] - times[-2])
        return times[0] + (ts - times[0]) % length

    def can_move_to(self, ts: int) -> bool:
        """Whether `at(ts)` is forward (a loop's restart is not: start from `rewound`)."""
        return bisect.bisect_right([snapshot.ts for snapshot in self.snapshots], ts) - 1 >= self._index

    def rewound(self) -> ReplayVenue:
        """The same recording before its first snapshot, nothing executed."""
        return ReplayVenue(self.name, self.market, self.fee_bps, self.gas, self.snapshots, self.trades)

    def view(self, side: Side, limit: int | None = None) -> BookVenue:
        """The current snapshot less what fills took on `side`, within `limit`, as a book venue."""
        if self._index < 0:
            return BookVenue(self.name, self.market, Ladder(), self.fee_bps, self.gas)
        ladder = self.snapshots[self._index].ladder
        levels, taken = [], self._taken[side]
        for price, lots in ladder.opposite(side):
            left = lots - min(lots, taken)
            taken -= lots - left
            if left:
                levels.append((price, left))
        rest = Ladder(asks=levels) if side is Side.BUY else Ladder(bids=levels)
        return BookVenue(self.name, self.market, rest.within(side, limit), self.fee_bps, self.gas)

    def capacity(self, side: Side) -> int:
        return self.view(side).capacity(side)

    def quote(self, side: Side, lots: int) -> Fill:
        return self.view(side).quote(side, lots)

    def execute(self, side: Side, lots: int) -> Fill:
        """Fill `lots` from the current snapshot and take them out of it."""
        fill = self.quote(side, lots)
        self.take(side, lots)
        return fill

    def take(self, side: Side, lots: int) -> None:
        """Take `lots` executed on `side` out of the current snapshot."""
        self._taken[side] += lots

    def bounded(self, side: Side, limit: int | None) -> LimitedReplay:
        """This venue as a taker with limit `limit` on `side` sees it."""
        return LimitedReplay(self, side, limit)

    def volume(self, start: int, end: int) -> int:
        """Lots the recording traded in [start, end) µs."""
        return sum(trade.qty for trade in self.trades if start <= trade.ts < end)


@dataclass(frozen=True, slots=True)
class LimitedReplay:
    """A replay venue seen through a limit: only the levels within it are quoted or executed."""

    venue: ReplayVenue
    side: Side
    limit: int | None

    @property
    def name(self) -> str:
        return self.venue.name

    def capacity(self, side: Side) -> int:
        return self.venue.view(side, self.limit).capacity(side)

    def quote(self, side: Side, lots: int) -> Fill:
        return self.venue.view(side, self.limit).quote(side, lots)

    def execute(self, side: Side, lots: int) -> Fill:
        fill = self.quote(side, lots)
        self.venue.take(side, lots)
        return fill


def load_replay(path: Path) -> ReplayVenue:
    """Read a recording (format in the module docstring); `ReplayFileError` names the bad line."""
    header: dict[str, Any] | None = None
    snapshots: list[Snapshot] = []
    trades: list[RecordedTrade] = []
    spec: MarketSpec | None = None
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        where = f"{path.name}:{number}"
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise ReplayFileError(f"{where}: not JSON") from None
        kind = record.get("kind") if isinstance(record, dict) else None
        if kind == "venue" and header is None:
            header = record
            spec = markets().get(str(record.get("market")))
            if spec is None:
                raise ReplayFileError(f"{where}: unknown market {record.get('market')!r}")
        elif spec is None:
            raise ReplayFileError(f"{where}: the first record must be the venue")
        elif kind == "book":
            bids = _levels(spec, record.get("bids"), where)
            asks = _levels(spec, record.get("asks"), where)
            snapshots.append(Snapshot(_ts(record, where), Ladder(bids, asks)))
        elif kind == "trade":
            try:
                price, qty = spec.price_ticks(record["price"]), spec.qty_lots(record["qty"])
            except (KeyError, MarketSpecError) as error:
                raise ReplayFileError(f"{where}: {error}") from None
            trades.append(RecordedTrade(_ts(record, where), price, qty))
        else:
            raise ReplayFileError(f"{where}: unknown kind {kind!r}")
    if header is None or spec is None:
        raise ReplayFileError(f"{path.name}: empty recording")
    fee_bps, gas = header.get("fee_bps"), header.get("gas", "0")
    if not isinstance(fee_bps, int) or not 0 <= fee_bps < 10_000:
        raise ReplayFileError(f"{path.name}: fee_bps must be an integer within 0..9999")
    if not isinstance(gas, str) or not gas.isdigit():
        raise ReplayFileError(f"{path.name}: gas must be quote minor units as a decimal string")
    return ReplayVenue(str(header.get("name", path.stem)), spec, fee_bps, int(gas), snapshots, trades)
