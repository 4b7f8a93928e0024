"""The key ceremonies run on one machine: FROST KeyGen (`local_dkg`), refresh (`local_refresh`) and share
repair (`local_repair`), every participant in this one process, each participant's key store opened in turn.

They are for an operator who holds every node's key store on one machine (a devnet, a test, a recovery), and
they skip what only matters between machines (sealed messages, confirmation rounds): across machines the
nodes run the same ceremonies over mutual TLS (`custody.coordinator`). Every local ceremony appends a record
to the audit log of each node it used.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping, Sequence
from typing import Any, Final

from custody.audit import AuditLog
from custody.frost import (
    KeyPackage,
    PublicKeyPackage,
    UnusableGroupKey,
    dkg_part1,
    dkg_part2,
    dkg_part3,
    refresh_part1,
    refresh_part2,
    refresh_part3,
    repair_share_step_1,
    repair_share_step_2,
    repair_share_step_3,
)
from custody.keystore import KeyStore, Unlocker
from custody.node.records.shares import StoredKey, find_key, save_key
from custody.provision.errors import ProvisionError, ProvisionRefused
from custody.provision.keys import install_shares, load_public_key, open_stores
from custody.provision.layout import GroupLayout, require_key_id

PROVISION_ACTOR: Final = "tpw-custody"
"""The actor of the audit records the local ceremonies append to each node's log."""

MAX_DKG_ATTEMPTS: Final = 8
"""A DKG whose group key the contracts cannot take (odds about 2**-128) starts again, at most this often."""


def as_layout(group: GroupLayout | str | os.PathLike[str]) -> GroupLayout:
    """`group` itself, or the group whose roster is in the directory `group` names."""
    return group if isinstance(group, GroupLayout) else GroupLayout.load(group)


def _ceremony_id(kind: str) -> str:
    return f"local-{kind}-{secrets.token_hex(8)}"


def record_ceremony(
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
    layout = as_layout(group)
    require_key_id(key_id)
    participants = dkg_participants(layout, threshold, signers)
    ceremony = _ceremony_id("dkg")
    with open_stores(layout, participants, unlocker, allow_weak_kdf=allow_weak_kdf) as stores:
        key_packages, public_key_package = _run_dkg(participants, threshold)
        install_shares(layout, key_id, stores, key_packages, public_key_package, ceremony, replace=False)
    record_ceremony(
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


def current_shares(
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
    layout = as_layout(group)
    current = load_public_key(layout, key_id)
    holders = sorted(current.verifying_shares)
    ceremony = _ceremony_id("refresh")
    with open_stores(layout, holders, unlocker, allow_weak_kdf=allow_weak_kdf) as stores:
        old = current_shares(layout, key_id, holders, stores, current)
        key_packages, refreshed = _run_refresh(old, current)
        install_shares(layout, key_id, stores, key_packages, refreshed, ceremony, replace=True)
    record_ceremony(
        layout, holders, "keys.local-refresh", key_id, {"ceremony": ceremony, "participants": holders}
    )
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
    layout = as_layout(group)
    chosen = repair_helpers(layout, key_id, node_id, helpers)
    current = load_public_key(layout, key_id)
    ceremony = _ceremony_id("repair")
    with open_stores(layout, [*chosen, node_id], unlocker, allow_weak_kdf=allow_weak_kdf) as stores:
        held = find_key(stores[node_id], key_id)
        if held is not None and held.public_key_package == current:
            raise ProvisionRefused(
                f"node {node_id} still holds its share of key {key_id!r}; it needs no repair"
            )
        shares = current_shares(layout, key_id, chosen, stores, current)
        deltas = {helper: repair_share_step_1(chosen, shares[helper], node_id) for helper in chosen}
        sigmas = [repair_share_step_2([deltas[sender][helper] for sender in chosen]) for helper in chosen]
        key_package = repair_share_step_3(sigmas, node_id, current)
        save_key(stores[node_id], StoredKey(key_id, key_package, current, ceremony), replace=True)
    record_ceremony(
        layout,
        [*chosen, node_id],
        "keys.local-repair",
        key_id,
        {"ceremony": ceremony, "participant": node_id, "helpers": chosen},
    )
    return chosen
