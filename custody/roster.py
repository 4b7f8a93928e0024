"""The custody group's roster: who the signer nodes are and how to reach and authenticate each of them.

Written once at setup (a JSON file, public) and held identically by every node and the coordinator. For
each node it lists the node id (which is also its FROST identifier), its URL, the Ed25519 key that signs its
key-ceremony messages, the X25519 key that secret shares are sealed to, and the SHA-256 fingerprint of its TLS
certificate. A node trusts a relayed message only if it verifies under the roster key of the node it claims
to come from, so the roster is what stops a coordinator from inventing participants.

Version 2 also names the coordinator's TLS certificate by its SHA-256 fingerprint
(``coordinator.tls_sha256``): nodes serve the coordinator-only routes to that one certificate
(`custody.node.http.peer`), so another certificate the group CA issued, even one saying
``CN=tpw-coordinator``, cannot drive signing or ceremonies. Version 1 rosters (no coordinator) still load, for
tools that only read them; a node refuses to start on one.

Loading is strict: exact fields, exact types, no duplicate ids, URLs, keys or fingerprints. A roster that
does not parse is refused whole, never patched up.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from chain.files import PUBLIC, canonical_json, write_atomic
from custody.envelope import MAX_NODE_ID, NodePublicKeys
from custody.errors import CustodyError

ROSTER_VERSION: Final = 2
UNPINNED_ROSTER_VERSION: Final = 1
"""A roster without the coordinator's certificate (read, never written)."""
_NODE_FIELDS: Final = frozenset({"id", "url", "ed25519", "x25519", "tls_sha256"})
_ROSTER_FIELDS: Final = frozenset({"version", "nodes", "coordinator"})
_UNPINNED_ROSTER_FIELDS: Final = frozenset({"version", "nodes"})
_KEY_RE: Final = re.compile(r"[0-9a-f]{64}")


class RosterError(CustodyError):
    """A roster that cannot be used: malformed, a missing or extra field, a duplicate, an unknown node."""


@dataclass(frozen=True)
class RosterNode:
    """One signer node as every member of the group knows it."""

    node_id: int
    url: str
    keys: NodePublicKeys
    tls_sha256: str

    def __post_init__(self) -> None:
        if not isinstance(self.node_id, int) or isinstance(self.node_id, bool):
            raise RosterError("a node id must be an integer")
        if not 1 <= self.node_id <= MAX_NODE_ID:
            raise RosterError(f"node id {self.node_id} is outside [1, {MAX_NODE_ID}]")
        _require_url(self.node_id, self.url)
        if not isinstance(self.tls_sha256, str) or not _KEY_RE.fullmatch(self.tls_sha256):
            raise RosterError(f"node {self.node_id}: tls_sha256 must be 64 lowercase hex digits")

    def to_json(self) -> dict[str, Any]:
        """The node's entry in the roster file."""
        return {
            "id": self.node_id,
            "url": self.url,
            "ed25519": self.keys.ed25519.hex(),
            "x25519": self.keys.x25519.hex(),
            "tls_sha256": self.tls_sha256,
        }

    @classmethod
    def from_json(cls, value: Any) -> RosterNode:
        """Parse one entry strictly."""
        if not isinstance(value, dict) or set(value) != _NODE_FIELDS:
            raise RosterError(f"a roster entry has exactly the fields {sorted(_NODE_FIELDS)}")
        node_id = value["id"]
        keys = []
        for name in ("ed25519", "x25519"):
            text = value[name]
            if not isinstance(text, str) or not _KEY_RE.fullmatch(text):
                raise RosterError(f"node {node_id!r}: {name} must be 64 lowercase hex digits")
            keys.append(bytes.fromhex(text))
        return cls(node_id, value["url"], NodePublicKeys(keys[0], keys[1]), value["tls_sha256"])


