"""Real signer-node processes for tests and benchmarks: a group CA, node directories, shares, policy, roster.

`CustodyGroup` provisions a group exactly as an operator would (`custody.provision`: CA, certificates,
KEK-sealed key stores holding each node's identity, policy, roster) and installs dealt shares, then starts
each node as its own ``python -m custody.node`` process on a free loopback port, and can stop, SIGKILL and
restart any of them. Shares come from a dealer (`tests.helpers.frost_signing.fixed_key`) or are given. Key
stores are sealed with the group's test KEK, so no scrypt runs anywhere; nodes read it from a 0600 file
(``TPW_CUSTODY_KEK_FILE``), as a deployment should, never from their environment.

`anchor_intent` makes a distinct, policy-allowed intent per call; `TEST_POLICY` allows anchors of kinds
1 and 2 on the test contract and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import ssl
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Final, Self

from chain.intents import Anchor
from chain.paths import PROJECT_ROOT
from custody.audit import AuditLog
from custody.coordinator.client import NodeClient
from custody.coordinator.dkg import KeyCoordinator
from custody.coordinator.signing import Coordinator
from custody.frost import KeyPackage, N, Point, PublicKeyPackage
from custody.keystore import Kek, KeyStore
from custody.node.keys_shares import StoredKey, key_version, load_key, save_key
from custody.node.schemas import IntentEnvelope, Round1Request
from custody.node.sessions import NONCE_NAME_PREFIX as NONCE_PREFIX
from custody.node.sessions import SessionBook
from custody.node.settings import KEK_FILE_ENV_VAR
from custody.policy.history import SpendHistory
from custody.provision import GroupLayout, install_key, provision_group
from custody.roster import RosterNode
from custody.tls import client_context
from scripts._support.processes import LOOPBACK, ManagedProcess, free_port
from tests.helpers.frost_signing import fixed_key

TEST_KEK_HEX: Final = "5e" * 32
TEST_CHAIN_ID: Final = 31337
TEST_CONTRACT: Final = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
TEST_KEY_ID: Final = "treasury"
TEST_DEALER_SEED: Final = 9591
TEST_KEY_VERSION: Final = key_version(fixed_key(TEST_DEALER_SEED)[1])
"""The key version of the tests' dealer key (`fixed_key(TEST_DEALER_SEED)`), which requests name."""

TEST_POLICY: Final = f"""\
version: 1
default:
  chains:
    {TEST_CHAIN_ID}:
      contracts:
        "{TEST_CONTRACT}": [Anchor]
      anchor:
        kinds: [1, 2]
        velocity: {{max_signatures: 100000000, window_seconds: 3600}}
"""

Key = tuple[dict[int, KeyPackage], PublicKeyPackage]

_sequence = itertools.count(1)


def anchor_intent(kind: int = 1, seq: int | None = None) -> IntentEnvelope:
    """A fresh Anchor intent (a new sequence number each call) in the test domain."""
    number = next(_sequence) if seq is None else seq
    root = number.to_bytes(32, "big")
    intent = Anchor(kind=kind, seq=number, root=root, count=1, total=0, prev_root=bytes(32))
    return IntentEnvelope.of(intent, TEST_CHAIN_ID, TEST_CONTRACT)


def request_id(number: int | None = None) -> str:
    """A fresh request id (0x and 64 hex digits)."""
    return "0x" + (next(_sequence) if number is None else number).to_bytes(32, "big").hex()


@dataclass
class CustodyNode:
    """One node of a test group: its directory, port and (while running) its process."""

    node_id: int
    data_dir: Path
    port: int
    roster_entry: RosterNode
    process: ManagedProcess | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The node's https origin."""
        return f"https://{LOOPBACK}:{self.port}"

    @property
    def audit_path(self) -> Path:
        """The node's audit log."""
        return self.data_dir / "audit.jsonl"

    def running(self) -> bool:
        """Whether its process is alive."""
        return self.process is not None and self.process.running()


