"""``tpw-custody``: lay out a custody group on one machine, run its ceremonies and nodes, check audit logs.

Every command works on a group directory (``--dir``) as `custody.provision` lays it out. The key stores'
secret never comes from the command line (any user of the machine can read that in the process list):
from a file (``TPW_CUSTODY_PASSPHRASE_FILE`` / ``TPW_CUSTODY_KEK_FILE``, or a systemd credential), or
``TPW_CUSTODY_PASSPHRASE`` / ``TPW_CUSTODY_KEK`` when set (`custody.node.settings` says which and why a file
is better), otherwise a hidden prompt on the terminal (typed twice when new stores are made). Without a
terminal and without those variables, a command stops at once with an error instead of waiting for input.

Errors are one line on stderr, ``error: ...``; the exit status is 2 for a usage or input error (a bad
option, an unknown node, too few signers, a wrong passphrase) and 1 for an operation that failed (a
tampered key store, an unreadable file, a broken audit log). Secrets are never printed.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, NoReturn, TypeVar

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from chain.paths import PROJECT_ROOT
from custody import audit
from custody.audit import AuditLog, FileAuditStore
from custody.audit.head import HeadStatement, check_against_heads, state_head
from custody.errors import CustodyError, InvalidKek, KeyStoreNotFound, WeakPassphrase, WrongPassphrase
from custody.frost import FrostError
from custody.keystore import (
    DEFAULT_SCRYPT,
    HEADER_FILE,
    KEK_ENV_VAR,
    MIN_PASSPHRASE_CHARS,
    Kek,
    KeyStore,
    Passphrase,
    Unlocker,
)
from custody.keystore.migrate import migrate_store
from custody.node.keys_identity import load_identity
from custody.node.settings import (
    BASE_PORT,
    KEK_FILE_ENV_VAR,
    PASSPHRASE_ENV_VAR,
    PASSPHRASE_FILE_ENV_VAR,
    SECRET_ENV_VARS,
    secret_from_environment,
)
from custody.node.state_guard import StateGuard
from custody.policy.config import load_policy
from custody.policy.errors import PolicyConfigError
from custody.policy.history import SpendHistory
from custody.provision import (
    DIGEST_BYTES,
    GroupLayout,
    GroupNotFound,
    ProvisionRefused,
    check_signers,
    dkg_participants,
    load_public_key,
    local_dkg,
    local_refresh,
    local_repair,
    local_sign,
    provision_group,
    repair_helpers,
    require_threshold,
)
from custody.roster import Roster

DEFAULT_KEY_ID: Final = "treasury"
DEFAULT_NODE_COUNT: Final = 3
FIRST_PORT: Final = BASE_PORT + 1
DEFAULT_POLICY: Final = PROJECT_ROOT / "config" / "policy.example.yaml"
KEYSTORE_SCRYPT = DEFAULT_SCRYPT
"""scrypt cost of the key stores this CLI makes with a passphrase (tests lower it to MIN_SCRYPT)."""

_KEK_KDF_NAME: Final = "kek-hkdf-sha256"  # `KeyStore.kdf_name` of a KEK-sealed store

INPUT_ERRORS: Final = (ProvisionRefused, WrongPassphrase, WeakPassphrase, InvalidKek, PolicyConfigError)
"""Library errors that mean the operator's input was wrong (exit 2); every other failure exits 1."""

_F = TypeVar("_F", bound=Callable[..., Any])


class InputError(click.ClickException):
    """Input the command cannot work with (exit status 2)."""

    exit_code = 2


