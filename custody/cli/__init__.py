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

One module per command group: `group` (init-ca, migrate-keystores), `keys` (keygen, refresh, repair,
sign), `node`, `audit`; with `options`, `secret` (the key stores' secret) and `errors` (one-line errors).
"""

import click

from custody.cli.audit import audit_group
from custody.cli.errors import OneLineErrors
from custody.cli.group import init_ca, migrate_keystores
from custody.cli.keys import keygen, refresh, repair, sign
from custody.cli.node import node


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Set up and operate a TPWallet custody group on this machine.

    The key stores' secret comes from a file named by TPW_CUSTODY_PASSPHRASE_FILE (or TPW_CUSTODY_KEK_FILE for
    stores sealed with a key-encryption key), a systemd credential tpw-custody-passphrase (tpw-custody-kek),
    TPW_CUSTODY_PASSPHRASE (TPW_CUSTODY_KEK), or else a hidden prompt; never from an option.
    """


for command in (init_ca, keygen, refresh, repair, sign, migrate_keystores, node, audit_group):
    cli.add_command(command)


def main() -> None:
    """The ``tpw-custody`` entry point."""
    cli.main(prog_name="tpw-custody")