class Roster:
    """The group's nodes by id (ascending). Immutable; compare two rosters with `digest`."""

    __slots__ = ("_nodes", "coordinator_tls_sha256")

    def __init__(self, nodes: Iterable[RosterNode], coordinator_tls_sha256: str | None = None) -> None:
        """`coordinator_tls_sha256`: the fingerprint of the coordinator's certificate (None: unpinned)."""
        if coordinator_tls_sha256 is not None and (
            not isinstance(coordinator_tls_sha256, str) or not _KEY_RE.fullmatch(coordinator_tls_sha256)
        ):
            raise RosterError("coordinator.tls_sha256 must be 64 lowercase hex digits")
        self.coordinator_tls_sha256 = coordinator_tls_sha256
        ordered = sorted(nodes, key=lambda node: node.node_id)
        if len(ordered) < 2:
            raise RosterError("a custody group needs at least two nodes")
        for what, values in (
            ("node id", [node.node_id for node in ordered]),
            ("url", [node.url for node in ordered]),
            ("Ed25519 key", [node.keys.ed25519 for node in ordered]),
            ("X25519 key", [node.keys.x25519 for node in ordered]),
            ("TLS fingerprint", [node.tls_sha256 for node in ordered] + [coordinator_tls_sha256 or ""]),
        ):
            if len(set(values)) != len(values):
                raise RosterError(f"two roster entries share a {what}")
        self._nodes: Mapping[int, RosterNode] = {node.node_id: node for node in ordered}

    def __repr__(self) -> str:
        return f"Roster(nodes={list(self._nodes)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Roster) and self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash(self.digest())

    def __iter__(self) -> Iterator[RosterNode]:
        return iter(self._nodes.values())

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    @property
    def node_ids(self) -> list[int]:
        """Every node id, ascending."""
        return list(self._nodes)

    def node(self, node_id: int) -> RosterNode:
        """The entry for `node_id`; RosterError if the roster has none."""
        try:
            return self._nodes[node_id]
        except (KeyError, TypeError):
            raise RosterError(f"node {node_id!r} is not in the roster") from None

    def require_members(self, node_ids: Iterable[int]) -> list[int]:
        """`node_ids` sorted, if every one is in the roster and none repeats; RosterError otherwise."""
        checked = [self.node(node_id).node_id for node_id in node_ids]
        if len(set(checked)) != len(checked):
            raise RosterError("a node is listed twice")
        return sorted(checked)

    def to_json(self) -> dict[str, Any]:
        """The roster file's content."""
        nodes = [node.to_json() for node in self._nodes.values()]
        if self.coordinator_tls_sha256 is None:
            return {"version": UNPINNED_ROSTER_VERSION, "nodes": nodes}
        coordinator = {"tls_sha256": self.coordinator_tls_sha256}
        return {"version": ROSTER_VERSION, "nodes": nodes, "coordinator": coordinator}

    def digest(self) -> bytes:
        """SHA-256 of the canonical JSON: two parties hold the same roster iff their digests are equal."""
        return hashlib.sha256(canonical_json(self.to_json())).digest()

    @classmethod
    def from_json(cls, value: Any) -> Roster:
        """Parse a roster document strictly."""
        version = value.get("version") if isinstance(value, dict) else None
        if type(version) is not int or version not in (UNPINNED_ROSTER_VERSION, ROSTER_VERSION):
            raise RosterError(f"unsupported roster version {version!r}")
        fields = _ROSTER_FIELDS if version == ROSTER_VERSION else _UNPINNED_ROSTER_FIELDS
        if not isinstance(value, dict) or set(value) != fields:
            raise RosterError(f"a version {version} roster has exactly the fields {sorted(fields)}")
        if not isinstance(value["nodes"], list):
            raise RosterError("a roster's nodes are a list")
        coordinator = value.get("coordinator")
        if coordinator is not None and (
            not isinstance(coordinator, dict) or set(coordinator) != {"tls_sha256"}
        ):
            raise RosterError("a roster's coordinator has exactly the field 'tls_sha256'")
        try:
            return cls(
                (RosterNode.from_json(entry) for entry in value["nodes"]),
                None if coordinator is None else coordinator["tls_sha256"],
            )
        except ValueError as error:
            raise RosterError(str(error)) from None

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Roster:
        """Read and parse the roster file at `path`."""
        try:
            value = json.loads(Path(path).read_bytes())
        except (OSError, ValueError) as error:
            raise RosterError(f"cannot read the roster at {path}: {error}") from None
        return cls.from_json(value)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the roster file (public: no secret is in it), replacing any file there atomically."""
        write_atomic(Path(path), json.dumps(self.to_json(), indent=2).encode() + b"\n", mode=PUBLIC)


def _require_url(node_id: int, url: Any) -> None:
    """An https origin (scheme, host, optional port), nothing else: paths are the protocol's business."""
    if not isinstance(url, str):
        raise RosterError(f"node {node_id}: url must be a string")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise RosterError(f"node {node_id}: url {url!r} does not parse") from None
    if parts.scheme != "https" or not parts.hostname or port == 0:
        raise RosterError(f"node {node_id}: url must be https://host[:port]")
    if parts.username or parts.password or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise RosterError(f"node {node_id}: url must be an origin only (no user, path, query or fragment)")
