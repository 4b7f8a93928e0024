"""Lays out a custody group on disk and runs its key ceremonies on one machine: the one place doing either.

`provision_group` writes everything a group of signer nodes needs before the first process starts, under one
root directory (files only; no process, no network)::

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

The local ceremonies (`local_dkg`, `local_refresh`, `local_repair`, `local_sign`) run the FROST protocol with
every participant in this one process, opening each participant's key store in turn. They are for an
operator who holds every node's key store on one machine (a devnet, a test, a recovery), and they skip
what only matters between machines (sealed messages, confirmation rounds): across machines the nodes run
the same ceremonies over mutual TLS (`custody.coordinator`). `local_sign` signs a raw digest without asking
any node's policy; every local ceremony therefore appends a record to the audit log of each node it used.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from chain.files import PUBLIC, make_private_directory, write_atomic
from custody.audit import AuditLog
from custody.envelope import NodeIdentity
from custody.errors import CustodyError
from custody.frost import (
    FrostError,
    KeyPackage,
    Point,
    PublicKeyPackage,
    Signature,
    SigningPackage,
    UnusableGroupKey,
    aggregate,
    dkg_part1,
    dkg_part2,
    dkg_part3,
    refresh_part1,
    refresh_part2,
    refresh_part3,
    repair_share_step_1,
    repair_share_step_2,
    repair_share_step_3,
    round1_commit,
    round2_sign,
)
from custody.keystore import DEFAULT_SCRYPT, KeyStore, ScryptParams, Unlocker
from custody.node.records.identity import IDENTITY_RECORD
from custody.node.records.shares import InvalidKeyId, StoredKey, find_key, save_key, share_record
from custody.node.records.shares import require_key_id as require_node_key_id
from custody.node.settings import NodeSettings
from custody.policy.config import parse_policy
from custody.roster import Roster, RosterNode
from custody.tls import LOOPBACK_DNS, LOOPBACK_IP, CertificateAuthority, TlsPaths, node_common_name

ROSTER_FILE: Final = "roster.json"
CA_DIR: Final = "ca"
COORDINATOR_DIR: Final = "coordinator"
KEYS_DIR: Final = "keys"
NODE_DIR_PREFIX: Final = "node-"
HTTPS_PORT: Final = 443
PROVISION_ACTOR: Final = "tpw-custody"
"""The actor of the audit records the local ceremonies append to each node's log."""

DIGEST_BYTES: Final = 32
MAX_DKG_ATTEMPTS: Final = 8
"""A DKG whose group key the contracts cannot take (odds about 2**-128) starts again, at most this often."""

LOOPBACK_HOSTS: Final = frozenset({str(LOOPBACK_IP), LOOPBACK_DNS})
"""The names the group's certificates are valid for (`custody.tls` issues them for loopback only)."""

_NODE_DIR_RE: Final = re.compile(rf"{NODE_DIR_PREFIX}[0-9]+")
_PUBLIC_KEY_FIELDS: Final = frozenset(
    {"key_id", "group_public_key", "min_signers", "verifying_shares", "ceremony"}
)


class ProvisionError(CustodyError):
    """Laying out a group or running a local ceremony failed."""


class ProvisionRefused(ProvisionError):
    """The inputs do not fit the group: an unknown node, too few signers, a bad port, a missing or stale
    share. Nothing was changed."""


class GroupExists(ProvisionRefused):
    """The directory already holds (part of) a custody group, and overwriting was not asked for."""


class GroupNotFound(ProvisionRefused):
    """No custody group (no roster) in the directory given."""


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


