"""`config/pretrade.yaml` read and checked whole at load: faults are `RuleFileError`s `file:line: problem`,
the problem naming the entry (`markets TPW-tUSD max_order_lots must be ...`), so an operator's typo points
at itself. Unknown, missing and duplicate keys are faults: a misspelt limit must not quietly fall back to
the default. The reader is the risk rule file's (`risk.engine.rulefile.YamlReader`)."""

import dataclasses
from pathlib import Path
from typing import Any, Final

from yaml.nodes import Node

from risk.engine.rulefile import YamlReader, compose_file
from risk.pretrade.limits import BPS, MarketLimits, OrderRate, PretradeConfig

WHAT: Final = "the pre-trade limits file"
_INTEGERS: Final = {
    "max_position_lots": 1,
    "max_order_lots": 1,
    "max_order_notional": 1,
    "price_band_bps": 1,
    "market_protection_bps": 1,
    "cooldown_seconds": 0,
}
_FIELDS: Final = (*_INTEGERS, "derivative", "step_up_notional")


def load_pretrade(path: Path) -> PretradeConfig:
    """Read and check `path`; `RuleFileError` names the first fault."""
    root, digest = compose_file(path, WHAT)
    reader = YamlReader(str(path))
    top = reader.mapping(root, WHAT, ("version", "defaults", "rate_limit"), ("markets",))
    if reader.value(top["version"]) != 1:
        raise reader.fail(top["version"], "version must be 1")
    defaults = _limits(reader, top["defaults"], "defaults", None)
    overrides: dict[str, MarketLimits] = {}
    if "markets" in top:
        for market, node in reader.entries(top["markets"], "markets").items():
            overrides[market] = _limits(reader, node, f"markets {market}", defaults)
    return PretradeConfig(
        path=str(path),
        digest=digest,
        defaults=defaults,
        rate=_rate(reader, top["rate_limit"]),
        markets=overrides,
    )


def _limits(reader: YamlReader, node: Node, what: str, base: MarketLimits | None) -> MarketLimits:
    """The limits at `node`: every field for the defaults, any subset for a market (over `base`)."""
    required = tuple(_INTEGERS) if base is None else ()
    fields = reader.mapping(node, what, required, _FIELDS)
    values: dict[str, Any] = {}
    for name, minimum in _INTEGERS.items():
        if name in fields:
            values[name] = reader.integer(fields[name], f"{what} {name}", minimum)
    for name in ("price_band_bps", "market_protection_bps"):
        if values.get(name, 0) >= BPS:
            raise reader.fail(fields[name], f"{what} {name} must be under {BPS} (100 %), not {values[name]}")
    if "derivative" in fields:
        derivative = reader.value(fields["derivative"])
        if not isinstance(derivative, bool):
            raise reader.fail(fields["derivative"], f"{what} derivative must be true or false")
        values["derivative"] = derivative
    if "step_up_notional" in fields:
        values["step_up_notional"] = reader.integer(fields["step_up_notional"], f"{what} step_up_notional", 1)
    limits = MarketLimits(**values) if base is None else dataclasses.replace(base, **values)
    if limits.derivative and limits.step_up_notional is None:
        raise reader.fail(node, f"{what}: a derivative market needs step_up_notional")
    return limits


def _rate(reader: YamlReader, node: Node) -> OrderRate:
    fields = reader.mapping(node, "rate_limit", ("per_second", "burst"))
    per_second = reader.value(fields["per_second"])
    if isinstance(per_second, bool) or not isinstance(per_second, int | float) or per_second <= 0:
        raise reader.fail(
            fields["per_second"], f"rate_limit per_second must be a number > 0, not {per_second!r}"
        )
    return OrderRate(float(per_second), reader.integer(fields["burst"], "rate_limit burst", 1))
