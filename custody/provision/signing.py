"""Signing with a group key on one machine: both FROST rounds run in this process. `sign_with_key` signs
with shares already in memory; `local_sign` takes them from the key stores of the signers the operator
names, and no node's policy is asked."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Final

from custody.frost import (
    KeyPackage,
    Point,
    PublicKeyPackage,
    Signature,
    SigningPackage,
    aggregate,
    round1_commit,
    round2_sign,
)
from custody.keystore import Unlocker
from custody.provision.ceremonies import as_layout, current_shares, record_ceremony
from custody.provision.errors import ProvisionRefused
from custody.provision.keys import load_public_key, open_stores
from custody.provision.layout import GroupLayout

DIGEST_BYTES: Final = 32

Key = tuple[dict[int, KeyPackage], PublicKeyPackage]
"""A group key as one process holds it: every participant's share and the public key package."""


def sign_with_key(key: Key, message: bytes, signers: Sequence[int] | None = None) -> Signature:
    """Run both FROST rounds with the given signers (default: the first `min_signers` participants) and
    aggregate, every signature share checked against the public key package."""
    key_packages, public_key_package = key
    if signers is None:
        threshold = next(iter(key_packages.values())).min_signers
        signers = sorted(key_packages)[:threshold]
    round_one = {identifier: round1_commit(key_packages[identifier].signing_share) for identifier in signers}
    package = SigningPackage(
        {identifier: commitments for identifier, (_, commitments) in round_one.items()}, message
    )
    shares = {
        identifier: round2_sign(package, nonces, key_packages[identifier])
        for identifier, (nonces, _) in round_one.items()
    }
    return aggregate(package, shares, public_key_package)


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
    layout = as_layout(group)
    if not isinstance(digest, bytes) or len(digest) != DIGEST_BYTES:
        raise ProvisionRefused(f"a digest is {DIGEST_BYTES} bytes")
    chosen = check_signers(layout, key_id, signers)
    current = load_public_key(layout, key_id)
    with open_stores(layout, chosen, unlocker, allow_weak_kdf=allow_weak_kdf) as stores:
        shares = current_shares(layout, key_id, chosen, stores, current)
    signature = sign_with_key((shares, current), digest, chosen)
    record_ceremony(layout, chosen, "sign.local", key_id, {"digest": digest.hex(), "signers": chosen})
    return current.group_public_key, signature
