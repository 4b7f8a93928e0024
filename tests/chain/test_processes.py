"""`ManagedProcess`: readiness that fails fast when the child dies, an orderly stop, and its exit status."""

import sys
from pathlib import Path

import pytest

from chain.processes import ManagedProcess, ProcessError


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
