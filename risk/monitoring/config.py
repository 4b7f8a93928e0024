"""The monitoring's thresholds (`config/risk/monitoring.yaml`), read and checked whole at load.

Faults are `RuleFileError`s as `file:line: problem`, found by the rule file's node reader
(`risk.engine.rulefile.YamlReader`): unknown, missing and duplicate keys included, so a typo cannot quietly
switch a check off. Amounts are per currency in minor units (ints); a currency a check does not list is not
checked by it (a surge in a currency nobody priced is no evidence). Rates are ratios of ints, never floats:
the checks compare products of integers.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from yaml.nodes import Node, SequenceNode

from risk.engine.rulefile import YamlReader, compose_file

DAY: Final = 86_400


@dataclass(frozen=True, slots=True)
class Frequency:
    """An account's outgoing transfers in `window` against its average over the `baseline` before it."""

    window: int
    factor: int
    min_count: int


@dataclass(frozen=True, slots=True)
class Rate:
    """An account's outgoing amount in `window` against its average over the baseline before it."""

    window: int
    factor: int
    min_amount: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Structuring:
    """`min_count` outgoing amounts within `window`, each at most `margin_percent` % under the subject's KYC
    per-transaction limit (and not over it: over it, the engine refused or reviewed it already)."""

    window: int
    margin_percent: int
    min_count: int


@dataclass(frozen=True, slots=True)
class Drain:
    """At least `percent` % of what the account held at the start of `window` left it within the window,
    and at least `min_amount`."""

    window: int
    percent: int
    min_amount: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class Geography:
    """Consecutive sightings of a subject: in countries whose reference points are further apart than
    `max_speed_kmh` allows in the time between them (impossible travel), or, for a country without a
    reference point, in another country within `country_change_seconds`."""

    max_speed_kmh: int
    country_change_seconds: int
    points: Mapping[str, tuple[float, float]]


@dataclass(frozen=True, slots=True)
class OffMarket:
    """Trades printed away from the market (`risk.monitoring.surveillance`): a trade counts when its price
    is more than `min_deviation_bps` from the reference (the other traders' volume-weighted price over the
    `reference_seconds` before it); what the losing side gave away is summed over `window_seconds`, per
    losing trader and per (loser, gainer) pair, against `trader_min_amount` and `pair_min_amount` (quote
    currency minor units; a currency not listed is not checked)."""

    window_seconds: int
    reference_seconds: int
    min_deviation_bps: int
    trader_min_amount: Mapping[str, int]
    pair_min_amount: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class MonitoringConfig:
    path: str
    digest: str
    baseline: int
    frequency: Frequency
    rate: Rate
    structuring: Structuring
    drain: Drain
    geography: Geography
    off_market: OffMarket


def load_config(path: Path) -> MonitoringConfig:
    """Read and check `path`; `RuleFileError` names the first fault."""
    root, digest = compose_file(path, "the monitoring file")
    return _read_config(YamlReader(str(path)), root, digest)


def _read_config(reader: YamlReader, root: Node, digest: str) -> MonitoringConfig:
    top = reader.mapping(
        root,
        "the monitoring file",
        (
            "version",
            "baseline_seconds",
            "frequency",
            "rate",
            "structuring",
            "drain",
            "geography",
            "off_market",
        ),
    )
    if reader.value(top["version"]) != 1:
        raise reader.fail(top["version"], "version must be 1")
    baseline = reader.integer(top["baseline_seconds"], "baseline_seconds", 1)

    def window(fields: dict[str, Node], what: str) -> int:
        seconds = reader.integer(fields["window_seconds"], f"{what} window_seconds", 1)
        if seconds > baseline:
            raise reader.fail(fields["window_seconds"], f"{what} window_seconds exceeds baseline_seconds")
        return seconds

    frequency = reader.mapping(top["frequency"], "frequency", ("window_seconds", "factor", "min_count"))
    rate = reader.mapping(top["rate"], "rate", ("window_seconds", "factor", "min_amount"))
    structuring = reader.mapping(
        top["structuring"], "structuring", ("window_seconds", "margin_percent", "min_count")
    )
    drain = reader.mapping(top["drain"], "drain", ("window_seconds", "percent", "min_amount"))
    return MonitoringConfig(
        path=reader.path,
        digest=digest,
        baseline=baseline,
        frequency=Frequency(
            window=window(frequency, "frequency"),
            factor=reader.integer(frequency["factor"], "frequency factor", 1),
            min_count=reader.integer(frequency["min_count"], "frequency min_count", 1),
        ),
        rate=Rate(
            window=window(rate, "rate"),
            factor=reader.integer(rate["factor"], "rate factor", 1),
            min_amount=reader.money(rate["min_amount"], "rate min_amount"),
        ),
        structuring=Structuring(
            window=window(structuring, "structuring"),
            margin_percent=_percent(reader, structuring["margin_percent"], "structuring margin_percent"),
            min_count=reader.integer(structuring["min_count"], "structuring min_count", 2),
        ),
        drain=Drain(
            window=window(drain, "drain"),
            percent=_percent(reader, drain["percent"], "drain percent"),
            min_amount=reader.money(drain["min_amount"], "drain min_amount"),
        ),
        geography=_geography(reader, top["geography"]),
        off_market=_off_market(reader, top["off_market"], window),
    )


