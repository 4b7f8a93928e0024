"""The devnet's building blocks against real anvil processes: readiness, accounts, clock, clean stop."""

import os
import signal
import sys
import time

import pytest

from chain.dev_accounts import dev_accounts
from scripts._support.anvil import AnvilConfig, AnvilNode, rpc_call
from scripts._support.processes import ManagedProcess, ProcessError, free_port, port_in_use

pytestmark = pytest.mark.devnet


def test_chains_have_their_ids_and_funded_dev_accounts(l1_anvil: AnvilNode, l2_anvil: AnvilNode) -> None:
    assert int(rpc_call(l1_anvil.url, "eth_chainId"), 16) == 31337
    assert int(rpc_call(l2_anvil.url, "eth_chainId"), 16) == 31338
    first = dev_accounts()[0]
    assert first.address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"  # anvil's well-known account 0
    for node in (l1_anvil, l2_anvil):
        balance = int(rpc_call(node.url, "eth_getBalance", [first.address, "latest"]), 16)
        assert balance >= 10_000 * 10**18 - 10**18


def test_increase_time_moves_the_clock(l2_anvil: AnvilNode) -> None:
    before = int(rpc_call(l2_anvil.url, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    l2_anvil.increase_time(3600)
    after = int(rpc_call(l2_anvil.url, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    assert after - before >= 3600


def test_stop_frees_the_port(tmp_path) -> None:
    node = AnvilNode(AnvilConfig("tmp", free_port(), 31999), log_dir=tmp_path)
    with node:
        assert port_in_use(node.config.port)
    assert not node.running()
    assert not port_in_use(node.config.port)


def test_missing_binary_is_named(tmp_path) -> None:
    node = AnvilNode(AnvilConfig("x", free_port(), 1), log_dir=tmp_path, binary=tmp_path / "no-anvil")
    with pytest.raises(ProcessError, match="anvil not found"):
        node.start()


def test_process_that_dies_early_reports_its_log(tmp_path) -> None:
    proc = ManagedProcess(
        "crasher",
        [sys.executable, "-c", "print('boom: bad config'); raise SystemExit(3)"],
        log_path=tmp_path / "c.log",
    )
    proc.start()
    with pytest.raises(ProcessError, match=r"exited with code 3[\s\S]*boom: bad config"):
        proc.wait_ready(lambda: False, timeout=10)


def test_child_dies_with_its_supervisor(tmp_path) -> None:
    """A supervisor killed with SIGKILL must not leave its children holding ports."""
    port = free_port()
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from scripts._support.anvil import AnvilConfig, AnvilNode\n"
        f"node = AnvilNode(AnvilConfig('orphan', {port}, 31998), log_dir=Path({str(tmp_path)!r}))\n"
        "node.start()\n"
        "print(node.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    supervisor = ManagedProcess("supervisor", [sys.executable, "-c", script], log_path=tmp_path / "s.log")
    supervisor.start()
    supervisor.wait_ready(lambda: (tmp_path / "s.log").read_text().strip().isdigit(), timeout=30)
    child_pid = int((tmp_path / "s.log").read_text())
    assert port_in_use(port)
    os.kill(supervisor.pid or 0, signal.SIGKILL)
    supervisor.stop()
    deadline = time.monotonic() + 10
    while port_in_use(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not port_in_use(port), f"anvil child {child_pid} outlived its supervisor"
