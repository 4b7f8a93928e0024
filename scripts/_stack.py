"""The local TPWallet stack: two anvil chains, the contracts deployed on both, the API — up and down as one.

`ape run devnet` keeps it up until Ctrl-C; `ape run demo` brings it up, runs the main flow and takes it
down. Both go through `DevnetStack`, so what a developer pokes at is what the demo exercised.
(The leading underscore keeps `ape run` from listing this module as a script.)
"""

import contextlib
import json
import os
import shutil
import signal
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from pydantic_settings import BaseSettings, SettingsConfigDict

from chain.anvil import AnvilConfig, AnvilNode
from chain.deploy import deploy_all
from chain.deployments import Deployments
from chain.paths import BUILD_MANIFEST, PROJECT_ROOT
from chain.processes import LOOPBACK, ManagedProcess, port_in_use

L1_NETWORK = "local"  # Ape's ethereum:local, served by anvil through the foundry provider
L2_NETWORK = "l2devnet"  # the custom network in ape-config.yaml, served by anvil through the node provider


class DevnetSettings(BaseSettings):
    """Ports, chain ids and paths of the local stack (env prefix TPW_, e.g. TPW_L1_PORT=18545)."""

    model_config = SettingsConfigDict(env_prefix="TPW_", extra="ignore")

    l1_port: int = 8545
    l2_port: int = 9545
    l1_chain_id: int = 31337
    l2_chain_id: int = 31338
    api_port: int = 8000
    var_dir: Path = PROJECT_ROOT / "var"
    deployments_dir: Path = PROJECT_ROOT / "deployments"


class StackError(RuntimeError):
    """The stack cannot start; the message is one line naming the cause."""


class Progress:
    """Numbered, timed progress lines so a person can follow a long start-up."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    @contextlib.contextmanager
    def step(self, text: str) -> Iterator[None]:
        began = time.monotonic()
        print(f"  … {text}", end="", flush=True)
        try:
            yield
        except BaseException:
            print("  FAILED", flush=True)
            raise
        print(f"  ok ({time.monotonic() - began:.1f}s)", flush=True)

    @staticmethod
    def heading(text: str) -> None:
        print(f"\n== {text}", flush=True)

    @staticmethod
    def note(text: str) -> None:
        print(f"     {text}", flush=True)


@dataclass
class Chain:
    """One running chain of the stack and what is deployed on it."""

    label: str
    network: str
    node: AnvilNode
    deployments: Deployments | None = None

    @property
    def url(self) -> str:
        return self.node.url

    @property
    def ape_choice(self) -> tuple[str, dict[str, str]]:
        """Ape network choice and provider settings that reach this anvil."""
        if self.network == L1_NETWORK:
            return "ethereum:local:foundry", {"host": self.url}
        return f"ethereum:{self.network}:node", {"uri": self.url}


@dataclass
class DevnetStack:
    """Start order: preflight, L1, L2, deploy both, API. Stop order: the reverse."""

    settings: DevnetSettings = field(default_factory=DevnetSettings)
    progress: Progress = field(default_factory=Progress)
    chains: list[Chain] = field(default_factory=list)
    processes: list[ManagedProcess] = field(default_factory=list)

    @property
    def log_dir(self) -> Path:
        return self.settings.var_dir / "logs"

    @property
    def api_url(self) -> str:
        return f"http://{LOOPBACK}:{self.settings.api_port}"

    def preflight(self) -> None:
        """Refuse to start over anything of someone else's: ports must be free, tools present."""
        wanted = {
            self.settings.l1_port: "L1 anvil (TPW_L1_PORT)",
            self.settings.l2_port: "L2 anvil (TPW_L2_PORT)",
            self.settings.api_port: "API (TPW_API_PORT)",
        }
        for port, role in wanted.items():
            if port_in_use(port):
                raise StackError(
                    f"port {LOOPBACK}:{port} for the {role} is already in use: stop what listens there "
                    f"(`ss -ltnp 'sport = :{port}'`) or choose another port"
                )
        if shutil.which("node") is None:
            raise StackError("Node.js not found on PATH: install Node.js >= 18 (anvil is an npm package)")
        if not BUILD_MANIFEST.exists():
            raise StackError("contracts are not compiled: run `make compile` (or `ape compile`)")

    def start(self) -> None:
        self.preflight()
        run_dir = self.settings.var_dir / "devnet"
        shutil.rmtree(run_dir, ignore_errors=True)  # fresh chains, so fresh state
        run_dir.mkdir(parents=True, exist_ok=True)
        for label, network, port, chain_id in (
            ("L1", L1_NETWORK, self.settings.l1_port, self.settings.l1_chain_id),
            ("L2", L2_NETWORK, self.settings.l2_port, self.settings.l2_chain_id),
        ):
            with self.progress.step(f"starting {label} anvil (chain id {chain_id}) on {LOOPBACK}:{port}"):
                node = AnvilNode(AnvilConfig(label.lower(), port, chain_id), log_dir=self.log_dir)
                self.processes.append(node)
                node.start()
            self.chains.append(Chain(label, network, node))
        for chain in self.chains:
            with self.progress.step(f"deploying contracts to {chain.label} with Ape ({chain.network})"):
                chain.deployments = self._deploy(chain)
            for name in chain.deployments.names():
                self.progress.note(f"{chain.label} {name:<18} {chain.deployments.get(name).address}")
        with self.progress.step(f"starting the API on {self.api_url}"):
            self._start_api(run_dir)

    def _deploy(self, chain: Chain) -> Deployments:
        from ape import networks

        choice, provider_settings = chain.ape_choice
        with networks.parse_network_choice(choice, provider_settings=provider_settings):
            return deploy_all(chain.network, self.settings.deployments_dir)

    def _start_api(self, run_dir: Path) -> None:
        env = {
            **os.environ,
            "TPW_DATABASE_URL": f"sqlite:///{run_dir / 'tpwallet.db'}",
            "TPW_L1_RPC_URL": self.chains[0].url,
            "TPW_L2_RPC_URL": self.chains[1].url,
            "TPW_DEPLOYMENTS_DIR": str(self.settings.deployments_dir),
            "TPW_API_HOST": LOOPBACK,
            "TPW_API_PORT": str(self.settings.api_port),
        }
        api = ManagedProcess(
            "api",
            [sys.executable, "-m", "api"],
            log_path=self.log_dir / "api.log",
            env=env,
            cwd=PROJECT_ROOT,
        )
        self.processes.append(api)
        api.start()
        api.wait_ready(lambda: self.get_json("/health")["status"] == "ok", timeout=60)

    def get_json(self, path: str) -> dict[str, object]:
        """GET a JSON document from the API (the demo reads results back the way a client would)."""
        with urllib.request.urlopen(f"{self.api_url}{path}", timeout=10) as response:  # noqa: S310
            body: dict[str, object] = json.load(response)
            return body

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()


@contextlib.contextmanager
def running_stack(settings: DevnetSettings | None = None) -> Iterator[DevnetStack]:
    """Bring the stack up, yield it, and take it down whatever happens (errors, Ctrl-C, SIGTERM)."""
    stack = DevnetStack(settings or DevnetSettings())
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        stack.start()
        yield stack
    finally:
        Progress.heading("shutting down")
        stack.stop()
        signal.signal(signal.SIGTERM, previous)
        print("     all processes stopped", flush=True)


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def exit_on_stack_error(error: Exception) -> None:
    """One clear line and a non-zero exit: what `make demo`/`make devnet` print when they cannot start."""
    print(f"\nerror: {error}", file=sys.stderr, flush=True)
    sys.exit(2)
