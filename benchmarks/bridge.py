"""The bridge benchmark (issue 14 point 5): gas on py-evm of deposit, batch attestation and claims, with the
OP Stack peer, and the relay's deposit-to-claim latency and throughput on the devnet, as a table or JSON.

Run from the project root after `ape compile` (and `make install`, for anvil):

    python benchmarks/bridge.py              # two tables: gas (case, gas, peer gas, target, met?), relay
    python benchmarks/bridge.py --json       # one JSON object: every gas case key -> gas, and the relay's
                                             # bridge_deposit_to_claim_p50_s and bridge_messages_per_s
    python benchmarks/bridge.py --gas-only   # py-evm only, no devnet (seconds instead of minutes)

The gas cases are `benchmarks/gas_cases/bridge.py` (also part of `benchmarks/gas.py`); the relay run is
`benchmarks/bridge_relay.py` (two anvils with 1-second blocks, a custody group, the API and
`python -m relay.bridge` at 2 confirmations).
"""

import json
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/bridge.py`: make the project root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import click

from benchmarks import bridge_relay
from benchmarks.gas import fixed_width, table
from benchmarks.gas_cases import bridge
from benchmarks.gas_cases.common import EVM_VERSION, GasEnv

THROUGHPUT_TARGET = 200


def relay_rows(figures: bridge_relay.RelayFigures) -> str:
    """The relay run as a table: row, figure, target, met?"""
    latency_met = "yes" if figures.p50_s <= figures.latency_target_s else "NO"
    rate_met = "yes" if figures.messages_per_s >= THROUGHPUT_TARGET else "NO"
    rows = [
        ("row", "figure", "target", "met?"),
        (
            f"bridge_deposit_to_claim_p50_s ({figures.deposits} deposits)",
            f"{figures.p50_s:.2f} s",
            f"<= {figures.latency_target_s:.0f} s",
            latency_met,
        ),
        ("  p90", f"{figures.p90_s:.2f} s", "", ""),
        ("  p50 from the deposit's send", f"{figures.p50_from_send_s:.2f} s", "", ""),
        (
            f"bridge_messages_per_s (burst of {figures.burst}, batches <= {bridge_relay.MAX_MESSAGES})",
            f"{figures.messages_per_s:.1f}",
            f">= {THROUGHPUT_TARGET}",
            rate_met,
        ),
        ("  relay time on the burst", f"{figures.relay_seconds:.1f} s", "", ""),
        ("  end to end (first send to last claim)", f"{figures.end_to_end_per_s:.1f}/s", "", ""),
    ]
    return fixed_width(rows)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of tables.")
@click.option("--gas-only", is_flag=True, help="Measure gas on py-evm only (no devnet, no relay).")
@click.option("--deposits", default=20, show_default=True, help="Deposits timed one after another.")
@click.option("--burst", default=1_000, show_default=True, help="Deposits sent at once for the throughput.")
def main(as_json: bool, gas_only: bool, deposits: int, burst: int) -> None:
    """Measure the bridge's gas cases on py-evm and the relay on the devnet, and print them."""
    results = bridge.measure(GasEnv())
    figures = None if gas_only else bridge_relay.measure(deposits, burst)
    if as_json:
        output: dict[str, float] = {key: measurement.gas for key, measurement in results.items()}
        if figures is not None:
            output["bridge_deposit_to_claim_p50_s"] = round(figures.p50_s, 3)
            output["bridge_messages_per_s"] = round(figures.messages_per_s, 1)
        click.echo(json.dumps(output, indent=2))
        return
    click.echo(f"py-evm {EVM_VERSION}; gas is total transaction gas unless the case says otherwise\n")
    click.echo(table(results))
    click.echo("")
    for key, measurement in results.items():
        click.echo(f"{key}: {measurement.what}")
    if figures is not None:
        click.echo(
            f"\nrelay on the devnet: {bridge_relay.BLOCK_SECONDS}-second blocks, "
            f"{bridge_relay.CONFIRMATIONS} confirmations; "
            f"load average {figures.load_before:.2f} before the run\n"
        )
        click.echo(relay_rows(figures))


if __name__ == "__main__":
    main()
