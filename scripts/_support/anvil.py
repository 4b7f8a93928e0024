"""anvil, the real JSON-RPC devnet node: start one per chain, call it, move its clock, tick its blocks (its
funded accounts are `chain.dev_accounts`).

anvil comes from the npm package `@foundry-rs/anvil` pinned in package.json, so it lives in
`node_modules/.bin/anvil` of the project; nothing is downloaded at run time.
"""

import contextlib
import json
import threading
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chain.dev_accounts import DEV_ACCOUNT_COUNT, DEV_MNEMONIC
from chain.paths import NODE_BIN
from scripts._support.processes import LOOPBACK, ManagedProcess, ProcessError

ANVIL_BIN = NODE_BIN / "anvil"


def rpc_call(url: str, method: str, params: list[Any] | None = None, timeout: float = 5.0) -> Any:
    """One JSON-RPC call with the standard library (readiness probes and devnet-only cheat codes)."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    if not url.startswith(("http://", "https://")):
        raise ProcessError(f"not an HTTP JSON-RPC URL: {url}")
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked above
        reply = json.load(response)
    if "error" in reply:
        raise ProcessError(f"{method} failed: {reply['error']}")
    return reply["result"]


@dataclass(frozen=True)
class AnvilConfig:
    """What distinguishes one chain of the devnet from the other."""

    name: str
    port: int
    chain_id: int
    block_time: float | None = None  # None: mine a block per transaction


class AnvilNode(ManagedProcess):
    """An anvil process on loopback with the dev mnemonic and a fixed chain id."""

    def __init__(self, config: AnvilConfig, *, log_dir: Path, binary: Path = ANVIL_BIN) -> None:
        argv = [
            str(binary),
            "--host",
            LOOPBACK,
            "--port",
            str(config.port),
            "--chain-id",
            str(config.chain_id),
            "--mnemonic",
            DEV_MNEMONIC,
            "--accounts",
            str(DEV_ACCOUNT_COUNT),
        ]
        if config.block_time is not None:
            argv += ["--block-time", str(config.block_time)]
        super().__init__(f"anvil-{config.name}", argv, log_path=log_dir / f"anvil-{config.name}.log")
        self.config = config
        self.binary = binary

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.config.port}"

    def start(self) -> "AnvilNode":
        if not self.binary.exists():
            raise ProcessError(
                f"anvil not found at {self.binary}: run `make install` (needs Node.js and npm)"
            )
        super().start()
        self.wait_ready(self._answers, timeout=30)
        return self

    def _answers(self) -> bool:
        return int(rpc_call(self.url, "eth_chainId", timeout=1.0), 16) == self.config.chain_id

    def increase_time(self, seconds: int) -> None:
        """Move the chain's clock forward and mine a block so the new time is visible."""
        rpc_call(self.url, "evm_increaseTime", [seconds])
        rpc_call(self.url, "evm_mine")


class BlockTicker:
    """Mines an empty block on each node every `interval` seconds, from a daemon thread, until `stop()`.

    The devnet's anvils automine (a block per transaction, at once) and this adds a block a second, so a
    watcher reading at a confirmation depth sees its message buried within seconds even when nothing else
    is sent (the bridge relay reads at 2). Not anvil's own `--block-time`, alone or with `--mixed-mining`:
    then `anvil_getAutomine` answers false, and Ape, taking the node for a manually mined one, returns from a
    deployment without its receipt ("did not create a contract")."""

    def __init__(self, urls: list[str], interval: float) -> None:
        self.urls = urls
        self.interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="block-ticker", daemon=True)

    def start(self) -> "BlockTicker":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(self.interval):
            for url in self.urls:
                with contextlib.suppress(ProcessError, OSError):  # a node stopping: the stack stops us next
                    rpc_call(url, "evm_mine", timeout=self.interval)
