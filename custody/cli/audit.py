"""``tpw-custody audit``: verify an audit log (its chain, its checkpoints, and heads kept elsewhere), and
export a node's signed log head."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from custody.audit import AuditLog, FileAuditStore, verify
from custody.audit.head import HeadStatement, check_against_heads, state_head
from custody.cli.errors import InputError
from custody.cli.options import GROUP_DIR_HELP, dir_option
from custody.cli.secret import existing_store_secret
from custody.keystore import KeyStore
from custody.node.records.identity import load_identity
from custody.provision import GroupLayout
from custody.roster import Roster


@click.group("audit")
def audit_group() -> None:
    """Check audit logs, and export a node's signed log head to keep elsewhere."""


@audit_group.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
@click.option(
    "--trusted-key",
    "trusted_hex",
    multiple=True,
    help="An Ed25519 public key (64 hex digits) whose checkpoints to require; repeatable.",
)
@click.option(
    "--roster",
    "roster_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Trust the checkpoints of every node in this roster.",
)
@click.option(
    "--node",
    "node_id",
    type=int,
    help="With --roster: trust only this node's checkpoints (the node whose log FILE is).",
)
@click.option(
    "--head",
    "head_paths",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A head statement exported earlier (audit export-head): the log must still hold that record; "
    "repeatable. Needs --roster and --node.",
)
def audit_verify(
    file: Path,
    as_json: bool,
    trusted_hex: tuple[str, ...],
    roster_path: Path | None,
    node_id: int | None,
    head_paths: tuple[Path, ...],
) -> None:
    """Verify the hash chain (and checkpoints) of the audit log FILE; exit status 1 if anything is wrong.

    Checkpoints inside the log prove the records up to them; an exported head (--head) also proves that
    nothing was cut off or rewritten after the last checkpoint.
    """
    trusted = [_ed25519_key(text) for text in trusted_hex]
    if node_id is not None and roster_path is None:
        raise InputError("--node needs --roster (the node's identity key comes from it)")
    if head_paths and node_id is None:
        raise InputError("--head needs --roster and --node (whose signature to check)")
    roster = Roster.load(roster_path) if roster_path is not None else None
    if roster is not None:
        members = [roster.node(node_id)] if node_id is not None else list(roster)
        trusted += [entry.keys.verifying_key() for entry in members]
    heads = []
    for path in head_paths:
        head = HeadStatement.parse(path.read_bytes())
        assert roster is not None
        assert node_id is not None
        if head.node_id != node_id:
            raise InputError(f"{path} states node {head.node_id}'s head, not node {node_id}'s")
        head.verify(roster.node(node_id).keys.verifying_key())
        heads.append(head)
    verdict = verify(file, trusted_keys=trusted)
    if heads:
        verdict = check_against_heads(verdict, FileAuditStore(file).entries(), heads)
    click.echo(json.dumps(verdict.to_json()) if as_json else verdict.summary())
    if not verdict.ok:
        sys.exit(1)


@audit_group.command("export-head")
@dir_option(GROUP_DIR_HELP)
@click.option("--node", "node_id", type=int, required=True, help="The node whose audit log head to state.")
def audit_export_head(directory: Path, node_id: int) -> None:
    """Print node I's audit log head as a JSON statement signed with its identity key.

    Keep it off this machine (a ticket, another host, a printout): `audit verify --head` then finds a log
    cut back or rewritten after it. Opens the node's key store (its secret as for every command); the
    node may be running. A running node also answers GET /v1/audit/head with the same statement.
    """
    layout = GroupLayout.load(directory)
    node_layout = layout.node(node_id)
    secret = existing_store_secret(layout, [node_id])
    with KeyStore.open(node_layout.keystore, secret.unlocker()) as store:
        identity = load_identity(store)
    statement = state_head(AuditLog.open_file(node_layout.audit), identity.signing_key, node_id)
    click.echo(json.dumps(statement.to_json()))


def _ed25519_key(text: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
    except ValueError:
        raise InputError(f"--trusted-key {text!r} is not an Ed25519 public key (64 hex digits)") from None