def _one_line(message: str) -> str:
    """A message on one line: a multi-line one (a policy's list of problems) joined with "; "."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return " ".join([*lines[:1], "; ".join(lines[1:])]).strip()


def _fail(message: str, exit_code: int) -> NoReturn:
    click.echo(f"error: {_one_line(message)}", err=True)
    sys.exit(exit_code)


class _OneLineErrors(click.Group):
    """The command group, reporting every expected failure as one ``error:`` line and an exit status."""

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> NoReturn:
        extra.pop("standalone_mode", None)
        try:
            code = super().main(args, prog_name, standalone_mode=False, **extra)
        except click.UsageError as error:
            hint = f" (see '{error.ctx.command_path} --help')" if error.ctx is not None else ""
            _fail(error.format_message() + hint, error.exit_code)
        except click.ClickException as error:
            _fail(error.format_message(), error.exit_code)
        except click.Abort:
            _fail("aborted", 1)
        except INPUT_ERRORS as error:
            _fail(str(error), 2)
        except (CustodyError, FrostError) as error:
            _fail(str(error), 1)
        except OSError as error:
            _fail(str(error), 1)
        sys.exit(code if isinstance(code, int) else 0)


# -- the key stores' secret --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoreSecret:
    """The key stores' passphrase or KEK, and the environment variable a node process reads it from."""

    variable: str
    text: str = field(repr=False)

    def unlocker(self) -> Unlocker:
        """The key-store unlocker this secret is."""
        return Kek.parse(self.text) if self.variable == KEK_ENV_VAR else Passphrase(self.text)


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def store_secret(environ: Mapping[str, str], *, sealed_with_kek: bool | None) -> StoreSecret:
    """The secret for the group's key stores: for stores sealed with a KEK (`sealed_with_kek`), the KEK;
    for passphrase stores, the passphrase; for new stores (None), the passphrase if set, else the KEK if
    set, else a new passphrase typed twice. A prompt needs a terminal on stdin."""
    given_passphrase = secret_from_environment(environ, "passphrase")
    given_kek = secret_from_environment(environ, "kek")
    passphrase = given_passphrase[1] if given_passphrase is not None else ""
    kek = given_kek[1].strip() if given_kek is not None else ""
    if sealed_with_kek:
        if not kek:
            raise InputError(
                f"the group's key stores are sealed with a KEK: set {KEK_FILE_ENV_VAR} or {KEK_ENV_VAR}"
            )
        Kek.parse(kek)
        return StoreSecret(KEK_ENV_VAR, kek)
    creating = sealed_with_kek is None
    if passphrase:
        secret = StoreSecret(PASSPHRASE_ENV_VAR, passphrase)
    elif creating and kek:
        Kek.parse(kek)
        return StoreSecret(KEK_ENV_VAR, kek)
    elif not _stdin_is_terminal():
        raise InputError(
            f"no key-store passphrase: set {PASSPHRASE_ENV_VAR}"
            + (f" or {KEK_ENV_VAR}" if creating else "")
            + " (stdin is not a terminal to ask on)"
        )
    else:
        prompt = "New key-store passphrase" if creating else "Key-store passphrase"
        text = click.prompt(prompt, hide_input=True, confirmation_prompt=creating, err=True)
        secret = StoreSecret(PASSPHRASE_ENV_VAR, text)
    if creating and Passphrase(secret.text).char_count() < MIN_PASSPHRASE_CHARS:
        raise InputError(f"a key-store passphrase has at least {MIN_PASSPHRASE_CHARS} characters")
    return secret


def sealed_with_kek(layout: GroupLayout, node_ids: Sequence[int]) -> bool:
    """Whether the key stores of `node_ids` are sealed with a KEK (read from the first one's header)."""
    path = layout.node(node_ids[0]).keystore / HEADER_FILE
    try:
        header = json.loads(path.read_bytes())
        return bool(header["kdf"]["name"] == _KEK_KDF_NAME)
    except FileNotFoundError:
        raise KeyStoreNotFound(f"no key store at {path.parent}") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise KeyStoreNotFound(f"{path} is not a key-store header") from None


def _existing_store_secret(layout: GroupLayout, node_ids: Sequence[int]) -> StoreSecret:
    return store_secret(os.environ, sealed_with_kek=sealed_with_kek(layout, node_ids))