def provision_group(
    root: str | os.PathLike[str],
    node_ids: Sequence[int],
    ports: Sequence[int],
    *,
    unlocker: Unlocker,
    policy_text: str,
    host: str = str(LOOPBACK_IP),
    scrypt: ScryptParams = DEFAULT_SCRYPT,
    allow_weak_kdf: bool = False,
    overwrite: bool = False,
) -> GroupLayout:
    """Write a new custody group under `root`: CA, coordinator and node certificates, each node's key store
    (sealed by `unlocker`) holding a fresh identity, its policy (`policy_text`, validated first) and the
    roster, which is written last. Node `node_ids[i]` serves on `ports[i]` at `host`.

    A root that already holds any part of a group raises GroupExists, unless `overwrite`, which first
    deletes the old group's files (its key stores and shares included). If writing fails half way, what
    was written is removed again. `allow_weak_kdf` admits scrypt costs below the minimum; tests only.
    """
    layout = GroupLayout.plan(root, node_ids, ports, host)
    parse_policy(policy_text, source="the group's policy")
    present = [path for path in layout.owned_paths() if path.exists()]
    if present and not overwrite:
        raise GroupExists(
            f"{layout.root} already holds a custody group (or part of one: {present[0].name}); "
            "refusing to overwrite it"
        )
    _remove(present)
    layout.root.mkdir(parents=True, exist_ok=True)
    try:
        ca = CertificateAuthority.create()
        make_private_directory(layout.root / CA_DIR, parents=True)
        ca.save(layout.ca_certificate, layout.ca_key)
        make_private_directory(layout.root / COORDINATOR_DIR, parents=True)
        coordinator = ca.issue_coordinator()
        layout.coordinator_tls.write(ca, coordinator)
        entries = [
            _lay_out_node(node, ca, unlocker, policy_text, scrypt, allow_weak_kdf)
            for node in layout.nodes.values()
        ]
        roster = Roster(entries, coordinator.fingerprint)  # nodes pin the coordinator's certificate
        for node in layout.nodes.values():
            roster.save(node.roster)
        roster.save(layout.roster_path)
    except BaseException:
        _remove([path for path in layout.owned_paths() if path.exists()])
        raise
    return layout


def _lay_out_node(
    node: NodeLayout,
    ca: CertificateAuthority,
    unlocker: Unlocker,
    policy_text: str,
    scrypt: ScryptParams,
    allow_weak_kdf: bool,
) -> RosterNode:
    """One node's directory: certificate, policy, key store with a fresh identity; its roster entry."""
    make_private_directory(node.directory, parents=True)
    credential = ca.issue_node(node.node_id)
    node.tls.write(ca, credential)
    write_atomic(node.policy, policy_text.encode(), mode=PUBLIC)
    identity = NodeIdentity.generate()
    with KeyStore.create(node.keystore, unlocker, scrypt=scrypt, allow_weak_kdf=allow_weak_kdf) as store:
        store.put_json(IDENTITY_RECORD, identity.to_json(), replace=False)
    return RosterNode(node.node_id, node.url, identity.public_keys(), credential.fingerprint)


def _remove(paths: Sequence[Path]) -> None:
    for path in paths:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


# -- public key packages ----------------------------------------------------------------------------------


def save_public_key(
    layout: GroupLayout, key_id: str, public_key_package: PublicKeyPackage, ceremony: str
) -> Path:
    """Write ``keys/<key_id>.json`` (public: group key, threshold, every verifying share) atomically."""
    if public_key_package.min_signers is None:
        raise ProvisionError("a group key's public key package states its threshold")
    document = {
        "key_id": require_key_id(key_id),
        "group_public_key": public_key_package.group_public_key.to_bytes().hex(),
        "min_signers": public_key_package.min_signers,
        "verifying_shares": {
            str(identifier): share.to_bytes().hex()
            for identifier, share in public_key_package.verifying_shares.items()
        },
        "ceremony": ceremony,
    }
    path = layout.public_key_path(key_id)
    write_atomic(path, (json.dumps(document, indent=2) + "\n").encode(), mode=PUBLIC)
    return path


def load_public_key(layout: GroupLayout, key_id: str) -> PublicKeyPackage:
    """The public key package in ``keys/<key_id>.json``; ProvisionRefused if the group has no such key."""
    path = layout.public_key_path(key_id)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProvisionRefused(
            f"the group in {layout.root} has no key {key_id!r} ({path} is missing)"
        ) from None
    except (OSError, ValueError) as error:
        raise ProvisionError(f"cannot read {path}: {type(error).__name__}") from None
    try:
        if not isinstance(document, dict) or set(document) != _PUBLIC_KEY_FIELDS:
            raise ValueError(f"exactly the fields {sorted(_PUBLIC_KEY_FIELDS)}")
        if document["key_id"] != key_id:
            raise ValueError(f"it names key {document['key_id']!r}")
        shares = {
            int(identifier): Point.from_bytes(bytes.fromhex(share))
            for identifier, share in document["verifying_shares"].items()
        }
        return PublicKeyPackage(
            shares, Point.from_bytes(bytes.fromhex(document["group_public_key"])), document["min_signers"]
        )
    except (FrostError, ValueError, TypeError, AttributeError) as error:
        raise ProvisionError(f"{path} is not a public key package: {error}") from None


