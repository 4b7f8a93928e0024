"""``tpw-custody init-ca`` and ``migrate-keystores``: lay out a new custody group on this machine, and bring
its key stores to the current format."""

from __future__ import annotations

import os
from pathlib import Path

import click

from custody.cli.errors import InputError
from custody.cli.options import DEFAULT_NODE_COUNT, GROUP_DIR_HELP, dir_option, layout_options
from custody.cli.secret import StoreSecret, existing_store_secret, store_secret
from custody.keystore import DEFAULT_SCRYPT
from custody.keystore.migrate import migrate_store
from custody.policy.config import load_policy
from custody.provision import GroupLayout, provision_group

KEYSTORE_SCRYPT = DEFAULT_SCRYPT
"""scrypt cost of the key stores this CLI makes with a passphrase (tests lower it to MIN_SCRYPT)."""


def new_group(
    directory: Path,
    count: int,
    host: str,
    first_port: int,
    policy_path: Path,
    secret: StoreSecret,
    force: bool,
) -> GroupLayout:
    """Lay out a `count`-node group in `directory`, node i serving on `first_port` + i - 1."""
    node_ids = list(range(1, count + 1))
    ports = [first_port + node_id - 1 for node_id in node_ids]
    if ports[-1] > 65535:
        raise InputError(f"{count} nodes from port {first_port} run past port 65535")
    return provision_group(
        directory,
        node_ids,
        ports,
        unlocker=secret.unlocker(),
        policy_text=policy_path.read_text(encoding="utf-8"),
        host=host,
        scrypt=KEYSTORE_SCRYPT,
        overwrite=force,
    )


def describe_group(layout: GroupLayout) -> None:
    """Print where a new group's files are and where its nodes serve."""
    click.echo(f"custody group of {len(layout.nodes)} nodes in {layout.root}")
    click.echo(f"  CA           {layout.ca_certificate} (key {layout.ca_key})")
    click.echo(f"  coordinator  {layout.coordinator_tls.certificate} (key {layout.coordinator_tls.key})")
    click.echo(f"  roster       {layout.roster_path}")
    for node in layout.nodes.values():
        click.echo(f"  node {node.node_id:<7} {node.url}  {node.directory}")


@click.command("init-ca")
@dir_option("Directory to lay the new group out in.")
@click.option(
    "--nodes",
    "count",
    type=click.IntRange(2, 255),
    default=DEFAULT_NODE_COUNT,
    show_default=True,
    help="How many signer nodes.",
)
@layout_options
@click.option("--force", is_flag=True, help="Replace a group already in DIR (destroys its key shares).")
def init_ca(directory: Path, count: int, host: str, first_port: int, policy_path: Path, force: bool) -> None:
    """Make a group CA, node and coordinator certificates, node identities, roster and policies in DIR."""
    load_policy(policy_path)
    secret = store_secret(os.environ, sealed_with_kek=None)
    describe_group(new_group(directory, count, host, first_port, policy_path, secret, force))


@click.command("migrate-keystores")
@dir_option(GROUP_DIR_HELP)
def migrate_keystores(directory: Path) -> None:
    """Migrate every node's key store to the current format (version 2: record versions; an older copy of
    a record restored from a backup is then refused). Stop the nodes first; stores already migrated are
    left as they are."""
    layout = GroupLayout.load(directory)
    secret = existing_store_secret(layout, layout.node_ids)
    for node_id in layout.node_ids:
        count = migrate_store(layout.node(node_id).keystore, secret.unlocker())
        state = f"migrated ({count} records)" if count else "already current"
        click.echo(f"node {node_id}: key store {state}")
