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


class _Window:
    """Buckets `(start, value)` oldest first, and their running total. Buckets are tuples of ints, which the
    garbage collector stops tracking: a million warm windows do not slow its passes down. A list, not a
    deque: at most 61 buckets make `pop(0)` a short move, and an empty list costs 56 bytes where a deque
    allocates a 64-slot block (over 500 bytes) per window, most of which a sparse key never fills."""

    __slots__ = ("buckets", "span", "value", "width")

    def __init__(self, span: int) -> None:
        self.span = span
        self.width = max(1, span // BUCKETS_PER_WINDOW)
        self.buckets: list[tuple[int, int]] = []
        self.value = 0

    def add(self, at: int, value: int) -> None:
        buckets = self.buckets
        width = self.width
        horizon = at - self.span - width
        while buckets and buckets[0][0] <= horizon:
            self.value -= buckets.pop(0)[1]
        start = at - at % width
        if buckets and buckets[-1][0] >= start:
            newest = buckets[-1]
            buckets[-1] = (newest[0], newest[1] + value)
        else:
            buckets.append((start, value))
        self.value += value

    def read(self, now: int) -> int:
        """The total in the window ending at `now` (evicting what fell out of it)."""
        buckets = self.buckets
        horizon = now - self.span - self.width
        while buckets and buckets[0][0] <= horizon:
            self.value -= buckets.pop(0)[1]
        return self.value


class _Group:
    """The keys of one dimension for counts, or for sums: each key's windows (a tuple, in the order of
    `spans`) have the same spans, so the key least recently updated is also the first to fall wholly out
    of them."""

    __slots__ = ("index", "reach", "spans", "tracks")

    def __init__(self, spans: tuple[int, ...]) -> None:
        self.spans = spans
        self.index = {span: position for position, span in enumerate(spans)}
        self.reach = spans[-1] + max(1, spans[-1] // BUCKETS_PER_WINDOW) if spans else 0
        self.tracks: dict[tuple[str, str], tuple[_Window, ...]] = {}


class VelocityWindows:
    """The tracked figures of every key; sums are kept per `(key, currency)`."""

    def __init__(self, figures: Iterable[Figure], *, max_keys: int = DEFAULT_MAX_KEYS) -> None:
        self.figures = frozenset(figures)
        self.max_keys = max_keys
        self._groups = {
            (dimension, amounts): _Group(
                tuple(
                    sorted(f.span for f in self.figures if f.dimension is dimension and f.amounts is amounts)
                )
            )
            for dimension in Dimension
            for amounts in (False, True)
        }
        self.dimensions = tuple(
            d for d in Dimension if self._groups[d, False].spans or self._groups[d, True].spans
        )
        self._size = 0
        self._adds = 0

    def __len__(self) -> int:
        return self._size

    def count(self, dimension: Dimension, key: str, span: int, now: int) -> int:
        group = self._groups[dimension, False]
        track = group.tracks.get((key, ""))
        return 0 if track is None else track[group.index[span]].read(now)

    def total(self, dimension: Dimension, key: str, currency: str, span: int, now: int) -> int:
        group = self._groups[dimension, True]
        track = group.tracks.get((key, currency))
        return 0 if track is None else track[group.index[span]].read(now)

    def add(self, dimension: Dimension, key: str, currency: str, amount: int, at: int) -> None:
        """Count one action of `amount` (minor units of `currency`) at `at` under `key`."""
        group = self._groups[dimension, False]
        if group.spans:
            self._add(group, (key, ""), 1, at)
        group = self._groups[dimension, True]
        if group.spans and amount:
            self._add(group, (key, currency), amount, at)

    def _add(self, group: _Group, track_key: tuple[str, str], value: int, at: int) -> None:
        tracks = group.tracks
        track = tracks.pop(track_key, None)
        if track is None:
            track = tuple([_Window(span) for span in group.spans])
            if self._size >= self.max_keys:
                fullest = tracks or max((g.tracks for g in self._groups.values()), key=len)
                del fullest[next(iter(fullest))]
            else:
                self._size += 1
        tracks[track_key] = track  # (re-)inserted last: the dict's order is the order of last update
        for window in track:
            window.add(at, value)
        self._adds += 1
        if self._adds % SWEEP_EVERY == 0:
            self.sweep(at)

    def sweep(self, now: int) -> None:
        """Drop the keys with nothing left inside their windows, least recently updated first."""
        for group in self._groups.values():
            tracks = group.tracks
            while tracks:
                track_key, track = next(iter(tracks.items()))
                newest = track[-1].buckets  # the longest window holds the newest bucket longest
                if newest and newest[-1][0] + group.reach > now:
                    break
                del tracks[track_key]
                self._size -= 1