# -- option types ------------------------------------------------------------------------------------------


class NodeIdList(click.ParamType):
    """Comma-separated node ids, e.g. ``1,3``."""

    name = "IDS"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> list[int]:
        if isinstance(value, list):
            return value
        try:
            ids = [int(part) for part in str(value).split(",")]
        except ValueError:
            self.fail(f"{value!r} is not a comma-separated list of node ids (e.g. 1,3)", param, ctx)
        if any(node_id < 1 for node_id in ids):
            self.fail(f"{value!r}: node ids start at 1", param, ctx)
        return ids


class Digest(click.ParamType):
    """A 32-byte digest as 64 hex digits, with or without 0x."""

    name = "HEX"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> bytes:
        if isinstance(value, bytes):
            return value
        text = str(value).strip()
        text = text[2:] if text[:2].lower() == "0x" else text
        try:
            digest = bytes.fromhex(text)
        except ValueError:
            digest = b""
        if len(digest) != DIGEST_BYTES or len(text) != 2 * DIGEST_BYTES:
            self.fail(
                f"a digest is {DIGEST_BYTES} bytes written as {2 * DIGEST_BYTES} hex digits", param, ctx
            )
        return digest


def _dir_option(help_text: str) -> Callable[[_F], _F]:
    return click.option(
        "--dir",
        "directory",
        type=click.Path(file_okay=False, path_type=Path),
        required=True,
        help=help_text,
    )


_GROUP_DIR_HELP: Final = "The custody group's directory (as init-ca or keygen made it)."


def _key_option(help_text: str = "The key id.") -> Callable[[_F], _F]:
    return click.option("--key", "key_id", default=DEFAULT_KEY_ID, show_default=True, help=help_text)


def _layout_options(function: _F) -> _F:
    """Where a new group's nodes serve and what policy they get."""
    for option in reversed(
        (
            click.option(
                "--host", default="127.0.0.1", show_default=True, help="The address every node serves on."
            ),
            click.option(
                "--first-port",
                type=click.IntRange(1, 65535),
                default=FIRST_PORT,
                show_default=True,
                help="Node 1's port; node i serves on FIRST_PORT + i - 1.",
            ),
            click.option(
                "--policy",
                "policy_path",
                type=click.Path(exists=True, dir_okay=False, path_type=Path),
                default=DEFAULT_POLICY,
                show_default=True,
                help="The policy file every node gets a copy of (validated first).",
            ),
        )
    ):
        function = option(function)
    return function


def _new_group(
    directory: Path,
    count: int,
    host: str,
    first_port: int,
    policy_path: Path,
    secret: StoreSecret,
    force: bool,
) -> GroupLayout:
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


def _describe_group(layout: GroupLayout) -> None:
    click.echo(f"custody group of {len(layout.nodes)} nodes in {layout.root}")
    click.echo(f"  CA           {layout.ca_certificate} (key {layout.ca_key})")
    click.echo(f"  coordinator  {layout.coordinator_tls.certificate} (key {layout.coordinator_tls.key})")
    click.echo(f"  roster       {layout.roster_path}")
    for node in layout.nodes.values():
        click.echo(f"  node {node.node_id:<7} {node.url}  {node.directory}")


# -- commands ----------------------------------------------------------------------------------------------


