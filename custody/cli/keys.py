"""``tpw-custody keygen``, ``refresh``, ``repair`` and ``sign``: a group key's ceremonies, run on this
machine over the key stores of a group directory (`custody.provision`)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from custody.cli.group import describe_group, new_group
from custody.cli.options import (
    GROUP_DIR_HELP,
    Digest,
    NodeIdList,
    dir_option,
    key_option,
    layout_options,
    listed_ids,
)
from custody.cli.secret import existing_store_secret, store_secret
from custody.policy.config import load_policy
from custody.provision import (
    GroupLayout,
    GroupNotFound,
    check_signers,
    dkg_participants,
    load_public_key,
    local_dkg,
    local_refresh,
    local_repair,
    local_sign,
    repair_helpers,
    require_threshold,
)


@click.command()
@click.option("--threshold", type=int, required=True, help="Signers needed for a signature (T).")
@click.option("--signers", "count", type=int, required=True, help="Participants, all the group's nodes (N).")
@dir_option("The group's directory; a new N-node group is laid out there first if it has none.")
@key_option("The new key's id.")
@layout_options
def keygen(
    threshold: int, count: int, directory: Path, key_id: str, host: str, first_port: int, policy_path: Path
) -> None:
    """Generate a T-of-N group key by a DKG among the group's N nodes, run here."""
    try:
        layout = GroupLayout.load(directory)
    except GroupNotFound:
        require_threshold(threshold, count)
        load_policy(policy_path)
        secret = store_secret(os.environ, sealed_with_kek=None)
        layout = new_group(directory, count, host, first_port, policy_path, secret, force=False)
        describe_group(layout)
    else:
        secret = existing_store_secret(layout, dkg_participants(layout, threshold, count))
    public = local_dkg(layout, threshold, count, key_id, unlocker=secret.unlocker())
    click.echo(f"key {key_id}: {threshold}-of-{count} on nodes {listed_ids(layout.node_ids)}")
    click.echo(f"  group key  {public.group_public_key.to_bytes().hex()}")
    click.echo(f"  public     {layout.public_key_path(key_id)}")


@click.command()
@dir_option(GROUP_DIR_HELP)
@key_option()
def refresh(directory: Path, key_id: str) -> None:
    """Give every holder of a key a new share of the same group key (old shares stop combining)."""
    layout = GroupLayout.load(directory)
    holders = sorted(load_public_key(layout, key_id).verifying_shares)
    secret = existing_store_secret(layout, holders)
    public = local_refresh(layout, key_id, unlocker=secret.unlocker())
    click.echo(
        f"refreshed key {key_id} on nodes {listed_ids(holders)}; "
        f"group key {public.group_public_key.to_bytes().hex()} unchanged"
    )


@click.command()
@dir_option(GROUP_DIR_HELP)
@key_option()
@click.option("--node", "node_id", type=int, required=True, help="The node whose share is lost.")
@click.option(
    "--helpers", type=NodeIdList(), default=None, help="Helper nodes, e.g. 1,3 (default: T others)."
)
def repair(directory: Path, key_id: str, node_id: int, helpers: list[int] | None) -> None:
    """Rebuild a node's lost share of a key from T other holders, none of which learns it."""
    layout = GroupLayout.load(directory)
    chosen = repair_helpers(layout, key_id, node_id, helpers)
    secret = existing_store_secret(layout, [node_id])
    used = local_repair(layout, key_id, node_id, chosen, unlocker=secret.unlocker())
    click.echo(f"repaired node {node_id}'s share of key {key_id} with helpers {listed_ids(used)}")


@click.command()
@dir_option(GROUP_DIR_HELP)
@key_option()
@click.option("--signers", type=NodeIdList(), required=True, help="The signing nodes, e.g. 1,3 (at least T).")
@click.option("--digest", type=Digest(), required=True, help="The 32-byte digest to sign, hex.")
def sign(directory: Path, key_id: str, signers: list[int], digest: bytes) -> None:
    """Sign a digest with the group key here (no node policy is asked; each signer's audit log records it).

    A local tool, on purpose: it works over a group directory that holds every signer's key store on this
    one machine (a devnet, a test, a recovery drill), opening each with the secret. It is not how a
    deployed group signs: there each node keeps its own share on its own machine and signs only through
    the coordinator, after checking the intent against its policy.

    Prints one JSON object: {"group_key": 33-byte compressed hex, "R": 33-byte compressed hex, "z": 32-byte
    hex}.
    """
    layout = GroupLayout.load(directory)
    chosen = check_signers(layout, key_id, signers)
    secret = existing_store_secret(layout, chosen)
    group_key, signature = local_sign(layout, chosen, digest, key_id=key_id, unlocker=secret.unlocker())
    click.echo(
        json.dumps(
            {
                "group_key": group_key.to_bytes().hex(),
                "R": signature.R.to_bytes().hex(),
                "z": signature.z.to_bytes(32, "big").hex(),
            }
        )
    )