# -- shares in the nodes' key stores ------------------------------------------------------------------------


@contextlib.contextmanager
def open_stores(
    layout: GroupLayout, node_ids: Sequence[int], unlocker: Unlocker, *, allow_weak_kdf: bool = False
) -> Iterator[dict[int, KeyStore]]:
    """The key stores of `node_ids`, open, closed again on exit."""
    with contextlib.ExitStack() as stack:
        stores = {
            node_id: stack.enter_context(
                KeyStore.open(layout.node(node_id).keystore, unlocker, allow_weak_kdf=allow_weak_kdf)
            )
            for node_id in node_ids
        }
        yield stores


def install_key(
    layout: GroupLayout,
    key_id: str,
    key_packages: Mapping[int, KeyPackage],
    public_key_package: PublicKeyPackage,
    *,
    unlocker: Unlocker,
    ceremony: str,
    allow_weak_kdf: bool = False,
    replace: bool = False,
) -> None:
    """Give each holder of `public_key_package` its KeyPackage (``share/<key_id>`` in its key store), then
    write ``keys/<key_id>.json`` (see `_install` for what `replace` means); e.g. a dealer's key for tests."""
    holders = sorted(public_key_package.verifying_shares)
    with open_stores(layout, holders, unlocker, allow_weak_kdf=allow_weak_kdf) as stores:
        _install(layout, key_id, stores, key_packages, public_key_package, ceremony, replace=replace)


def _install(
    layout: GroupLayout,
    key_id: str,
    stores: Mapping[int, KeyStore],
    key_packages: Mapping[int, KeyPackage],
    public_key_package: PublicKeyPackage,
    ceremony: str,
    *,
    replace: bool,
) -> None:
    """Save each holder's share in its (open) store, then the public key package.

    Without `replace`, a key id that exists anywhere in the group raises ProvisionRefused and nothing is
    written; if writing fails part way, the shares written are deleted again. With `replace` (a refresh)
    every holder's share is overwritten: a crash part way leaves some holders on the old generation,
    which `local_repair` then mends from the others.
    """
    require_key_id(key_id)
    holders = sorted(public_key_package.verifying_shares)
    if sorted(key_packages) != holders:
        raise ProvisionError(f"key packages for {sorted(key_packages)}, but the key's holders are {holders}")
    stored = {
        holder: StoredKey(key_id, key_packages[holder], public_key_package, ceremony) for holder in holders
    }
    if not replace:
        _require_new_key(layout, key_id, stores)
    written: list[int] = []
    try:
        for holder in holders:
            save_key(stores[holder], stored[holder], replace=replace)
            written.append(holder)
        save_public_key(layout, key_id, public_key_package, ceremony)
    except BaseException:
        if not replace:
            for holder in written:
                stores[holder].delete(share_record(key_id), missing_ok=True)
        raise


def _require_new_key(layout: GroupLayout, key_id: str, stores: Mapping[int, KeyStore]) -> None:
    if layout.public_key_path(key_id).exists():
        raise ProvisionRefused(f"the group in {layout.root} already has a key {key_id!r}")
    for node_id, store in stores.items():
        if store.exists(share_record(key_id)):
            raise ProvisionRefused(f"node {node_id} already holds a share of key {key_id!r}")


# -- local ceremonies ---------------------------------------------------------------------------------------


def _as_layout(group: GroupLayout | str | os.PathLike[str]) -> GroupLayout:
    return group if isinstance(group, GroupLayout) else GroupLayout.load(group)


def _ceremony_id(kind: str) -> str:
    return f"local-{kind}-{secrets.token_hex(8)}"


