"""`make demo`'s engine, `ape run demo`, end to end on free ports: it passes, and it refuses a taken port."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from scripts._support.processes import LOOPBACK, free_port, free_port_run, port_in_use
from tests.helpers.commands import run_in_project

pytestmark = [pytest.mark.devnet, pytest.mark.slow]


def _demo_env(tmp_path: Path, **ports: int) -> dict[str, str]:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "TPW_VAR_DIR": str(tmp_path / "var"),
        "TPW_DEPLOYMENTS_DIR": str(tmp_path / "deployments"),
    }
    env.update({f"TPW_{name.upper()}": str(port) for name, port in ports.items()})
    return env


def _run_demo(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_in_project([str(Path(sys.executable).parent / "ape"), "run", "demo"], env, timeout=600)


def test_demo_runs_the_main_flow_and_leaves_nothing_running(tmp_path: Path) -> None:
    ports = {
        "l1_port": free_port(),
        "l2_port": free_port(),
        "api_port": free_port(),
        "node_base_port": free_port_run(3),
        "bank_port": free_port(),
        "card_processor_port": free_port(),
        "kyc_provider_port": free_port(),
    }
    result = _run_demo(_demo_env(tmp_path, **ports))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Demo finished: every step passed." in result.stdout
    assert "event read back via API" in result.stdout
    assert "proof verified on-chain" in result.stdout
    assert "1,200.00 tUSD on a custody signature, relayed; replay and over-limit refused" in result.stdout
    assert "8 grants, 1,000,000,000 TPW minted into VestingEscrow" in result.stdout
    assert "TPW after the team cliff" in result.stdout
    assert "period 2 charged by the keeper" in result.stdout
    assert "applied, approved, sandbox+live keys, client certificate, webhook endpoint" in result.stdout
    assert "40.00 EUR by card after a 3-D Secure challenge" in result.stdout
    assert "120.00 EUR by ISO 20022 credit transfer" in result.stdout
    assert "19.99 tUSD through PaymentRouter on L1" in result.stdout
    assert "15.00 of 40.00 EUR refunded to the card" in result.stdout
    assert "100.00 EUR -> " in result.stdout
    assert "every TPW-Signature verified" in result.stdout
    assert "card, bank and tUSD against the ledger, no break" in result.stdout
    assert "10.00 EUR paid at once" in result.stdout
    assert "2,500.00 EUR paid after a TOTP step-up" in result.stdout
    assert "10.00 EUR paid once an operator approved case_" in result.stdout
    assert "10 TPW at 2.50 tUSD between two merchants (spot:TPW-tUSD.sandbox:" in result.stdout
    assert "liquidation_started  tier partial" in result.stdout
    assert "partially liquidated, 635.99 kept (margin_call, liquidation_started, liquidation_filled)" in (
        result.stdout
    )
    assert "batch anchored by the anchorer (seq 2); proof verified on-chain" in result.stdout
    assert "verify answered true" in result.stdout
    assert (tmp_path / "deployments" / "local.json").exists()
    assert (tmp_path / "deployments" / "l2devnet.json").exists()
    node_ports = [ports["node_base_port"] + offset for offset in range(3)]
    services = [port for name, port in ports.items() if name != "node_base_port"]
    for port in [*services, *node_ports]:
        assert not port_in_use(port), f"port {port} still in use after the demo"


def test_demo_refuses_a_taken_port_naming_it(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind((LOOPBACK, 0))
        squatter.listen()
        taken = squatter.getsockname()[1]
        ports = {
            "l1_port": taken,
            "l2_port": free_port(),
            "api_port": free_port(),
            "node_base_port": free_port_run(3),
            "bank_port": free_port(),
            "card_processor_port": free_port(),
            "kyc_provider_port": free_port(),
        }
        result = _run_demo(_demo_env(tmp_path, **ports))
    assert result.returncode == 2
    assert f"port {LOOPBACK}:{taken}" in result.stderr
    assert "L1 anvil" in result.stderr
    assert not port_in_use(ports["l2_port"])
