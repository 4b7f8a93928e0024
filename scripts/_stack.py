"""The local TPWallet stack: two anvil chains, the contracts deployed on both, the API — up and down as one.

`ape run devnet` keeps it up until Ctrl-C; `ape run demo` brings it up, runs the main flow and takes it
down. Both go through `DevnetStack`, so what a developer pokes at is what the demo exercised.
(The leading underscore keeps `ape run` from listing this module as a script.)

The API's database is a fresh SQLite file under `var/devnet/` by default. When `TPW_DATABASE_URL` names a
PostgreSQL database, the API runs on it instead, in a schema of its own (`TPW_DEVNET_SCHEMA`, default
`tpw_devnet`) that each start drops and creates afresh, so nothing else in that database is touched.
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from eth_account.signers.local import LocalAccount
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import create_engine, make_url, text

from chain.deploy import TUSD_UNIT, DeployConfig, deploy_all
from chain.deployments import Deployments
from chain.dev_accounts import dev_accounts
from chain.files import PRIVATE, write_atomic
from chain.paths import BUILD_MANIFEST, PROJECT_ROOT
from custody.keystore import Kek
from custody.node.settings import KEK_FILE_ENV_VAR, SECRET_ENV_VARS
from custody.policy.builder import asset_limits, with_custody_transfers
from custody.provision import GroupLayout, provision_group
from scripts._support.anvil import AnvilConfig, AnvilNode
from scripts._support.processes import LOOPBACK, ManagedProcess, port_in_use

L1_NETWORK = "local"  # Ape's ethereum:local, served by anvil through the foundry provider
L2_NETWORK = "l2devnet"  # the custom network in ape-config.yaml, served by anvil through the node provider
KEEPER_RELAYER_INDEX = 8  # dev account 8 pays the subscription keeper's gas
KEEPER_STARTED = "keeper for"  # what `relay.keeper` logs once it is running


class DevnetSettings(BaseSettings):
    """Ports, chain ids and paths of the local stack (env prefix TPW_, e.g. TPW_L1_PORT=18545)."""

    model_config = SettingsConfigDict(env_prefix="TPW_", extra="ignore")

    l1_port: int = 8545
    l2_port: int = 9545
    l1_chain_id: int = 31337
    l2_chain_id: int = 31338
    api_port: int = 8000
    node_base_port: int = 7101  # signer node i listens on node_base_port + i - 1
    custody_nodes: int = 3
    custody_threshold: int = 2
    var_dir: Path = PROJECT_ROOT / "var"
    deployments_dir: Path = PROJECT_ROOT / "deployments"
    database_url: str | None = Field(default=None, repr=False)  # a PostgreSQL URL: the API runs on it
    devnet_schema: str = Field(default="tpw_devnet", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    anchor_velocity: int = 600  # Anchor signatures the nodes' devnet policy allows an hour


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

    def ape_connection(self) -> contextlib.AbstractContextManager[object]:
        """Ape connected to this anvil for the `with` block (what `ape run ... --network` would give)."""
        from ape import networks

        choice, provider_settings = self.ape_choice
        return networks.parse_network_choice(choice, provider_settings=provider_settings)


@dataclass
class DevnetStack:
    """Start order: preflight, L1, L2, signer nodes, API, DKG, deploy both, node policy, keeper.
    Stop order: the reverse."""

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
    api_database: str = ""  # the API's database URL, password masked
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
            with self.progress.step(f"starting {label} anvil (chain id {chain_id}) on {LOOPBACK}:{port}"):
                node = AnvilNode(AnvilConfig(label.lower(), port, chain_id), log_dir=self.log_dir)
                self.processes.append(node)
                node.start()
            self.chains.append(Chain(label, network, node))
        self._start_custody(run_dir)
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
                chain.deployments = self._deploy(chain)
            for name in chain.deployments.names():
                self.progress.note(f"{chain.label} {name:<20} {chain.deployments.get(name).address}")
        with self.progress.step("giving the signer nodes a policy for the deployed contracts (restart)"):
            self._install_policy()
        relayer = self.keeper_relayer.address
        with self.progress.step(f"starting the subscription keeper on L1 (relayer {relayer})"):
            self._start_keeper(run_dir)

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
        env = {**inherited, **self.custody.node_environment(node_id), KEK_FILE_ENV_VAR: str(self._kek_file)}
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

    def _deploy(self, chain: Chain) -> Deployments:
        assert self.custody_key is not None
        owners = tuple(account.address for account in dev_accounts()[1:4])
        config = DeployConfig(owners=owners, threshold=2, custody_key=self.custody_key)
        with chain.ape_connection():
            return deploy_all(chain.network, config, self.settings.deployments_dir)

    def _install_policy(self) -> None:
        """Write each node's policy for the contracts just deployed (anchors on L1's SettlementAnchor; tUSD
        custody transfers out of L1's treasury up to 10,000 a transaction, 50,000 a day), then restart the
        nodes one by one."""
        assert self.custody is not None
        l1 = self.chains[0].deployments
        assert l1 is not None
        policy = with_custody_transfers(
            devnet_policy(
                self.settings.l1_chain_id, l1.get("SettlementAnchor").address, self.settings.anchor_velocity
            ),
            chain_id=self.settings.l1_chain_id,
            treasury=l1.get("MultisigTreasury").address,
            assets={l1.get("tUSD").address: asset_limits(10_000 * TUSD_UNIT, 50_000 * TUSD_UNIT)},
        )
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
        return dev_accounts()[KEEPER_RELAYER_INDEX]

    def _start_keeper(self, run_dir: Path) -> None:
        """`python -m relay.keeper` on L1, its state (cursor, retry schedule) in the run's own database."""
        env = {
            **os.environ,
            "TPW_KEEPER_RPC_URL": self.chains[0].url,
            "TPW_KEEPER_DEPLOYMENTS_NETWORK": self.chains[0].network,
            "TPW_KEEPER_DEPLOYMENTS_DIR": str(self.settings.deployments_dir),
            "TPW_KEEPER_DATABASE_URL": f"sqlite:///{run_dir / 'keeper.db'}",
            "TPW_KEEPER_RELAYER_KEY": "0x" + bytes(self.keeper_relayer.key).hex(),
            "TPW_KEEPER_CONFIRMATIONS": "1",
            "TPW_KEEPER_POLL_INTERVAL_SECONDS": "0.5",
        }
        log_path = self.log_dir / "keeper.log"
        keeper = ManagedProcess(
            "keeper", [sys.executable, "-m", "relay.keeper"], log_path=log_path, env=env, cwd=PROJECT_ROOT
        )
        self.processes.append(keeper)
        self.keeper = keeper
        keeper.start()
        keeper.wait_ready(lambda: KEEPER_STARTED in log_path.read_text(errors="replace"), timeout=60)

    def api_database_url(self, run_dir: Path) -> str:
        """The API's database: `settings.database_url` when it names PostgreSQL (in a fresh schema of
        `settings.devnet_schema`), else a fresh SQLite file in the run's directory."""
        configured = self.settings.database_url
        if not configured or make_url(configured).get_backend_name() != "postgresql":
            return f"sqlite:///{run_dir / 'tpwallet.db'}"
        return fresh_postgres_schema(configured, self.settings.devnet_schema)

    def _start_api(self, run_dir: Path) -> None:
        database_url = self.api_database_url(run_dir)
        self.api_database = make_url(database_url).render_as_string(hide_password=True)
        env = {
            **os.environ,
            "TPW_DATABASE_URL": database_url,
            "TPW_L1_RPC_URL": self.chains[0].url,
            "TPW_L2_RPC_URL": self.chains[1].url,
            "TPW_DEPLOYMENTS_DIR": str(self.settings.deployments_dir),
            "TPW_API_HOST": LOOPBACK,
            "TPW_API_PORT": str(self.settings.api_port),
        }
        if self.custody is not None:
            env |= {
                "TPW_CUSTODY_ROSTER_PATH": str(self.custody.roster_path),
                "TPW_CUSTODY_TLS_DIR": str(self.custody.coordinator_tls.certificate.parent),
                "TPW_CUSTODY_AUDIT_PATH": str(run_dir / "custody" / "coordinator" / "audit.jsonl"),
                "TPW_CUSTODY_POLICY_PATH": str(self.custody.node(self.node_ids[0]).policy),  # its operators
                "TPW_CUSTODY_THRESHOLD": str(self.settings.custody_threshold),
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
        scopes = "custody:read,custody:sign,custody:approve,custody:admin,custody:audit"
        created = subprocess.run(
            [sys.executable, "-m", "api.apikeys", "create", "--name", "devnet", "--scopes", scopes],
            env=env,
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        if created.returncode != 0:
            raise StackError(f"could not create the devnet API key: {created.stderr.strip()}")
        self.api_key = created.stdout.strip().splitlines()[-1]

    def get_json(self, path: str) -> dict[str, Any]:
        """GET a JSON document from the API (the demo reads results back the way a client would)."""
        return self._request("GET", path, None)

    def post_json(self, path: str, payload: dict[str, object]) -> dict[str, Any]:
        """POST with the devnet API key and a fresh idempotency key."""
        return self._request("POST", path, payload)

    def _request(self, method: str, path: str, payload: dict[str, object] | None) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        if method == "POST":
            headers["Idempotency-Key"] = secrets.token_hex(16)
        data = json.dumps(payload).encode() if payload is not None else None
        request = urllib.request.Request(  # noqa: S310 - the stack's own loopback URL
            f"{self.api_url}{path}", data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                body: dict[str, Any] = json.load(response)
                return body
        except urllib.error.HTTPError as error:
            problem = error.read().decode(errors="replace")
            raise StackError(f"{method} {path} answered {error.code}: {problem}") from None

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


def bootstrap_policy(chain_id: int) -> str:
    """The nodes' policy before our contracts exist: it names none of them, so the nodes sign nothing."""
    return (
        "version: 1\n"
        "default:\n"
        "  chains:\n"
        f"    {chain_id}:\n"
        "      contracts:\n"
        '        "0x0000000000000000000000000000000000000001": [Anchor]\n'
        "      anchor:\n"
        "        kinds: [1]\n"
        "        velocity: {max_signatures: 1, window_seconds: 60}\n"
    )


def fresh_postgres_schema(database_url: str, schema: str) -> str:
    """Drop and create `schema` in the PostgreSQL database at `database_url` (only that schema); the URL
    with its search path set to it."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:
        raise StackError(
            f"cannot prepare schema {schema!r} in the PostgreSQL database of TPW_DATABASE_URL "
            f"({type(error).__name__}): is the server up and the database there?"
        ) from None
    finally:
        engine.dispose()
    url = make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def drop_postgres_schema(database_url: str, schema: str) -> None:
    """Drop `schema` (and everything in it) from the PostgreSQL database at `database_url`."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        engine.dispose()


def devnet_policy(chain_id: int, anchor: str, max_signatures: int = 600) -> str:
    """The devnet nodes' policy: settlement (1) and reserves (2) anchors on the deployed SettlementAnchor,
    at most `max_signatures` an hour."""
    return (
        "version: 1\n"
        "default:\n"
        "  chains:\n"
        f"    {chain_id}:\n"
        "      contracts:\n"
        f'        "{anchor}": [Anchor]\n'
        "      anchor:\n"
        "        kinds: [1, 2]\n"
        f"        velocity: {{max_signatures: {max_signatures}, window_seconds: 3600}}\n"
    )