def _audit(
    layout: GroupLayout, node_ids: Sequence[int], action: str, key_id: str, details: dict[str, Any]
) -> None:
    """Record a local ceremony in the audit log of every node it used."""
    for node_id in node_ids:
        AuditLog.open_file(layout.node(node_id).audit).append(
            actor=PROVISION_ACTOR, action=action, subject=f"key:{key_id}", details=details
        )


def require_threshold(threshold: int, signers: int) -> None:
    """ProvisionRefused unless `threshold` is an integer in [2, `signers`]."""
    if isinstance(threshold, bool) or not isinstance(threshold, int) or not 2 <= threshold <= signers:
        raise ProvisionRefused(f"the threshold must be an integer in [2, {signers}], not {threshold!r}")


def dkg_participants(layout: GroupLayout, threshold: int, signers: int) -> list[int]:
    """The nodes a `threshold`-of-`signers` DKG runs among: all the group's nodes, so `signers` must be
    their number; ProvisionRefused if the numbers do not fit the group."""
    if signers != len(layout.nodes):
        raise ProvisionRefused(
            f"the group in {layout.root} has {len(layout.nodes)} nodes; a key is shared among all of them, "
            f"not {signers}"
        )
    require_threshold(threshold, signers)
    return layout.node_ids


def local_dkg(
    group: GroupLayout | str | os.PathLike[str],
    threshold: int,
    signers: int,
    key_id: str,
    *,
    unlocker: Unlocker,
    allow_weak_kdf: bool = False,
) -> PublicKeyPackage:
    """A new `threshold`-of-`signers` group key `key_id` shared among all the group's nodes: FROST KeyGen
    with every participant in this process, each KeyPackage saved in its own node's key store, the public
    key package in ``keys/<key_id>.json``. A group key the contracts cannot verify under starts the DKG
    again."""
    layout = _as_layout(group)
    require_key_id(key_id)
    participants = dkg_participants(layout, threshold, signers)
    ceremony = _ceremony_id("dkg")
    with open_stores(layout, participants, unlocker, allow_weak_kdf=allow_weak_kdf) as stores:
        key_packages, public_key_package = _run_dkg(participants, threshold)
        _install(layout, key_id, stores, key_packages, public_key_package, ceremony, replace=False)
    _audit(
        layout,
        participants,
        "keys.local-dkg",
        key_id,
        {
            "ceremony": ceremony,
            "threshold": threshold,
            "participants": participants,
            "group_public_key": public_key_package.group_public_key.to_bytes().hex(),
        },
    )
    return public_key_package


def _run_dkg(participants: list[int], threshold: int) -> tuple[dict[int, KeyPackage], PublicKeyPackage]:
    """FROST KeyGen among `participants`, all in this process, again if the group key is unusable."""
    for _attempt in range(MAX_DKG_ATTEMPTS):
        round1 = {i: dkg_part1(i, len(participants), threshold) for i in participants}
        packages = {i: package for i, (_, package) in round1.items()}
        round2 = {
            i: dkg_part2(secret, {j: p for j, p in packages.items() if j != i})
            for i, (secret, _) in round1.items()
        }
        try:
            results = {
                i: dkg_part3(
                    secret,
                    {j: p for j, p in packages.items() if j != i},
                    {j: dealt[i] for j, (_, dealt) in round2.items() if j != i},
                )
                for i, (secret, _) in round2.items()
            }
        except UnusableGroupKey:
            continue
        return {i: key_package for i, (key_package, _) in results.items()}, _agreed(results)
    raise ProvisionError(f"{MAX_DKG_ATTEMPTS} DKG runs in a row gave a group key the contracts cannot take")


def _agreed(results: Mapping[int, tuple[KeyPackage, PublicKeyPackage]]) -> PublicKeyPackage:
    """The public key package every participant derived (they must all derive the same one)."""
    publics = {public.to_bytes() for _, public in results.values()}
    if len(publics) != 1:
        raise ProvisionError("the participants derived different public key packages")
    return next(iter(results.values()))[1]