@click.group(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Set up and operate a TPWallet custody group on this machine.

    The key stores' secret comes from a file named by TPW_CUSTODY_PASSPHRASE_FILE (or TPW_CUSTODY_KEK_FILE for
    stores sealed with a key-encryption key), a systemd credential tpw-custody-passphrase (tpw-custody-kek),
    TPW_CUSTODY_PASSPHRASE (TPW_CUSTODY_KEK), or else a hidden prompt; never from an option.
    """


@cli.command("init-ca")
@_dir_option("Directory to lay the new group out in.")
@click.option(
    "--nodes",
    "count",
    type=click.IntRange(2, 255),
    default=DEFAULT_NODE_COUNT,
    show_default=True,
    help="How many signer nodes.",
)
@_layout_options
@click.option("--force", is_flag=True, help="Replace a group already in DIR (destroys its key shares).")
def init_ca(directory: Path, count: int, host: str, first_port: int, policy_path: Path, force: bool) -> None:
    """Make a group CA, node and coordinator certificates, node identities, roster and policies in DIR."""
    load_policy(policy_path)
    secret = store_secret(os.environ, sealed_with_kek=None)
    _describe_group(_new_group(directory, count, host, first_port, policy_path, secret, force))


@cli.command()
@click.option("--threshold", type=int, required=True, help="Signers needed for a signature (T).")
@click.option("--signers", "count", type=int, required=True, help="Participants, all the group's nodes (N).")
@_dir_option("The group's directory; a new N-node group is laid out there first if it has none.")
@_key_option("The new key's id.")
@_layout_options
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
        layout = _new_group(directory, count, host, first_port, policy_path, secret, force=False)
        _describe_group(layout)
    else:
        secret = _existing_store_secret(layout, dkg_participants(layout, threshold, count))
    public = local_dkg(layout, threshold, count, key_id, unlocker=secret.unlocker())
    click.echo(f"key {key_id}: {threshold}-of-{count} on nodes {_ids(layout.node_ids)}")
    click.echo(f"  group key  {public.group_public_key.to_bytes().hex()}")
    click.echo(f"  public     {layout.public_key_path(key_id)}")


@cli.command()
@_dir_option(_GROUP_DIR_HELP)
@_key_option()
def refresh(directory: Path, key_id: str) -> None:
    """Give every holder of a key a new share of the same group key (old shares stop combining)."""
    layout = GroupLayout.load(directory)
    holders = sorted(load_public_key(layout, key_id).verifying_shares)
    secret = _existing_store_secret(layout, holders)
    public = local_refresh(layout, key_id, unlocker=secret.unlocker())
    click.echo(
        f"refreshed key {key_id} on nodes {_ids(holders)}; "
        f"group key {public.group_public_key.to_bytes().hex()} unchanged"
    )


@cli.command()
@_dir_option(_GROUP_DIR_HELP)
@_key_option()
@click.option("--node", "node_id", type=int, required=True, help="The node whose share is lost.")
@click.option(
    "--helpers", type=NodeIdList(), default=None, help="Helper nodes, e.g. 1,3 (default: T others)."
)
def repair(directory: Path, key_id: str, node_id: int, helpers: list[int] | None) -> None:
    """Rebuild a node's lost share of a key from T other holders, none of which learns it."""
    layout = GroupLayout.load(directory)
    chosen = repair_helpers(layout, key_id, node_id, helpers)
    secret = _existing_store_secret(layout, [node_id])
    used = local_repair(layout, key_id, node_id, chosen, unlocker=secret.unlocker())
    click.echo(f"repaired node {node_id}'s share of key {key_id} with helpers {_ids(used)}")


@cli.command()
@_dir_option(_GROUP_DIR_HELP)
@_key_option()
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
    secret = _existing_store_secret(layout, chosen)
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


@cli.command("migrate-keystores")
@_dir_option(_GROUP_DIR_HELP)
def migrate_keystores(directory: Path) -> None:
    """Migrate every node's key store to the current format (version 2: record versions; an older copy of
    a record restored from a backup is then refused). Stop the nodes first; stores already migrated are
    left as they are."""
    layout = GroupLayout.load(directory)
    secret = _existing_store_secret(layout, layout.node_ids)
    for node_id in layout.node_ids:
        count = migrate_store(layout.node(node_id).keystore, secret.unlocker())
        state = f"migrated ({count} records)" if count else "already current"
        click.echo(f"node {node_id}: key store {state}")


