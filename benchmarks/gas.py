"""The gas benchmark: every case module of `benchmarks/gas_cases` on one py-evm chain, as a table or JSON.

Run from the project root after `ape compile`:

    python benchmarks/gas.py           # a table: case, gas, peer gas, target, met?
    python benchmarks/gas.py --json    # one JSON object: case key -> gas

Every module of `benchmarks/gas_cases` except `common` is a case module (see that package's docstring). A
module that fails is reported on stderr and the run exits with status 1; the other modules still run.
The chain is eth-tester's py-evm pinned to the Prague VM (`common.EVM_VERSION`).
"""

import importlib
import json
import pkgutil
import sys
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import ModuleType

if __package__ in (None, ""):  # run as `python benchmarks/gas.py`: make the project root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import click

from benchmarks import gas_cases
from benchmarks.gas_cases.common import EVM_VERSION, GasEnv, Measurement

SUPPORT_MODULES = frozenset({"common"})


def case_modules() -> list[ModuleType]:
    """The case modules of `benchmarks/gas_cases`, by name."""
    names = sorted(info.name for info in pkgutil.iter_modules(gas_cases.__path__))
    return [
        importlib.import_module(f"{gas_cases.__name__}.{name}")
        for name in names
        if name not in SUPPORT_MODULES
    ]


def measure_module(module: ModuleType, env: GasEnv) -> dict[str, Measurement]:
    """What one case module measures, each figure as a Measurement (a bare int has no target)."""
    if hasattr(module, "measure"):
        raw: Mapping[str, Measurement | int] = module.measure(env)
    elif hasattr(module, "CASES"):
        raw = {key: case(env) for key, case in module.CASES.items()}
    else:
        raise TypeError(f"{module.__name__} has neither measure(env) nor CASES")
    return {
        key: value if isinstance(value, Measurement) else Measurement(int(value), "")
        for key, value in raw.items()
    }


def run_all(env: GasEnv) -> tuple[dict[str, Measurement], dict[str, str]]:
    """Every case of every module on `env`; and, by module name, the error of each module that failed."""
    results: dict[str, Measurement] = {}
    failures: dict[str, str] = {}
    for module in case_modules():
        try:
            measured = measure_module(module, env)
        except Exception as error:  # one broken case module must not hide the others' figures
            failures[module.__name__] = "".join(traceback.format_exception_only(error)).strip()
            continue
        clashes = sorted(set(measured) & set(results))
        if clashes:
            failures[module.__name__] = f"case keys already measured by another module: {clashes}"
            continue
        results.update(measured)
    return results, failures


def target_gas(measurement: Measurement, results: Mapping[str, Measurement]) -> int | None:
    """The gas a case must stay within: its budget, or the gas of the case its target names."""
    if isinstance(measurement.target, str):
        peer = results.get(measurement.target)
        return None if peer is None else peer.gas
    return measurement.target


def table(results: Mapping[str, Measurement]) -> str:
    """The results as a fixed-width table: case, gas, peer (and its gas), target, met?"""
    header = ("case", "gas", "peer gas", "target", "met?")
    rows = [header]
    for key, measurement in results.items():
        peer = results.get(measurement.peer) if measurement.peer else None
        target = target_gas(measurement, results)
        target_text = "" if target is None else f"{target:,}"
        if isinstance(measurement.target, str):
            target_text += f" (<= {measurement.target})" if target is not None else f"{measurement.target}?"
        met = (
            ""
            if measurement.target is None
            else "?"
            if target is None
            else "yes"
            if measurement.gas <= target
            else "NO"
        )
        rows.append(
            (
                key,
                f"{measurement.gas:,}",
                "" if peer is None else f"{peer.gas:,} ({measurement.peer})",
                target_text,
                met,
            )
        )
    return fixed_width(rows)


def fixed_width(rows: Sequence[Sequence[str]]) -> str:
    """`rows` (the first a header) as fixed-width columns, a rule of dashes under the header."""
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


@click.command()
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object (case key -> gas) instead of a table."
)
def main(as_json: bool) -> None:
    """Measure every gas case on one py-evm chain and print the results."""
    results, failures = run_all(GasEnv())
    if as_json:
        click.echo(json.dumps({key: measurement.gas for key, measurement in results.items()}, indent=2))
    else:
        click.echo(f"py-evm {EVM_VERSION}; gas is total transaction gas unless the case says execution gas\n")
        click.echo(table(results))
        click.echo("")
        for key, measurement in results.items():
            if measurement.what:
                click.echo(f"{key}: {measurement.what}")
    for module, error in failures.items():
        click.echo(f"error: {module} failed: {error}", err=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