def _current_shares(
    layout: GroupLayout,
    key_id: str,
    node_ids: Sequence[int],
    stores: Mapping[int, KeyStore],
    current: PublicKeyPackage,
) -> dict[int, KeyPackage]:
    """Each node's share of `key_id`'s current generation; ProvisionRefused naming a missing or stale one."""
    shares = {}
    for node_id in node_ids:
        stored = find_key(stores[node_id], key_id)
        if stored is None:
            raise ProvisionRefused(f"node {node_id} holds no share of key {key_id!r}; repair it first")
        if stored.public_key_package != current:
            raise ProvisionRefused(
                f"node {node_id}'s share of key {key_id!r} is not of the key's current generation in "
                f"{layout.public_key_path(key_id)} (it missed a refresh?); repair it first"
            )
        shares[node_id] = stored.key_package
    return shares


def local_refresh(
    group: GroupLayout | str | os.PathLike[str],
    key_id: str,
    *,
    unlocker: Unlocker,
    allow_weak_kdf: bool = False,
) -> PublicKeyPackage:
    """New shares of the same group key `key_id` for all its holders (same threshold): old and new shares no
    longer combine. Every holder must hold the current share. Returns the new public key package."""
    layout = _as_layout(group)
    current = load_public_key(layout, key_id)
    holders = sorted(current.verifying_shares)
    ceremony = _ceremony_id("refresh")
    with open_stores(layout, holders, unlocker, allow_weak_kdf=allow_weak_kdf) as stores:
        old = _current_shares(layout, key_id, holders, stores, current)
        key_packages, refreshed = _run_refresh(old, current)
        _install(layout, key_id, stores, key_packages, refreshed, ceremony, replace=True)
    _audit(layout, holders, "keys.local-refresh", key_id, {"ceremony": ceremony, "participants": holders})
    return refreshed


def _run_refresh(
    old: Mapping[int, KeyPackage], current: PublicKeyPackage
) -> tuple[dict[int, KeyPackage], PublicKeyPackage]:
    """The refresh among the holders of `old`, all in this process: new shares, the same group key."""
    holders = sorted(old)
    round1 = {i: refresh_part1(old[i], len(holders)) for i in holders}
    packages = {i: package for i, (_, package) in round1.items()}
    round2 = {
        i: refresh_part2(secret, {j: p for j, p in packages.items() if j != i})
        for i, (secret, _) in round1.items()
    }
    results = {
        i: refresh_part3(
            secret,
            {j: p for j, p in packages.items() if j != i},
            {j: dealt[i] for j, (_, dealt) in round2.items() if j != i},
            old[i],
            current,
        )
        for i, (secret, _) in round2.items()
    }
    refreshed = _agreed(results)
    if refreshed.group_public_key != current.group_public_key:
        raise ProvisionError("a refresh changed the group key")
    return {i: key_package for i, (key_package, _) in results.items()}, refreshed


def repair_helpers(
    layout: GroupLayout, key_id: str, node_id: int, helpers: Sequence[int] | None = None
) -> list[int]:
    """The helpers that repair node `node_id`'s share of `key_id`: `helpers` if they are at least threshold
    other holders of the key, or by default the first threshold-many other holders; ProvisionRefused if
    they do not fit."""
    current = load_public_key(layout, key_id)
    threshold = current.min_signers or 0
    holders = sorted(current.verifying_shares)
    layout.node(node_id)
    if node_id not in current.verifying_shares:
        raise ProvisionRefused(f"node {node_id} is not a holder of key {key_id!r} (holders: {holders})")
    others = [holder for holder in holders if holder != node_id]
    if helpers is None:
        return others[:threshold]
    chosen = sorted(helpers)
    if len(set(chosen)) != len(chosen):
        raise ProvisionRefused("a helper is named twice")
    if node_id in chosen:
        raise ProvisionRefused(f"node {node_id} cannot help repair its own share")
    strangers = [helper for helper in chosen if helper not in others]
    if strangers:
        raise ProvisionRefused(f"helpers {strangers} hold no share of key {key_id!r} (holders: {holders})")
    if len(chosen) < threshold:
        raise ProvisionRefused(
            f"a repair of key {key_id!r} needs at least {threshold} helpers, not {len(chosen)}"
        )
    return chosen