@cli.group()
def node() -> None:
    """Run a signer node."""


@node.command("start")
@_dir_option(_GROUP_DIR_HELP)
@click.option("--node", "node_id", type=int, required=True, help="The node to run.")
def node_start(directory: Path, node_id: int) -> None:
    """Run node I of the group in the foreground (python -m custody.node) until stopped (Ctrl-C, SIGTERM).

    The node reads the key-store secret from a pipe it inherits (TPW_CUSTODY_PASSPHRASE_FILE or
    TPW_CUSTODY_KEK_FILE=/dev/fd/N), never from its environment, which stays readable in /proc while it runs.
    """
    layout = GroupLayout.load(directory)
    argv = layout.node_argv(node_id)
    secret = _existing_store_secret(layout, [node_id])
    environment = {name: value for name, value in os.environ.items() if name not in SECRET_ENV_VARS}
    environment.update(layout.node_environment(node_id))
    environment[_FILE_VARIABLE[secret.variable]] = f"/dev/fd/{_secret_pipe(secret.text)}"
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv[0], argv, environment)  # noqa: S606 - a fixed argv: this Python, -m custody.node


@node.command("acknowledge-rollback")
@_dir_option(_GROUP_DIR_HELP)
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
    audit.AuditLog.open_file(settings.audit_path).append(
        actor="operator",
        action="node.rollback-acknowledged",
        subject=f"node:{node_id}",
        details={"counter_before": before, "counter_after": after},
    )
    click.echo(f"node {node_id}: rollback acknowledged; state counter {before} -> {after}; it signs again")


@cli.group("audit")
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
    verdict = audit.verify(file, trusted_keys=trusted)
    if heads:
        verdict = check_against_heads(verdict, FileAuditStore(file).entries(), heads)
    click.echo(json.dumps(verdict.to_json()) if as_json else verdict.summary())
    if not verdict.ok:
        sys.exit(1)


@audit_group.command("export-head")
@_dir_option(_GROUP_DIR_HELP)
@click.option("--node", "node_id", type=int, required=True, help="The node whose audit log head to state.")
def audit_export_head(directory: Path, node_id: int) -> None:
    """Print node I's audit log head as a JSON statement signed with its identity key.

    Keep it off this machine (a ticket, another host, a printout): `audit verify --head` then finds a log
    cut back or rewritten after it. Opens the node's key store (its secret as for every command); the
    node may be running. A running node also answers GET /v1/audit/head with the same statement.
    """
    layout = GroupLayout.load(directory)
    node_layout = layout.node(node_id)
    secret = _existing_store_secret(layout, [node_id])
    with KeyStore.open(node_layout.keystore, secret.unlocker()) as store:
        identity = load_identity(store)
    statement = state_head(AuditLog.open_file(node_layout.audit), identity.signing_key, node_id)
    click.echo(json.dumps(statement.to_json()))


_FILE_VARIABLE: Final = {PASSPHRASE_ENV_VAR: PASSPHRASE_FILE_ENV_VAR, KEK_ENV_VAR: KEK_FILE_ENV_VAR}


def _secret_pipe(text: str) -> int:
    """The read end of a pipe holding `text` (inheritable; the write end is closed): a file that exists only
    until the node has read it."""
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, text.encode())  # a pipe holds 64 KiB; a secret is far shorter
    finally:
        os.close(write_end)
    os.set_inheritable(read_end, True)
    return read_end


def _ed25519_key(text: str) -> Ed25519PublicKey:
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
    except ValueError:
        raise InputError(f"--trusted-key {text!r} is not an Ed25519 public key (64 hex digits)") from None


def _ids(node_ids: Sequence[int]) -> str:
    return ",".join(str(node_id) for node_id in node_ids)


def main() -> None:
    """The ``tpw-custody`` entry point."""
    cli.main(prog_name="tpw-custody")
