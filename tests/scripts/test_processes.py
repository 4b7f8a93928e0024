"""`ManagedProcess`: readiness that fails fast when the child dies, an orderly stop, and its exit status;
runs of free ports for the signer nodes, out of the kernel's way."""

import socket
import sys
from pathlib import Path

import pytest

from scripts._support.processes import (
    EPHEMERAL_PORTS,
    LOOPBACK,
    ManagedProcess,
    ProcessError,
    free_port,
    free_port_run,
    port_in_use,
)


def test_an_orderly_stop_reports_the_exit_status(tmp_path: Path) -> None:
    code = (
        "import signal, sys, time; signal.signal(signal.SIGTERM, lambda *_: sys.exit(0)); "
        "print('ready', flush=True); time.sleep(60)"
    )
    log_path = tmp_path / "log"
    process = ManagedProcess("sleeper", [sys.executable, "-c", code], log_path=log_path)
    assert process.returncode is None
    with process:
        process.wait_ready(lambda: "ready" in log_path.read_text(), timeout=30)
        assert process.returncode is None
    assert process.returncode == 0


def test_waiting_on_a_process_that_died_fails_at_once_with_its_log(tmp_path: Path) -> None:
    code = "print('cannot start: no config'); raise SystemExit(3)"
    with (
        ManagedProcess("broken", [sys.executable, "-c", code], log_path=tmp_path / "log") as process,
        pytest.raises(ProcessError, match="exited with code 3") as failure,
    ):
        process.wait_ready(lambda: False, timeout=30)
    assert "cannot start: no config" in str(failure.value)
    assert process.returncode == 3


def test_stop_waits_for_every_process_of_the_group_not_only_its_leader(tmp_path: Path) -> None:
    """A wrapper (like npm's `anvil`) whose child holds the port a moment after the wrapper exits: `stop`
    returns only when the child is gone too, so the port is free the moment it returns."""
    port = free_port()
    child = (
        "import signal, socket, sys, time\n"
        "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        f"s.bind(('127.0.0.1', {port})); s.listen()\n"
        "signal.signal(signal.SIGTERM, lambda *_: (time.sleep(0.5), sys.exit(0)))\n"
        "print('listening', flush=True)\n"
        "time.sleep(60)\n"
    )
    wrapper = (
        f"import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', {child!r}])\ntime.sleep(60)\n"
    )
    process = ManagedProcess("wrapper", [sys.executable, "-c", wrapper], log_path=tmp_path / "w.log")
    process.start()
    process.wait_port(port, timeout=20)
    process.stop()
    assert not port_in_use(port)


def test_a_port_run_is_free_and_below_the_kernels_ephemeral_range() -> None:
    first_ephemeral = int(EPHEMERAL_PORTS.read_text().split()[0])
    base = free_port_run(3)
    assert base + 3 <= first_ephemeral
    listeners = []
    try:
        for port in range(base, base + 3):  # each one can be bound: nothing holds it
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listeners.append(listener)
            listener.bind((LOOPBACK, port))
    finally:
        for listener in listeners:
            listener.close()