def _percent(reader: YamlReader, node: Node, what: str) -> int:
    value = reader.integer(node, what, 1)
    if value > 100:
        raise reader.fail(node, f"{what} must be at most 100, not {value}")
    return value


def _off_market(reader: YamlReader, node: Node, window: Callable[[dict[str, Node], str], int]) -> OffMarket:
    fields = reader.mapping(
        node,
        "off_market",
        ("window_seconds", "reference_seconds", "min_deviation_bps", "trader_min_amount", "pair_min_amount"),
    )
    deviation = reader.integer(fields["min_deviation_bps"], "off_market min_deviation_bps", 1)
    if deviation >= 10_000:
        raise reader.fail(
            fields["min_deviation_bps"], f"off_market min_deviation_bps must be below 10000, not {deviation}"
        )
    return OffMarket(
        window_seconds=window(fields, "off_market"),
        reference_seconds=reader.integer(fields["reference_seconds"], "off_market reference_seconds", 1),
        min_deviation_bps=deviation,
        trader_min_amount=_positive_money(
            reader, fields["trader_min_amount"], "off_market trader_min_amount"
        ),
        pair_min_amount=_positive_money(reader, fields["pair_min_amount"], "off_market pair_min_amount"),
    )


def _positive_money(reader: YamlReader, node: Node, what: str) -> dict[str, int]:
    """Amounts per currency, each at least 1: a threshold of 0 would alert on every off-market tick."""
    amounts = reader.money(node, what)
    for currency, amount in amounts.items():
        if amount < 1:
            raise reader.fail(node, f"{what}: {currency} must be at least 1 minor unit, not {amount}")
    return amounts


def _geography(reader: YamlReader, node: Node) -> Geography:
    fields = reader.mapping(node, "geography", ("max_speed_kmh", "country_change_seconds", "countries"))
    points: dict[str, tuple[float, float]] = {}
    for code, point in reader.entries(fields["countries"], "geography countries").items():
        if len(code) != 2 or not code.isalpha() or not code.isupper():
            raise reader.fail(point, f"geography countries: {code!r} is not an ISO 3166-1 alpha-2 code")
        points[code] = _point(reader, point, f"geography countries {code}")
    return Geography(
        max_speed_kmh=reader.integer(fields["max_speed_kmh"], "geography max_speed_kmh", 1),
        country_change_seconds=reader.integer(
            fields["country_change_seconds"], "geography country_change_seconds"
        ),
        points=points,
    )


def _point(reader: YamlReader, node: Node, what: str) -> tuple[float, float]:
    """[latitude, longitude] in degrees (a place, not money: floats are fine here)."""
    if not isinstance(node, SequenceNode) or len(node.value) != 2:
        raise reader.fail(node, f"{what} must be [latitude, longitude]")
    values = [reader.value(item) for item in node.value]
    if not all(isinstance(value, int | float) and not isinstance(value, bool) for value in values):
        raise reader.fail(node, f"{what} must be two numbers, not {values!r}")
    latitude, longitude = float(values[0]), float(values[1])
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise reader.fail(node, f"{what}: latitude within -90..90 and longitude within -180..180")
    return latitude, longitude
