"""The strategies a backtest can run, by name, and their integer parameters (`NAME=VALUE` on the CLI)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Final

from matching.backtest.strategies.crossover import Crossover
from matching.backtest.strategies.grid import Grid
from matching.backtest.strategy import Strategy

STRATEGIES: Final[Mapping[str, type[Grid] | type[Crossover]]] = {"grid": Grid, "crossover": Crossover}


def make_strategy(name: str, params: Mapping[str, str]) -> Strategy:
    """Strategy `name` with `params` (each a field of its dataclass, a positive integer); ValueError naming
    what is unknown or malformed."""
    kind = STRATEGIES.get(name)
    if kind is None:
        raise ValueError(f"unknown strategy {name!r}; known: {', '.join(STRATEGIES)}")
    fields = {field.name for field in dataclasses.fields(kind) if field.init}
    values: dict[str, int] = {}
    for key, text in params.items():
        if key not in fields:
            raise ValueError(f"{name} has no parameter {key!r}; it takes {', '.join(sorted(fields))}")
        if not text.isdigit() or int(text) <= 0:
            raise ValueError(f"parameter {key} must be a positive integer, not {text!r}")
        values[key] = int(text)
    return kind(**values)