class CustodyGroup:
    """A custody group of real node processes under `root`; a context manager that stops them all."""

    def __init__(
        self,
        root: Path,
        keys: Mapping[str, Key],
        *,
        size: int | None = None,
        policy_yaml: str = TEST_POLICY,
        nonce_ttl_seconds: int = 60,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        """Provision the group under `root` (`custody.provision`) and give each holder its dealt share; start
        nothing yet. Nodes beyond the key's holders (`size`) hold no share."""
        holders = sorted({node_id for key_packages, _ in keys.values() for node_id in key_packages})
        node_ids = list(range(1, size + 1)) if size is not None else holders
        self.root = root
        self.keys = dict(keys)
        self.nonce_ttl_seconds = nonce_ttl_seconds
        self.extra_env = dict(extra_env or {})
        self.kek = Kek.parse(TEST_KEK_HEX)
        self.kek_file = root / "kek.secret"
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.kek_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(TEST_KEK_HEX + "\n")
        self.layout = provision_group(
            root, node_ids, [free_port() for _ in node_ids], unlocker=self.kek, policy_text=policy_yaml
        )
        for key_id, (key_packages, public_key_package) in self.keys.items():
            install_key(
                self.layout, key_id, key_packages, public_key_package, unlocker=self.kek, ceremony="dealer"
            )
        self.ca = self.layout.certificate_authority()
        self.coordinator_tls = self.layout.coordinator_tls
        self.roster = self.layout.roster()
        self.nodes = {
            node_id: CustodyNode(
                node_id,
                self.layout.node(node_id).directory,
                self.layout.node(node_id).port,
                self.roster.node(node_id),
            )
            for node_id in node_ids
        }

    # -- processes -----------------------------------------------------------------------------------

    def environment(self, node_id: int) -> dict[str, str]:
        """Node `node_id`'s environment: the inherited one without TPW_ variables, plus its own."""
        env = {name: value for name, value in os.environ.items() if not name.startswith("TPW_")}
        env.update(self.layout.node_environment(node_id))
        env.update(
            {
                "TPW_NODE_NONCE_TTL_SECONDS": str(self.nonce_ttl_seconds),
                "TPW_NODE_LOG_LEVEL": "WARNING",
                KEK_FILE_ENV_VAR: str(self.kek_file),
                **self.extra_env,
            }
        )
        return env

    def start(self, node_ids: Iterable[int] | None = None, *, timeout: float = 30.0) -> None:
        """Start the given nodes (default all that are not running) and wait until each listens."""
        chosen = [
            n for n in (node_ids if node_ids is not None else self.nodes) if not self.nodes[n].running()
        ]
        for node_id in chosen:
            node = self.nodes[node_id]
            node.process = ManagedProcess(
                f"custody-node-{node_id}",
                self.layout.node_argv(node_id),
                log_path=node.data_dir / "node.log",
                env=self.environment(node_id),
                cwd=PROJECT_ROOT,
            ).start()
        for node_id in chosen:
            node = self.nodes[node_id]
            assert node.process is not None
            node.process.wait_port(node.port, timeout=timeout)

    def stop(self, node_id: int) -> None:
        """SIGTERM node `node_id` and wait until it has exited."""
        process = self.nodes[node_id].process
        if process is not None:
            process.stop()

    def kill(self, node_id: int) -> None:
        """SIGKILL node `node_id` (a crash, not a shutdown)."""
        process = self.nodes[node_id].process
        if process is not None:
            process.kill()

    def restart(self, node_id: int) -> None:
        """Start node `node_id` again after a stop or a kill."""
        self.nodes[node_id].process = None
        self.start([node_id])

    @contextlib.contextmanager
    def revived(self) -> Iterator[None]:
        """Run a block that may stop or kill nodes; start every node that is down afterwards."""
        try:
            yield
        finally:
            down = [node_id for node_id, node in self.nodes.items() if not node.running()]
            for node_id in down:
                self.nodes[node_id].process = None
            self.start(down)

    def close(self) -> None:
        """Stop every node."""
        for node in self.nodes.values():
            if node.process is not None:
                node.process.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- what a coordinator or a test needs -----------------------------------------------------------

    def client_context(self) -> ssl.SSLContext:
        """The coordinator's mutual-TLS client context."""
        return client_context(self.coordinator_tls)

    def public_keys(self) -> dict[str, PublicKeyPackage]:
        """Each key id's public key package."""
        return {key_id: public for key_id, (_, public) in self.keys.items()}

    @contextlib.asynccontextmanager
    async def coordinator(
        self, *, timeout: float = 2.0, audit_path: Path | None = None
    ) -> AsyncIterator[Coordinator]:
        """A coordinator over this group (its own client and audit log), closed on exit."""
        async with NodeClient(self.client_context(), timeout=timeout) as client:
            audit = AuditLog.open_file(audit_path or self.root / "coordinator" / "audit.jsonl")
            keys = KeyCoordinator(self.roster, client, audit=audit)
            yield Coordinator(
                self.roster, client, self.public_keys(), audit=audit, key_statements=keys.stated_key
            )

    @contextlib.contextmanager
    def open_keystore(self, node_id: int) -> Iterator[KeyStore]:
        """Node `node_id`'s key store, opened alongside the node (the store allows several processes)."""
        with KeyStore.open(self.layout.node(node_id).keystore, self.kek) as store:
            yield store

    def stored_nonces(self, node_id: int) -> list[str]:
        """The session ids whose nonces node `node_id` holds now (read from its state database, alongside the
        node), plus any nonce record left in its key store."""
        with SpendHistory.open(self.layout.node(node_id).settings.state_path) as state:
            held = SessionBook(state).nonce_holders()
        with self.open_keystore(node_id) as store:
            legacy = [name.removeprefix(NONCE_PREFIX) for name in store.list(NONCE_PREFIX)]
        return sorted(held + legacy)

    def corrupt_share(self, node_id: int, key_id: str = TEST_KEY_ID) -> None:
        """Replace node `node_id`'s share of `key_id` by a wrong one that still loads (stop the node first).

        The node's key package and its own copy of the public package agree with each other, so the node
        starts and signs; its signature shares fail against the group's real verifying share.
        """
        with self.open_keystore(node_id) as store:
            stored = load_key(store, key_id)
            own = stored.key_package
            wrong = own.signing_share % (N - 1) + 1
            key_package = KeyPackage(
                own.identifier, wrong, Point.base_mul(wrong), own.group_public_key, own.min_signers
            )
            shares = dict(stored.public_key_package.verifying_shares)
            shares[own.identifier] = key_package.verifying_share
            public = PublicKeyPackage(shares, own.group_public_key, stored.public_key_package.min_signers)
            save_key(store, StoredKey(key_id, key_package, public, stored.ceremony), replace=True)


HELD_SESSION_MARK: Final = "ROUND1 DONE"


async def _hold_session(group_root: Path, body: Round1Request, node_ids: list[int]) -> None:
    layout = GroupLayout.load(group_root)
    roster = layout.roster()
    tls = client_context(layout.coordinator_tls)
    async with NodeClient(tls) as client:
        answers = await asyncio.gather(*(client.round1(roster.node(node_id), body) for node_id in node_ids))
        commitments = {
            answer.identifier: {"hiding": answer.hiding, "binding": answer.binding} for answer in answers
        }
        print(HELD_SESSION_MARK, json.dumps(commitments), flush=True)
        await asyncio.Event().wait()


def hold_session_after_round1(argv: list[str]) -> None:
    """A coordinator for crash tests, run as a child process: round one of the session given as JSON in
    ``argv[1]`` on the nodes in ``argv[2]`` (comma-separated) of the group under ``argv[0]``, then it prints
    `HELD_SESSION_MARK` and the commitments, and waits to be killed."""
    group_root, body, node_ids = Path(argv[0]), Round1Request.model_validate_json(argv[1]), argv[2]
    asyncio.run(_hold_session(group_root, body, [int(node_id) for node_id in node_ids.split(",")]))
