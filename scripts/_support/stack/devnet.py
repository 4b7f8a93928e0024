"""The local TPWallet stack: two anvil chains, the contracts deployed on both, the API — up and down as one.

`ape run devnet` keeps it up until Ctrl-C; `ape run demo` brings it up, runs the main flow and takes it
down. Both go through `DevnetStack`, so what a developer pokes at is what the demo exercised. Its settings
and progress lines are in `stack_config`, its chains and node policies in `stack_deployments`, the
sandboxes in `stack_sandboxes`, the API's database in `stack_database`, the environment the API starts
with in `stack_api_env`, and the API as a client sees it in `stack_api`.
"""

import contextlib
import os
import secrets
import shutil
import signal
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from eth_account.signers.local import LocalAccount
from sqlalchemy import make_url

from chain.bridge.deploy import DeployedBridges
from chain.files import PRIVATE, write_atomic
from chain.paths import BUILD_MANIFEST, PROJECT_ROOT
from custody.keystore import Kek
from custody.node.settings import KEK_FILE_ENV_VAR, SECRET_ENV_VARS
from custody.provision import GroupLayout, provision_group
from scripts._support.anvil import AnvilConfig, AnvilNode, BlockTicker
from scripts._support.processes import LOOPBACK, ManagedProcess, port_in_use
from scripts._support.stack.api import create_api_key, request_json
from scripts._support.stack.api_env import api_environment
from scripts._support.stack.bridge import (
    BRIDGE_CONFIRMATIONS,
    BRIDGE_RELAY_SCOPES,
    BRIDGE_RELAY_STARTED,
    BRIDGED_TUSD,
    bridge_policy,
    bridge_relay_process,
    deploy_bridge,
    funded_relayer,
    witness_settings,
)
from scripts._support.stack.config import DevnetSettings, Progress, StackError
from scripts._support.stack.database import api_database_url
from scripts._support.stack.deployments import (
    L1_NETWORK,
    L2_NETWORK,
    POOL_SEED_TPW,
    POOL_SEED_TUSD,
    Chain,
    bootstrap_policy,
    deploy_contracts,
    deploy_lp_pool,
    node_policy,
)
from scripts._support.stack.sandboxes import SandboxLinks, start_sandboxes
from scripts._support.stack.settlement import ANCHORER_STARTED, anchorer_process
from scripts._support.stack.workers import (
    KEEPER_STARTED,
    PAYMENTS_WATCHER_STARTED,
    WEBHOOKS_STARTED,
    keeper_process,
    keeper_relayer,
    payments_watcher_process,
    webhook_worker_process,
)

SAMPLE_SANCTIONS_LIST = PROJECT_ROOT / "config" / "risk" / "sanctions"


