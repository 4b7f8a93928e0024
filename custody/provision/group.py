"""Writes a new custody group (`GroupLayout`) before the first node process starts: the CA, the coordinator's
and every node's certificate, each node's sealed key store holding a fresh identity, its policy, and the
roster, written last."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from chain.files import PUBLIC, make_private_directory, write_atomic
from custody.envelope import NodeIdentity
from custody.keystore import DEFAULT_SCRYPT, KeyStore, ScryptParams, Unlocker
from custody.node.records.identity import IDENTITY_RECORD
from custody.policy.config import parse_policy
from custody.provision.errors import GroupExists
from custody.provision.layout import CA_DIR, COORDINATOR_DIR, GroupLayout, NodeLayout
from custody.roster import Roster, RosterNode
from custody.tls import LOOPBACK_IP, CertificateAuthority


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
