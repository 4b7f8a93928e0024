"""A custody group of real signer-node processes on loopback, for the tests and the custody benchmark.

`SignerGroup` provisions a group exactly as an operator would (`custody.provision`: CA, certificates,
KEK-sealed key stores holding each node's identity, policy, roster) and installs dealt shares, then starts
each node as its own ``python -m custody.node`` process on a free loopback port, and can stop, SIGKILL and
restart any of them. Nodes read the KEK from a 0600 file (``TPW_CUSTODY_KEK_FILE``), as a deployment should,
never from their environment.
"""

from __future__ import annotations

import contextlib
import os
import ssl
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self

from chain.paths import PROJECT_ROOT
from custody.audit import AuditLog
from custody.coordinator.client import NodeClient
from custody.coordinator.keys import KeyCoordinator
from custody.coordinator.signing import SigningCoordinator
from custody.frost import PublicKeyPackage
from custody.keystore import Kek
from custody.node.settings import KEK_FILE_ENV_VAR
from custody.provision import Key, install_key, provision_group
from custody.roster import RosterNode
from custody.tls import client_context
from scripts._support.processes import LOOPBACK, ManagedProcess, free_port


@dataclass
class SignerNode:
    """One node of a group: its directory, port and (while running) its process."""

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


class SignerGroup:
    """A custody group of real node processes under `root`; a context manager that stops them all."""

    def __init__(
        self,
        root: Path,
        keys: Mapping[str, Key],
        *,
        kek_hex: str,
        policy_yaml: str,
        size: int | None = None,
        nonce_ttl_seconds: int = 60,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        """Provision the group under `root` (`custody.provision`), its key stores sealed with the KEK
        `kek_hex`, and give each holder its dealt share; start nothing yet. Nodes beyond the key's holders
        (`size`) hold no share."""
        holders = sorted({node_id for key_packages, _ in keys.values() for node_id in key_packages})
        node_ids = list(range(1, size + 1)) if size is not None else holders
        self.root = root
        self.keys = dict(keys)
        self.nonce_ttl_seconds = nonce_ttl_seconds
        self.extra_env = dict(extra_env or {})
        self.kek = Kek.parse(kek_hex)
        self.kek_file = root / "kek.secret"
        root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.kek_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(kek_hex + "\n")
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
            node_id: SignerNode(
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

    def pids(self) -> list[int]:
        """The process ids of the nodes running now."""
        return [node.process.pid for node in self.nodes.values() if node.process and node.process.pid]

    def close(self) -> None:
        """Stop every node."""
        for node in self.nodes.values():
            if node.process is not None:
                node.process.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- what a coordinator needs --------------------------------------------------------------------

    def client_context(self) -> ssl.SSLContext:
        """The coordinator's mutual-TLS client context."""
        return client_context(self.coordinator_tls)

    def public_keys(self) -> dict[str, PublicKeyPackage]:
        """Each key id's public key package."""
        return {key_id: public for key_id, (_, public) in self.keys.items()}

    def key_coordinator(self, client: NodeClient) -> KeyCoordinator:
        """A key coordinator over this group through `client`, with the coordinator's audit log."""
        audit = AuditLog.open_file(self.root / "coordinator" / "audit.jsonl")
        return KeyCoordinator(self.roster, client, audit=audit)

    @contextlib.asynccontextmanager
    async def coordinator(
        self, *, timeout: float = 2.0, audit_path: Path | None = None
    ) -> AsyncIterator[SigningCoordinator]:
        """A signing coordinator over this group (its own client and audit log), closed on exit."""
        async with NodeClient(self.client_context(), timeout=timeout) as client:
            audit = AuditLog.open_file(audit_path or self.root / "coordinator" / "audit.jsonl")
            keys = KeyCoordinator(self.roster, client, audit=audit)
            yield SigningCoordinator(
                self.roster, client, self.public_keys(), audit=audit, key_statements=keys.stated_key
            )
