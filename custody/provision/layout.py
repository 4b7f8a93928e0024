"""Where every file of a custody group lives, on disk, under one root directory (files only; no process,
no network)::

    ca/ca.crt, ca/ca.key            the group CA (the key 0600: it belongs on the setup machine only)
    coordinator/coordinator.crt, coordinator/coordinator.key, coordinator/ca.crt
    roster.json                     the group roster (public), written last: its presence marks a whole group
    keys/<key_id>.json              each group key's public key package (public), once a key exists
    node-<id>/                      a node's data directory, as `custody.node.settings.NodeSettings` reads it:
        keystore/                   sealed key store holding the node's identity (and later its shares)
        tls/node.crt, tls/node.key, tls/ca.crt
        roster.json, policy.yaml    (audit.jsonl and the node's state files appear when it runs)

`GroupLayout` knows every path, reads a group back from its roster (`GroupLayout.load`), and gives the
environment and command line that run one node (`node_environment`, `node_argv`).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from custody.node.records.shares import InvalidKeyId
from custody.node.records.shares import require_key_id as require_node_key_id
from custody.node.settings import NodeSettings
from custody.provision.errors import GroupNotFound, ProvisionRefused
from custody.roster import Roster
from custody.tls import LOOPBACK_DNS, LOOPBACK_IP, CertificateAuthority, TlsPaths, node_common_name

ROSTER_FILE: Final = "roster.json"
CA_DIR: Final = "ca"
COORDINATOR_DIR: Final = "coordinator"
KEYS_DIR: Final = "keys"
NODE_DIR_PREFIX: Final = "node-"
HTTPS_PORT: Final = 443

LOOPBACK_HOSTS: Final = frozenset({str(LOOPBACK_IP), LOOPBACK_DNS})
"""The names the group's certificates are valid for (`custody.tls` issues them for loopback only)."""


@dataclass(frozen=True)
class NodeLayout:
    """One signer node's place in the group: its id, data directory and the address it serves on."""

    node_id: int
    directory: Path
    host: str
    port: int

    @property
    def settings(self) -> NodeSettings:
        """The settings the node's process reads from `GroupLayout.node_environment`: every path below
        comes from them, so the layout and the node never disagree on where a file is. (Built without
        looking at this process's environment.)"""
        return NodeSettings.model_construct(
            node_id=self.node_id, data_dir=self.directory, host=self.host, port=self.port
        )

    @property
    def url(self) -> str:
        """The node's https origin, as the roster lists it."""
        return f"https://{self.host}:{self.port}"

    @property
    def tls(self) -> TlsPaths:
        """The node's certificate, key and the group CA certificate."""
        return self.settings.tls_paths

    @property
    def keystore(self) -> Path:
        """The node's sealed key store."""
        return self.settings.keystore_dir

    @property
    def roster(self) -> Path:
        """The node's copy of the roster."""
        return self.settings.roster_path

    @property
    def policy(self) -> Path:
        """The node's policy file."""
        return self.settings.policy_file

    @property
    def audit(self) -> Path:
        """The node's audit log."""
        return self.settings.audit_path


_NODE_DIR_RE: Final = re.compile(rf"{NODE_DIR_PREFIX}[0-9]+")