def local_repair(
    group: GroupLayout | str | os.PathLike[str],
    key_id: str,
    node_id: int,
    helpers: Sequence[int] | None = None,
    *,
    unlocker: Unlocker,
    allow_weak_kdf: bool = False,
) -> list[int]:
    """Rebuild node `node_id`'s lost (or stale) share of `key_id` from helpers (see `repair_helpers`), none
    of which learns it; returns the helpers used."""
    layout = _as_layout(group)
    chosen = repair_helpers(layout, key_id, node_id, helpers)
    current = load_public_key(layout, key_id)
    ceremony = _ceremony_id("repair")
    with open_stores(layout, [*chosen, node_id], unlocker, allow_weak_kdf=allow_weak_kdf) as stores:
        held = find_key(stores[node_id], key_id)
        if held is not None and held.public_key_package == current:
            raise ProvisionRefused(
                f"node {node_id} still holds its share of key {key_id!r}; it needs no repair"
            )
        shares = _current_shares(layout, key_id, chosen, stores, current)
        deltas = {helper: repair_share_step_1(chosen, shares[helper], node_id) for helper in chosen}
        sigmas = [repair_share_step_2([deltas[sender][helper] for sender in chosen]) for helper in chosen]
        key_package = repair_share_step_3(sigmas, node_id, current)
        save_key(stores[node_id], StoredKey(key_id, key_package, current, ceremony), replace=True)
    _audit(
        layout,
        [*chosen, node_id],
        "keys.local-repair",
        key_id,
        {"ceremony": ceremony, "participant": node_id, "helpers": chosen},
    )
    return chosen


def check_signers(layout: GroupLayout, key_id: str, signers: Sequence[int]) -> list[int]:
    """`signers` sorted, if they are distinct holders of `key_id` and at least its threshold;
    ProvisionRefused naming what does not fit."""
    chosen = sorted(signers)
    if len(set(chosen)) != len(chosen):
        raise ProvisionRefused("a signer is named twice")
    for signer in chosen:
        layout.node(signer)
    current = load_public_key(layout, key_id)
    threshold = current.min_signers or 0
    if len(chosen) < threshold:
        raise ProvisionRefused(
            f"key {key_id!r} needs at least {threshold} signers; {len(chosen)} named ({_listed(chosen)})"
        )
    strangers = [signer for signer in chosen if signer not in current.verifying_shares]
    if strangers:
        raise ProvisionRefused(f"nodes {strangers} hold no share of key {key_id!r}")
    return chosen


def _listed(node_ids: Sequence[int]) -> str:
    return ", ".join(f"node {node_id}" for node_id in node_ids) or "none"


def local_sign(
    group: GroupLayout | str | os.PathLike[str],
    signers: Sequence[int],
    digest: bytes,
    *,
    key_id: str,
    unlocker: Unlocker,
    allow_weak_kdf: bool = False,
) -> tuple[Point, Signature]:
    """The group key `key_id` and its FROST signature over the 32-byte `digest` by the nodes `signers` (at
    least the key's threshold), both rounds run here, every share checked in aggregation.

    No node's policy is asked: this is the operator signing with key stores it holds. Each signer's audit
    log records the digest signed.
    """
    layout = _as_layout(group)
    if not isinstance(digest, bytes) or len(digest) != DIGEST_BYTES:
        raise ProvisionRefused(f"a digest is {DIGEST_BYTES} bytes")
    chosen = check_signers(layout, key_id, signers)
    current = load_public_key(layout, key_id)
    with open_stores(layout, chosen, unlocker, allow_weak_kdf=allow_weak_kdf) as stores:
        shares = _current_shares(layout, key_id, chosen, stores, current)
    round1 = {signer: round1_commit(shares[signer].signing_share) for signer in chosen}
    package = SigningPackage({signer: commitments for signer, (_, commitments) in round1.items()}, digest)
    signature_shares = {
        signer: round2_sign(package, nonces, shares[signer]) for signer, (nonces, _) in round1.items()
    }
    signature = aggregate(package, signature_shares, current)
    _audit(layout, chosen, "sign.local", key_id, {"digest": digest.hex(), "signers": chosen})
    return current.group_public_key, signature
