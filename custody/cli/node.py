"""``tpw-custody node``: run a signer node of the group, and let one sign again after its state was rolled
back."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from custody.audit import AuditLog
from custody.cli.errors import InputError
from custody.cli.options import GROUP_DIR_HELP, dir_option
from custody.cli.secret import FILE_VARIABLE, existing_store_secret, secret_pipe
from custody.node.settings import SECRET_ENV_VARS
from custody.node.signing.state_guard import StateGuard
from custody.policy.history import SpendHistory
from custody.provision import GroupLayout


@click.group()
def node() -> None:
    """Run a signer node."""


@node.command("start")
@dir_option(GROUP_DIR_HELP)
@click.option("--node", "node_id", type=int, required=True, help="The node to run.")
def node_start(directory: Path, node_id: int) -> None:
    """Run node I of the group in the foreground (python -m custody.node) until stopped (Ctrl-C, SIGTERM).

    The node reads the key-store secret from a pipe it inherits (TPW_CUSTODY_PASSPHRASE_FILE or
    TPW_CUSTODY_KEK_FILE=/dev/fd/N), never from its environment, which stays readable in /proc while it runs.
    """
    layout = GroupLayout.load(directory)
    argv = layout.node_argv(node_id)
    secret = existing_store_secret(layout, [node_id])
    environment = {name: value for name, value in os.environ.items() if name not in SECRET_ENV_VARS}
    environment.update(layout.node_environment(node_id))
    environment[FILE_VARIABLE[secret.variable]] = f"/dev/fd/{secret_pipe(secret.text)}"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv[0], argv, environment)  # noqa: S606 - a fixed argv: this Python, -m custody.node


@node.command("acknowledge-rollback")
@dir_option(GROUP_DIR_HELP)
@click.option("--node", "node_id", type=int, required=True, help="The node whose state was rolled back.")
def node_acknowledge_rollback(directory: Path, node_id: int) -> None:
    """Let node I sign again after it found its state database rolled back (restored from a backup).

    Such a node refuses to sign: spends made after the backup are missing from its history, so it could
    sign past its part of the limits. Acknowledge once you have accounted for them (the audit logs list
    every share); the node's state counter rises to the highest it signed. Works while the node runs.
    """
    settings = GroupLayout.load(directory).node(node_id).settings
    if not settings.state_path.exists():
        raise InputError(f"node {node_id} has no state database at {settings.state_path} (has it ever run?)")
    with SpendHistory.open(settings.state_path) as state:
        before, after = StateGuard(state, node_id, None).acknowledge()
    if before == after:
        click.echo(f"node {node_id}: state counter {before}; no rollback to acknowledge")
        return
    AuditLog.open_file(settings.audit_path).append(
        actor="operator",
        action="node.rollback-acknowledged",
        subject=f"node:{node_id}",
        details={"counter_before": before, "counter_after": after},
    )
    click.echo(f"node {node_id}: rollback acknowledged; state counter {before} -> {after}; it signs again")
