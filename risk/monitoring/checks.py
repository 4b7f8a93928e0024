"""The five checks, each a pure function of figures the caller read: no clock, no database, no state.

The monitor (`risk.monitoring.monitor`) reads an account's figures from the ledger's journal at the time of
the transfer being checked and asks these; a test hands them figures directly. A check answers a `Finding`
(its reason and the figures behind it, for the alert and the reviewer) or None. Comparisons are products of
ints: a rate is never a float, so a figure exactly at a threshold always lands on the same side.
"""

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from risk.monitoring.config import Drain, Frequency, Geography, Rate, Structuring

EARTH_RADIUS_KM: Final = 6_371.0


class Check(enum.StrEnum):
    FREQUENCY = "frequency_spike"
    RATE = "rate_surge"
    STRUCTURING = "structuring"
    DRAIN = "balance_drain"
    GEOGRAPHY = "geography"
    OFF_MARKET = "off_market_trade"


@dataclass(frozen=True, slots=True)
class Finding:
    check: Check
    reason: str
    details: dict[str, int | str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Sighting:
    """Where a subject was seen acting, and when (unix seconds); only the country is kept, never the IP."""

    country: str
    at: int


def frequency(rule: Frequency, baseline: int, count: int, baseline_count: int) -> Finding | None:
    """`count` outgoing transfers in the window (this one included) against `baseline_count` in the
    `baseline` seconds before it: a spike when at least `min_count` and more than `factor` times the
    baseline's average per window (count / window > factor * baseline_count / baseline)."""
    if count < rule.min_count or count * baseline <= rule.factor * baseline_count * rule.window:
        return None
    return Finding(
        Check.FREQUENCY,
        f"{count} outgoing transfers in {rule.window} s, against {baseline_count} in the {baseline} s before",
        {"count": count, "baseline_count": baseline_count, "window_seconds": rule.window},
    )


def rate(rule: Rate, baseline: int, currency: str, amount: int, baseline_amount: int) -> Finding | None:
    """The outgoing `amount` in the window against `baseline_amount` over the baseline before it."""
    minimum = rule.min_amount.get(currency)
    if minimum is None or amount < minimum:
        return None
    if amount * baseline <= rule.factor * baseline_amount * rule.window:
        return None
    return Finding(
        Check.RATE,
        f"{amount} {currency} out in {rule.window} s, against {baseline_amount} in the {baseline} s before",
        {
            "amount": str(amount),
            "baseline_amount": str(baseline_amount),
            "currency": currency,
            "window_seconds": rule.window,
        },
    )


def structuring(rule: Structuring, currency: str, limit: int, amounts: Sequence[int]) -> Finding | None:
    """Outgoing `amounts` in the window, each checked against the subject's per-transaction `limit`: those
    within `margin_percent` % under it (limit * (100 - margin) <= amount * 100, amount <= limit)."""
    if limit <= 0:
        return None
    floor = limit * (100 - rule.margin_percent)
    near = [amount for amount in amounts if floor <= amount * 100 <= limit * 100]
    if len(near) < rule.min_count:
        return None
    return Finding(
        Check.STRUCTURING,
        f"{len(near)} amounts within {rule.margin_percent}% under the {limit} {currency} limit "
        f"in {rule.window} s",
        {"count": len(near), "limit": str(limit), "currency": currency, "window_seconds": rule.window},
    )


def drain(rule: Drain, currency: str, balance: int, out: int, incoming: int) -> Finding | None:
    """The account holds `balance` now after `out` left it and `incoming` came in within the window: a
    drain when `out` is at least `percent` % of what it held at the window's start (balance + out -
    incoming) and at least `min_amount`."""
    minimum = rule.min_amount.get(currency)
    start = balance + out - incoming
    if minimum is None or out < minimum or start <= 0 or out * 100 < rule.percent * start:
        return None
    return Finding(
        Check.DRAIN,
        f"{out} {currency} of the {start} held {rule.window} s ago left the account",
        {"out": str(out), "held_before": str(start), "currency": currency, "window_seconds": rule.window},
    )


def distance_km(first: tuple[float, float], second: tuple[float, float]) -> float:
    """Great-circle distance (haversine) between two (latitude, longitude) points in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*first, *second))
    a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def geography(rule: Geography, previous: Sighting | None, current: Sighting) -> Finding | None:
    """Two consecutive sightings in different countries: impossible travel when both countries have a
    reference point and covering the distance between them in the time between would take more than
    `max_speed_kmh`; otherwise a country change when within `country_change_seconds`."""
    if previous is None or previous.country == current.country:
        return None
    elapsed = max(current.at - previous.at, 0)
    details: dict[str, int | str] = {"from": previous.country, "to": current.country, "seconds": elapsed}
    first, second = rule.points.get(previous.country), rule.points.get(current.country)
    if first is not None and second is not None:
        km = distance_km(first, second)
        if km * 3_600 <= rule.max_speed_kmh * elapsed:
            return None
        details["km"] = round(km)
        return Finding(
            Check.GEOGRAPHY,
            f"seen in {previous.country} then {current.country} {elapsed} s later: {round(km)} km, "
            f"faster than {rule.max_speed_kmh} km/h",
            details,
        )
    if elapsed > rule.country_change_seconds:
        return None
    return Finding(
        Check.GEOGRAPHY, f"seen in {previous.country} then {current.country} {elapsed} s later", details
    )
