"""A group key's files: its public key package in ``keys/<key_id>.json`` and each holder's share in its
node's key store, installed together so that a key exists everywhere or nowhere."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Final

from chain.files import PUBLIC, write_atomic
from custody.frost import FrostError, KeyPackage, Point, PublicKeyPackage
from custody.keystore import KeyStore, Unlocker
from custody.node.records.shares import StoredKey, save_key, share_record
from custody.provision.errors import ProvisionError, ProvisionRefused
from custody.provision.layout import GroupLayout, require_key_id

_PUBLIC_KEY_FIELDS: Final = frozenset(
    {"key_id", "group_public_key", "min_signers", "verifying_shares", "ceremony"}
)


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
    write ``keys/<key_id>.json`` (see `install_shares` for what `replace` means); e.g. a dealer's key for
    tests."""
    holders = sorted(public_key_package.verifying_shares)
    with open_stores(layout, holders, unlocker, allow_weak_kdf=allow_weak_kdf) as stores:
        install_shares(layout, key_id, stores, key_packages, public_key_package, ceremony, replace=replace)


def install_shares(
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
