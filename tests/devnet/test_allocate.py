"""`ape run allocate` itself, against anvil through Ape's foundry provider: the example plan granted once."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chain.allocation import load_plan
from chain.client import make_web3
from chain.deployments import Deployments
from chain.paths import NODE_BIN, PROJECT_ROOT
from chain.vesting import VestingEscrow
from scripts._support.anvil import AnvilNode

pytestmark = pytest.mark.devnet

EXAMPLE_PLAN = PROJECT_ROOT / "config" / "allocation.example.yaml"
APE_TIMEOUT_SECONDS = 300


def allocate(
    anvil: AnvilNode, directory: Path, *options: str, plan: Path = EXAMPLE_PLAN
) -> subprocess.CompletedProcess[str]:
    """Run `ape run allocate` on `anvil` with the registry in `directory`, as an operator would."""
    command = [
        str(Path(sys.executable).parent / "ape"),
        "run",
        "allocate",
        "--network",
        "ethereum:local:foundry",
        "--provider-settings",
        json.dumps({"host": anvil.url}),
        "--plan",
        str(plan),
        "--deployments-dir",
        str(directory),
        *options,
    ]
    # ape-foundry wants `anvil` on PATH even to connect to a running one; ape-vyper wants the venv's `vyper`.
    path = os.pathsep.join([str(Path(sys.executable).parent), str(NODE_BIN), os.environ.get("PATH", "")])
    return subprocess.run(
        command,
        cwd=PROJECT_ROOT,
        env={**os.environ, "PATH": path},
        capture_output=True,
        text=True,
        timeout=APE_TIMEOUT_SECONDS,
        check=False,
    )


def test_the_example_plan_is_granted_once(l1_anvil: AnvilNode, deployments_dir: Path) -> None:
    plan = load_plan(EXAMPLE_PLAN)
    dry = allocate(l1_anvil, deployments_dir, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    summary = f"{len(plan.grants)} grants to create (1,000,000,000 TPW); would mint 1,000,000,000 TPW"
    assert summary in dry.stdout

    first = allocate(l1_anvil, deployments_dir)
    assert first.returncode == 0, first.stderr
    assert f"done: {len(plan.grants)} grants created, 0 were there already" in first.stdout

    again = allocate(l1_anvil, deployments_dir)
    assert again.returncode == 0, again.stderr
    assert "0 grants to create" in again.stdout

    entry = Deployments.load("local", deployments_dir).get("VestingEscrow")
    escrow = VestingEscrow(make_web3(l1_anvil.url), entry.address, from_block=entry.block_number)
    created = escrow.created_grants()
    assert [event.reference for event in created] == [grant.reference for grant in plan.grants]
    for planned, event in zip(plan.grants, created, strict=True):
        grant = escrow.grant(event.grant_id)
        assert grant is not None
        assert (grant.beneficiary, grant.amount, grant.schedule) == (
            planned.beneficiary,
            planned.amount,
            planned.schedule,
        )


def test_a_bad_plan_is_refused_with_its_line(
    l1_anvil: AnvilNode, deployments_dir: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    text = EXAMPLE_PLAN.read_text().replace("percentage: 17.5", "percentage: 17")
    bad.write_text(text)
    result = allocate(l1_anvil, deployments_dir, "--dry-run", plan=bad)
    assert result.returncode != 0
    line = next(number for number, row in enumerate(text.splitlines(), start=1) if row == "categories:")
    error = f"{bad}:{line}:1: categories: percentages sum to 99.5, not exactly 100"
    assert error in result.stdout + result.stderr
