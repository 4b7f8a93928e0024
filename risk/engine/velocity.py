"""Sliding-window counts and sums in memory, per key (customer, device, IP, IBAN, card, address).

Only the figures the rule set reads are kept (`Figure`: a dimension, a span, a count or a sum), so an
action recorded costs one window update per figure. A window of W seconds is up to 60 buckets of W/60
seconds (at least 1 s) with a running total, so adding and reading are O(1) amortised however busy a key is:
reading first evicts the buckets that fell out of the window and subtracts them. A bucket still partly
inside the window counts whole, so a figure may include actions up to W/60 seconds older than the window:
it errs towards more, never fewer. Counts are over all currencies; sums are per currency.

Memory is bounded: a key idle for longer than its longest window is dropped (swept every few thousand
additions, least recently updated first) and past `max_keys` the least recently updated key goes.
Times are the caller's (unix seconds, the assessment's `at`), assumed not to go backwards for a key; an
action timed before a key's newest bucket is counted in that bucket.
"""

import enum
from array import array
from collections.abc import Iterable
from typing import NamedTuple

BUCKETS_PER_WINDOW = 60
DEFAULT_MAX_KEYS = 1_000_000
SWEEP_EVERY = 4096


class Dimension(enum.StrEnum):
    CUSTOMER = "customer"
    DEVICE = "device"
    IP = "ip"
    IBAN = "iban"
    CARD = "card"
    ADDRESS = "address"


class Figure(NamedTuple):
    """One tracked figure: actions (`amounts` False) or their amounts per currency over `span` seconds."""

    dimension: Dimension
    span: int
    amounts: bool


TrackKey = str | tuple[str, str]
"""A count's key is the dimension's key itself; a sum's, (key, currency)."""

# A window is an `array('q')`: its running total, then its buckets as (start, value) pairs, oldest first.
# An array holds no Python objects, so the garbage collector never looks into it, nor into the tuple of a
# key's windows (a tuple of untracked objects is untracked): a million warm keys cost its passes nothing.
# At most 61 buckets make dropping the oldest (`del window[1:3]`) a short move.
INT64_MAX = 2**63 - 1


class _Group:
    """The keys of one dimension for counts, or for sums: each key's windows (a tuple, in the order of
    `spans`) have the same spans, so the key least recently updated is also the first to fall wholly out
    of them."""

    __slots__ = ("index", "reach", "spans", "tracks", "widths")

    def __init__(self, spans: tuple[int, ...]) -> None:
        self.spans = spans
        self.widths = tuple(max(1, span // BUCKETS_PER_WINDOW) for span in spans)
        self.index = {span: position for position, span in enumerate(spans)}
        self.reach = spans[-1] + self.widths[-1] if spans else 0
        self.tracks: dict[TrackKey, tuple[array, ...]] = {}

    def read(self, track_key: TrackKey, span: int, now: int) -> int:
        track = self.tracks.get(track_key)
        if track is None:
            return 0
        position = self.index[span]
        window = track[position]
        horizon = now - span - self.widths[position]
        while len(window) > 1 and window[1] <= horizon:  # evict the buckets that fell out of the window
            window[0] -= window[2]
            del window[1:3]
        return window[0]


class VelocityWindows:
    """The tracked figures of every key; sums are kept per `(key, currency)`."""

    def __init__(self, figures: Iterable[Figure], *, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        self.figures = frozenset(figures)
        self.max_keys = max_keys

        def group(dimension: Dimension, amounts: bool) -> _Group:
            figures = self.figures
            return _Group(
                tuple(sorted(f.span for f in figures if f.dimension is dimension and f.amounts is amounts))
            )

        # One dict per measure, keyed by the dimension alone: these are looked up on every read and add.
        self.counts = {dimension: group(dimension, False) for dimension in Dimension}
        self.sums = {dimension: group(dimension, True) for dimension in Dimension}
        # every group, in the order a tie for the fullest (an eviction past `max_keys`) has always been broken
        self._groups = tuple(g for d in Dimension for g in (self.counts[d], self.sums[d]))
        self.dimensions = tuple(d for d in Dimension if self.counts[d].spans or self.sums[d].spans)
        self._size = 0
        self._adds = 0

    def __len__(self) -> int:
        return self._size

    def count(self, dimension: Dimension, key: str, span: int, now: int) -> int:
        return self.counts[dimension].read(key, span, now)

    def total(self, dimension: Dimension, key: str, currency: str, span: int, now: int) -> int:
        return self.sums[dimension].read((key, currency), span, now)

    def add(self, dimension: Dimension, key: str, currency: str, amount: int, at: int) -> None:
        """Count one action of `amount` (minor units of `currency`) at `at` under `key`."""
        group = self.counts[dimension]
        if group.spans:
            self._add(group, key, 1, at)
        group = self.sums[dimension]
        if group.spans and amount:
            self._add(group, (key, currency), amount, at)

    def _add(self, group: _Group, track_key: TrackKey, value: int, at: int) -> None:
        tracks = group.tracks
        track = tracks.pop(track_key, None)
        if track is None:
            # Most actions bring a new key (a new IP, card, ...): its windows are born holding this action,
            # one bucket each (what the loop below would make of empty windows, without the loop).
            if self._size >= self.max_keys:
                fullest = tracks or max((g.tracks for g in self._groups), key=len)
                del fullest[next(iter(fullest))]
            else:
                self._size += 1
            added = value if value <= INT64_MAX else INT64_MAX
            tracks[track_key] = tuple([array("q", (added, at - at % width, added)) for width in group.widths])
        else:
            tracks[track_key] = track  # re-inserted last: the dict's order is the order of last update
            # Each window: evict what fell out (as `read` does), then add to the newest bucket or open one;
            # inlined, and `min` spelt as a test: this runs once per tracked figure per action recorded.
            for window, span, width in zip(track, group.spans, group.widths):  # noqa: B905 (built so)
                horizon = at - span - width
                while len(window) > 1 and window[1] <= horizon:
                    window[0] -= window[2]
                    del window[1:3]
                room = INT64_MAX - window[0]  # a sum saturates at the int64 bound instead of overflowing
                added = value if value <= room else room
                start = at - at % width
                if len(window) > 1 and window[-2] >= start:
                    window[-1] += added
                else:
                    window.append(start)
                    window.append(added)
                window[0] += added
        self._adds += 1
        if self._adds % SWEEP_EVERY == 0:
            self.sweep(at)

    def sweep(self, now: int) -> None:
        """Drop the keys with nothing left inside their windows, least recently updated first."""
        for group in self._groups:
            tracks = group.tracks
            while tracks:
                track_key, track = next(iter(tracks.items()))
                longest = track[-1]  # the longest window holds the newest bucket longest
                if len(longest) > 1 and longest[-2] + group.reach > now:
                    break
                del tracks[track_key]
                self._size -= 1
