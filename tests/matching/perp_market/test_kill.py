"""kill -9 of a perpetual market mid-flow: reopened, the journals replay into the same positions the
ledger holds, and a second reopen posts nothing (every acknowledged step stored once)."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.matching.perp_market.conftest import TRADERS, OpenPerp
from tests.matching.perp_market.view import UNIT, assert_ledger_agrees, records, transfer_count

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.slow
def test_kill_9_mid_flow_replays_to_the_ledger(
    open_funded: OpenPerp, ledger: Engine, database_url: str, tmp_path: Path
) -> None:
    perp = open_funded()
    for trader in TRADERS:
        perp.deposit(trader, 10_000 + trader, 500 * UNIT)
    perp.price_round(25_000)
    perp.close()
    writer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.matching.perp_market.writer",
            str(tmp_path / "perp"),
            database_url,
            "2",
            "5000",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    acked = [0, 0, 0]
    assert writer.stdout is not None
    for line in writer.stdout:
        acked = [int(part) for part in line.split()[1:]] if line.startswith("acked ") else acked
        if acked[0] >= 80:
            break
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    assert writer.returncode == -signal.SIGKILL

    reopened = open_funded()
    assert reopened.book.last_seq >= acked[1]  # every acknowledged command and input survived
    assert reopened.inputs.last_seq >= acked[2]
    assert_ledger_agrees(ledger, reopened)
    count, stored = transfer_count(ledger), records(ledger)
    reopened.close()
    assert_ledger_agrees(ledger, open_funded())
    assert (transfer_count(ledger), records(ledger)) == (count, stored)
