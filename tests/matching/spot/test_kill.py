"""kill -9 of a spot market mid-flow: reopened, the ledger has every acknowledged command's transfers once,
balances per currency, and escrow equals what the open orders need."""

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from tests.matching.spot.conftest import OpenMarket
from tests.matching.spot.ledger_view import assert_consistent, fund, transfer_count
from tests.matching.spot.test_flows import assert_reservations_match_the_book

ROOT = Path(__file__).resolve().parents[3]


def test_kill_9_mid_flow_posts_every_acknowledged_trade_once(
    open_market: OpenMarket, ledger: Engine, database_url: str, tmp_path: Path
) -> None:
    spot = open_market()
    for trader in (1, 2, 3):
        fund(ledger, spot.market, trader, tpw=5_000, tusd=500_000)
    spot.close()
    writer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.matching.spot.writer",
            str(tmp_path / "book"),
            database_url,
            "7",
            "5000",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    acked = 0
    assert writer.stdout is not None
    for line in writer.stdout:
        acked = int(line.split()[1]) if line.startswith("acked ") else acked
        if acked >= 150:
            break
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait()
    assert writer.returncode == -signal.SIGKILL

    reopened = open_market()
    assert reopened.book.last_seq >= acked
    assert_reservations_match_the_book(reopened)
    assert_consistent(ledger, reopened)
    count = transfer_count(ledger)
    reopened.close()
    assert_consistent(ledger, open_market())
    assert transfer_count(ledger) == count