@dataclass(frozen=True)
class GroupLayout:
    """Every path of a custody group under `root`; `load` reads one back from its roster."""

    root: Path
    nodes: Mapping[int, NodeLayout]

    @classmethod
    def plan(
        cls, root: str | os.PathLike[str], node_ids: Sequence[int], ports: Sequence[int], host: str
    ) -> GroupLayout:
        """The layout a group of `node_ids` (serving on `ports`, same order) would have under `root`."""
        if host not in LOOPBACK_HOSTS:
            raise ProvisionRefused(
                f"the group's certificates are for {sorted(LOOPBACK_HOSTS)} only, not {host!r}"
            )
        if len(node_ids) != len(ports):
            raise ProvisionRefused(f"{len(node_ids)} node ids but {len(ports)} ports")
        for node_id in node_ids:
            node_common_name(node_id)  # the node-id rule, in one place
        if len(set(node_ids)) != len(node_ids) or len(node_ids) < 2:
            raise ProvisionRefused("a custody group has at least two nodes, each id once")
        for port in ports:
            if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
                raise ProvisionRefused(f"port {port!r} is not in [1, 65535]")
        if len(set(ports)) != len(ports):
            raise ProvisionRefused("two nodes cannot serve on the same port")
        directory = Path(root)
        nodes = {
            node_id: NodeLayout(node_id, directory / f"{NODE_DIR_PREFIX}{node_id}", host, port)
            for node_id, port in sorted(zip(node_ids, ports, strict=True))
        }
        return cls(directory, nodes)

    @classmethod
    def load(cls, root: str | os.PathLike[str]) -> GroupLayout:
        """The group whose roster is ``<root>/roster.json``; GroupNotFound if there is none."""
        directory = Path(root)
        if not (directory / ROSTER_FILE).is_file():
            raise GroupNotFound(f"no custody group in {directory} (no {ROSTER_FILE})")
        roster = Roster.load(directory / ROSTER_FILE)
        nodes = {}
        for entry in roster:
            origin = urlsplit(entry.url)
            nodes[entry.node_id] = NodeLayout(
                entry.node_id,
                directory / f"{NODE_DIR_PREFIX}{entry.node_id}",
                origin.hostname or "",
                origin.port or HTTPS_PORT,
            )
        return cls(directory, nodes)

    @property
    def node_ids(self) -> list[int]:
        """Every node id, ascending."""
        return sorted(self.nodes)

    def node(self, node_id: int) -> NodeLayout:
        """Node `node_id`'s layout; ProvisionRefused if the group has no such node."""
        try:
            return self.nodes[node_id]
        except KeyError:
            raise ProvisionRefused(
                f"the group in {self.root} has no node {node_id} (its nodes: {self.node_ids})"
            ) from None

    @property
    def roster_path(self) -> Path:
        """The group's roster; the nodes hold copies of it."""
        return self.root / ROSTER_FILE

    @property
    def ca_certificate(self) -> Path:
        """The group CA's certificate."""
        return self.root / CA_DIR / "ca.crt"

    @property
    def ca_key(self) -> Path:
        """The group CA's private key (0600)."""
        return self.root / CA_DIR / "ca.key"

    @property
    def coordinator_tls(self) -> TlsPaths:
        """The coordinator's client certificate, key and the CA certificate."""
        return TlsPaths.in_directory(self.root / COORDINATOR_DIR, "coordinator")

    @property
    def keys_dir(self) -> Path:
        """Where the public key packages are, one JSON file per key id."""
        return self.root / KEYS_DIR

    def public_key_path(self, key_id: str) -> Path:
        """``keys/<key_id>.json``."""
        return self.keys_dir / f"{require_key_id(key_id)}.json"

    def roster(self) -> Roster:
        """The group roster."""
        return Roster.load(self.roster_path)

    def certificate_authority(self) -> CertificateAuthority:
        """The group CA, to issue more certificates."""
        return CertificateAuthority.load(self.ca_certificate, self.ca_key)

    def node_environment(self, node_id: int) -> dict[str, str]:
        """The ``TPW_NODE_*`` variables that make ``python -m custody.node`` run node `node_id`.

        The key store's unlocker is not among them: the caller says where it is, preferably as a file
        (``TPW_CUSTODY_PASSPHRASE_FILE`` / ``TPW_CUSTODY_KEK_FILE``, see `custody.node.settings`).
        """
        node = self.node(node_id)
        return {
            "TPW_NODE_NODE_ID": str(node.node_id),
            "TPW_NODE_DATA_DIR": str(node.directory),
            "TPW_NODE_HOST": node.host,
            "TPW_NODE_PORT": str(node.port),
        }

    def node_argv(self, node_id: int) -> list[str]:
        """The command line that runs node `node_id` (with `node_environment`) in this Python."""
        self.node(node_id)
        return [sys.executable, "-m", "custody.node"]

    def owned_paths(self) -> list[Path]:
        """What a group keeps directly under its root (existing or not): all of it is the group's."""
        fixed = [self.root / name for name in (ROSTER_FILE, CA_DIR, COORDINATOR_DIR, KEYS_DIR)]
        nodes = [node.directory for node in self.nodes.values()]
        others = (
            [entry for entry in self.root.iterdir() if _NODE_DIR_RE.fullmatch(entry.name)]
            if self.root.is_dir()
            else []
        )
        return sorted(set(fixed + nodes + others))


def require_key_id(key_id: str) -> str:
    """`key_id` if the nodes take it as a key id, else ProvisionRefused saying what a key id is."""
    try:
        return require_node_key_id(key_id)
    except InvalidKeyId as error:
        raise ProvisionRefused(f"{error} (not {key_id!r})") from None
