"""Local service processes (anvil, uvicorn, signer nodes) that start, report readiness and stop cleanly.

The devnet, the demo and the test suites all run real processes on loopback. Each one gets its own
process group (so a terminal's Ctrl-C reaches only the supervisor, which then stops children in order)
and is tied to its parent's life with PR_SET_PDEATHSIG, so a supervisor killed with SIGKILL leaves no
orphan holding a port.
"""

import contextlib
import ctypes
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

LOOPBACK = "127.0.0.1"
_PR_SET_PDEATHSIG = 1


class ProcessError(RuntimeError):
    """A managed process could not start, died early, or never became ready."""


def port_in_use(port: int, host: str = LOOPBACK) -> bool:
    """True when something already listens on host:port (a connect succeeds)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def _group_running(pgid: int) -> bool:
    """Whether a process of group `pgid` still runs. Zombies do not count: an exited child whose parent
    died is reaped by PID 1 when it gets to it, and it holds no port or file any more."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (comm)"
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


def _group_gone(pgid: int, deadline: float) -> bool:
    """Wait until no process of group `pgid` runs (or `deadline`); whether none does."""
    while _group_running(pgid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port the kernel says is free right now (for tests that start their own services)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


EPHEMERAL_PORTS = Path("/proc/sys/net/ipv4/ip_local_port_range")
LOWEST_RUN_PORT = 10_000


def free_port_run(count: int, host: str = LOOPBACK) -> int:
    """The first of `count` consecutive ports free now, below the kernel's ephemeral range (for the signer
    nodes, which listen on a base port and the ones after it).

    A run taken inside that range was lost in CI: between the check and the third node's start, another
    process's outgoing connection (or another test's `free_port`) was given one of its ports. Below the
    range the kernel hands out none of them on its own; only another run picked the same moment could
    clash, and each port is bound to check it is free, not merely probed."""
    try:
        first_ephemeral = int(EPHEMERAL_PORTS.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        first_ephemeral = 32_768
    rng = random.SystemRandom()
    for _ in range(200):
        base = rng.randrange(LOWEST_RUN_PORT, first_ephemeral - count)
        if all(_bindable(base + offset, host) for offset in range(count)):
            return base
    raise RuntimeError(f"no run of {count} free ports below {first_ephemeral}")


def _bindable(port: int, host: str) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def _die_with_parent() -> None:
    """Runs in the child between fork and exec: ask the kernel for SIGTERM when the parent dies."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class ManagedProcess:
    """One child process with a log file, a readiness probe and an orderly stop.

    Use as a context manager, or call `start()` / `stop()`; `stop()` is idempotent.
    """

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def returncode(self) -> int | None:
        """The exit status once the process has ended (negative: the signal that ended it), else None."""
        return self._proc.poll() if self._proc else None

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> Self:
        if self._proc is not None:
            raise ProcessError(f"{self.name} was already started")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            try:
                self._proc = subprocess.Popen(
                    self.argv,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self.env,
                    cwd=self.cwd,
                    start_new_session=True,
                    preexec_fn=_die_with_parent,
                )
            except FileNotFoundError as exc:
                raise ProcessError(f"{self.name}: executable not found: {self.argv[0]}") from exc
        return self

    def log_tail(self, lines: int = 15) -> str:
        """The last lines the process wrote, to explain a failure."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, probe: Callable[[], bool], *, timeout: float = 30.0, interval: float = 0.05) -> None:
        """Poll `probe` until it answers True (ready, or whatever the caller awaits from the process); fail
        fast if the process exits meanwhile."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.running():
                code = self._proc.returncode if self._proc else None
                raise ProcessError(
                    f"{self.name} exited with code {code} while being waited for; log {self.log_path}:\n"
                    f"{self.log_tail()}"
                )
            with contextlib.suppress(Exception):
                if probe():
                    return
            time.sleep(interval)
        raise ProcessError(f"{self.name}: still waiting after {timeout:.0f}s; log {self.log_path}")

    def wait_port(self, port: int, *, host: str = LOOPBACK, timeout: float = 30.0) -> None:
        self.wait_ready(lambda: port_in_use(port, host), timeout=timeout)

    def kill(self) -> None:
        """SIGKILL the whole process group at once (fault tests: a crash, not a shutdown)."""
        if self._proc is not None and self._proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process group, wait for every process of it (not only its leader: npm's `anvil` is a
        wrapper whose child holds the port a moment longer), then SIGKILL what is left."""
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
        if not _group_gone(proc.pid, deadline):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            _group_gone(proc.pid, time.monotonic() + 1.0)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
