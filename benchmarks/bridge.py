"""The bridge benchmark (issue 14): gas on py-evm of deposit, batch attestation and claims, with the OP Stack
peer, as a table or JSON.

Run from the project root after `ape compile`:

    python benchmarks/bridge.py           # a table: case, gas, peer gas, target, met?
    python benchmarks/bridge.py --json    # one JSON object: case key -> gas

The cases are `benchmarks/gas_cases/bridge.py` (also part of `benchmarks/gas.py`). Latency and throughput
keys (`bridge_deposit_to_claim_p50_s`, `bridge_messages_per_s`) come with the relay.
"""

import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/bridge.py`: make the project root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import click

from benchmarks.gas import table
from benchmarks.gas_cases import bridge
from benchmarks.gas_cases.common import EVM_VERSION, GasEnv


@click.command()
@click.option(
    "--json", "as_json", is_flag=True, help="Print one JSON object (case key -> gas) instead of a table."
)
def main(as_json: bool) -> None:
    """Measure the bridge's gas cases on one py-evm chain and print them."""
    results = bridge.measure(GasEnv())
    if as_json:
        click.echo(json.dumps({key: measurement.gas for key, measurement in results.items()}, indent=2))
        return
    click.echo(f"py-evm {EVM_VERSION}; gas is total transaction gas unless the case says otherwise\n")
    click.echo(table(results))
    click.echo("")
    for key, measurement in results.items():
        click.echo(f"{key}: {measurement.what}")


if __name__ == "__main__":
    main()