@dataclass
class DevnetStack:
    """Start order: preflight, L1, L2, signer nodes, sandbox bank, card processor, KYC provider, API, DKG,
    deploy both, the bridge, node policy, keeper, webhook worker, payments watcher, settlement anchorer,
    bridge relay. Stop order: the reverse."""

    settings: DevnetSettings = field(default_factory=DevnetSettings)
    progress: Progress = field(default_factory=Progress)
    chains: list[Chain] = field(default_factory=list)
    processes: list[ManagedProcess] = field(default_factory=list)
    nodes: dict[int, ManagedProcess] = field(default_factory=dict)
    custody: GroupLayout | None = None
    keeper: ManagedProcess | None = None
    custody_key_id: str = "treasury"
    custody_key: tuple[int, int] | None = None
    api_key: str = field(default="", repr=False)
    bridge_api_key: str = field(default="", repr=False)  # the bridge relay's: `custody:sign` only
    bridges: DeployedBridges | None = None
    ticker: BlockTicker | None = None  # a block a second on both chains (the relays' confirmations)
    api_database: str = ""  # the API's database URL, password masked
    database_url: str = field(default="", repr=False)  # the same, unmasked, for the workers on it
    webhook_key_file: Path = Path()  # set when the API starts: var/devnet/webhooks/secrets.key
    sandboxes: SandboxLinks | None = None  # set when the sandboxes start: their URLs and secrets' files
    _kek_hex: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    _kek_file: Path | None = None

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
            self.settings.bank_port: "sandbox bank (TPW_BANK_PORT)",
            self.settings.card_processor_port: "sandbox card processor (TPW_CARD_PROCESSOR_PORT)",
            self.settings.kyc_provider_port: "sandbox KYC provider (TPW_KYC_PROVIDER_PORT)",
        }
        for node_id in self.node_ids:
            wanted[self.node_port(node_id)] = f"custody signer node {node_id} (TPW_NODE_BASE_PORT)"
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
            with self.progress.step(
                f"starting {label} anvil (chain id {chain_id}) on {LOOPBACK}:{port}, a block every "
                f"{self.settings.block_time_seconds}s and one per transaction"
            ):
                node = AnvilNode(AnvilConfig(label.lower(), port, chain_id), log_dir=self.log_dir)
                self.processes.append(node)
                node.start()
            self.chains.append(Chain(label, network, node))
        self.ticker = BlockTicker(
            [chain.url for chain in self.chains], self.settings.block_time_seconds
        ).start()
        self._start_custody(run_dir)
        self.sandboxes = start_sandboxes(
            self.settings, run_dir, self.log_dir, self.api_url, self.progress, self._launch
        )
        with self.progress.step(f"starting the API on {self.api_url} (it hosts the custody coordinator)"):
            self._start_api(run_dir)
        self.progress.note(f"API database: {self.api_database}")
        with self.progress.step(
            f"DKG across the nodes over mTLS: a {self.settings.custody_threshold}-of-{len(self.node_ids)} "
            f"group key {self.custody_key_id!r}, through POST /v1/custody/keys"
        ):
            self._create_custody_key()
        assert self.custody_key is not None
        self.progress.note(f"group key x = {self.custody_key[0]:#066x}")
        for chain in self.chains:
            with self.progress.step(f"deploying contracts to {chain.label} with Ape ({chain.network})"):
                chain.deployments = deploy_contracts(chain, self.custody_key, self.settings.deployments_dir)
            if chain.network == L1_NETWORK:
                with self.progress.step(
                    f"seeding the TPW/tUSD Uniswap V2 pool on {chain.label} "
                    f"({POOL_SEED_TPW:,} TPW, {POOL_SEED_TUSD:,} tUSD)"
                ):
                    deploy_lp_pool(chain, self.settings.deployments_dir)
        window = self.settings.l1_challenge_window_seconds
        with self.progress.step(
            f"deploying the bridge: BridgeL1 on L1, BridgeL2 and {BRIDGED_TUSD} on L2, guardians the "
            f"treasuries, a {window}s challenge window on L1"
        ):
            self.bridges = deploy_bridge(self.chains[0], self.chains[1], self.custody_key, window)
        for chain in self.chains:
            assert chain.deployments is not None
            for name in chain.deployments.names():
                self.progress.note(f"{chain.label} {name:<20} {chain.deployments.get(name).address}")
        with self.progress.step("giving the signer nodes a policy for the deployed contracts (restart)"):
            self._install_policy()
        self._start_workers(run_dir)
        with self.progress.step("starting the settlement anchorer (trade batches onto SettlementAnchor)"):
            self._start_anchorer(run_dir)
        with self.progress.step(
            f"starting the bridge relay (L1 <-> L2 at {BRIDGE_CONFIRMATIONS} confirmations, its own relayer)"
        ):
            self._start_bridge_relay(run_dir)

    @property
    def node_ids(self) -> list[int]:
        return list(range(1, self.settings.custody_nodes + 1))

    def node_port(self, node_id: int) -> int:
        return self.settings.node_base_port + node_id - 1

    def _start_custody(self, run_dir: Path) -> None:
        """Lay out the signer group (CA, certificates, identities, roster) and start one process per node.

        The nodes' key stores are sealed with a KEK made for this run and handed to them in a 0600 file
        named by ``TPW_CUSTODY_KEK_FILE`` (never in their environment, which stays readable in
        ``/proc/<pid>/environ``); production nodes each get their own, e.g. as a systemd credential.
        """
        self._kek_file = run_dir / "custody-kek.secret"
        write_atomic(self._kek_file, (self._kek_hex + "\n").encode(), mode=PRIVATE)
        with self.progress.step(
            f"laying out {len(self.node_ids)} signer nodes (group CA, mTLS certificates)"
        ):
            self.custody = provision_group(
                run_dir / "custody",
                self.node_ids,
                [self.node_port(node_id) for node_id in self.node_ids],
                unlocker=Kek(bytes.fromhex(self._kek_hex)),
                policy_text=bootstrap_policy(self.settings.l1_chain_id),
            )
        for node_id in self.node_ids:
            with self.progress.step(
                f"starting signer node {node_id} on {LOOPBACK}:{self.node_port(node_id)}"
            ):
                self._start_node(node_id)

    def _start_node(self, node_id: int) -> None:
        assert self.custody is not None
        inherited = {name: value for name, value in os.environ.items() if name not in SECRET_ENV_VARS}
        env = {
            **inherited,
            **self.custody.node_environment(node_id),
            **witness_settings(self.chains, self.bridges),
            KEK_FILE_ENV_VAR: str(self._kek_file),
        }
        argv = self.custody.node_argv(node_id)
        node = ManagedProcess(f"node-{node_id}", argv, log_path=self.log_dir / f"node-{node_id}.log", env=env)
        self.processes.append(node)
        self.nodes[node_id] = node
        node.start()
        node.wait_port(self.node_port(node_id), timeout=60)

    def _create_custody_key(self) -> None:
        body = self.post_json(
            "/v1/custody/keys", {"threshold": self.settings.custody_threshold, "key_id": self.custody_key_id}
        )
        group_key = body["group_public_key"]
        assert isinstance(group_key, dict)
        self.custody_key = (int(group_key["x"], 16), int(group_key["y"], 16))

    def _install_policy(self) -> None:
        """Write each node's policy for the contracts just deployed on L1, then restart the nodes in turn."""
        assert self.custody is not None
        l1 = self.chains[0].deployments
        assert l1 is not None
        policy = node_policy(self.settings.l1_chain_id, l1, self.settings.anchor_velocity)
        assert self.bridges is not None
        chain_ids = (self.settings.l1_chain_id, self.settings.l2_chain_id)
        policy = bridge_policy(policy, chain_ids, self.bridges)
        for node_id in self.node_ids:
            self.custody.node(node_id).policy.write_text(policy)
        with ThreadPoolExecutor(len(self.node_ids)) as pool:
            list(pool.map(lambda node_id: self.nodes[node_id].stop(), self.node_ids))
        for node_id in self.node_ids:
            self.processes.remove(self.nodes[node_id])
            self._start_node(node_id)

    @property
    def keeper_relayer(self) -> LocalAccount:
        """The dev account that pays the keeper's gas (it holds no authority over subscriptions)."""
        return keeper_relayer()

    def _start_workers(self, run_dir: Path) -> None:
        """The keeper, the webhook worker and the payments watcher (`stack_workers`), each waited for."""
        l1, deployments_dir = self.chains[0], self.settings.deployments_dir
        with self.progress.step(
            f"starting the subscription keeper on L1 (relayer {keeper_relayer().address})"
        ):
            self.keeper = self._launch(
                keeper_process(run_dir, self.log_dir, l1, deployments_dir), KEEPER_STARTED
            )
        with self.progress.step("starting the webhook delivery worker (sandbox endpoints may be loopback)"):
            worker = webhook_worker_process(self.log_dir, self.database_url, self.webhook_key_file)
            self._launch(worker, WEBHOOKS_STARTED)
        with self.progress.step("starting the payments watcher (tUSD paid through L1's PaymentRouter)"):
            watcher = payments_watcher_process(
                run_dir,
                self.log_dir,
                l1=l1,
                deployments_dir=deployments_dir,
                database_url=self.database_url,
                api_url=self.api_url,
                api_key=self.api_key,
                custody_key_id=self.custody_key_id,
                screening_list_dir=self.sanctions_list_dir(run_dir),
            )
            self._launch(watcher, PAYMENTS_WATCHER_STARTED)

    def _start_anchorer(self, run_dir: Path) -> None:
        """`python -m relay.settlement` (`stack_settlement`): anchors the API's settled trades on L1."""
        anchorer = anchorer_process(
            run_dir,
            self.log_dir,
            rpc_url=self.chains[0].url,
            network=self.chains[0].network,
            deployments_dir=self.settings.deployments_dir,
            database_url=self.database_url,
            api_url=self.api_url,
            api_key=self.api_key,
            custody_key_id=self.custody_key_id,
            batch_age_seconds=self.settings.settlement_batch_age_seconds,
        )
        self._launch(anchorer, ANCHORER_STARTED)

    def _start_bridge_relay(self, run_dir: Path) -> None:
        """`python -m relay.bridge` (`stack_bridge`): carries deposits to L2 and withdrawals to L1."""
        assert self.bridges is not None
        relay = bridge_relay_process(
            run_dir,
            self.log_dir,
            chains=(self.chains[0], self.chains[1]),
            bridges=self.bridges,
            database_url=self.database_url,
            api_url=self.api_url,
            api_key=self.bridge_api_key,
            custody_key_id=self.custody_key_id,
            relayer=funded_relayer(self.chains),
        )
        self._launch(relay, BRIDGE_RELAY_STARTED)

    def _launch(self, process: ManagedProcess, ready_line: str) -> ManagedProcess:
        """Start `process` (stopped with the stack) and wait until its log shows `ready_line`."""
        self.processes.append(process)
        process.start()
        log_path = process.log_path
        process.wait_ready(lambda: ready_line in log_path.read_text(errors="replace"), timeout=60)
        return process

    def api_database_url(self, run_dir: Path) -> str:
        """The API's database for a run in `run_dir` (see `stack_database.api_database_url`)."""
        return api_database_url(self.settings, run_dir)

    @staticmethod
    def sanctions_list_dir(run_dir: Path) -> Path:
        """This run's sanctions list, a copy of the shipped sample made on first use, so that replacing
        the list (`PUT /v1/screening/list`) changes the run's copy, never the checkout's."""
        target = run_dir / "sanctions"
        if not target.exists():
            shutil.copytree(SAMPLE_SANCTIONS_LIST, target)
        return target

    def _start_api(self, run_dir: Path) -> None:
        assert self.sandboxes is not None
        database_url = self.api_database_url(run_dir)  # on PostgreSQL: a schema made afresh, so only once
        self.database_url = database_url
        self.api_database = make_url(database_url).render_as_string(hide_password=True)
        api_env = api_environment(
            self.settings,
            run_dir,
            api_url=self.api_url,
            database_url=database_url,
            chains=(self.chains[0], self.chains[1]),
            sandboxes=self.sandboxes,
            screening_list_dir=self.sanctions_list_dir(run_dir),
            custody=self.custody,
        )
        self.webhook_key_file, env = api_env.webhook_key_file, api_env.env
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
        self.api_key = create_api_key(env)
        self.bridge_api_key = create_api_key(env, "bridge-relay", BRIDGE_RELAY_SCOPES)

    def get_json(self, path: str) -> dict[str, Any]:
        """GET a JSON document from the API (the demo reads results back the way a client would)."""
        return request_json(self.api_url, self.api_key, "GET", path, None)

    def post_json(self, path: str, payload: dict[str, object]) -> dict[str, Any]:
        """POST with the devnet API key and a fresh idempotency key."""
        return request_json(self.api_url, self.api_key, "POST", path, payload)

    def stop(self) -> None:
        if self.ticker is not None:
            self.ticker.stop()
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
