"""The key stores' secret for a ``tpw-custody`` command: from a file or the environment (as
`custody.node.settings` reads it), else a hidden prompt on a terminal; and the pipe a node process started
here reads it from, so it never sits in the node's environment."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import click

from custody.cli.errors import InputError
from custody.errors import KeyStoreNotFound
from custody.keystore import HEADER_FILE, KEK_ENV_VAR, MIN_PASSPHRASE_CHARS, Kek, Passphrase, Unlocker
from custody.keystore.header import KEK_KDF
from custody.node.settings import (
    KEK_FILE_ENV_VAR,
    PASSPHRASE_ENV_VAR,
    PASSPHRASE_FILE_ENV_VAR,
    secret_from_environment,
)
from custody.provision import GroupLayout

FILE_VARIABLE: Final = {PASSPHRASE_ENV_VAR: PASSPHRASE_FILE_ENV_VAR, KEK_ENV_VAR: KEK_FILE_ENV_VAR}


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
        return bool(header["kdf"]["name"] == KEK_KDF)
    except FileNotFoundError:
        raise KeyStoreNotFound(f"no key store at {path.parent}") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise KeyStoreNotFound(f"{path} is not a key-store header") from None


def existing_store_secret(layout: GroupLayout, node_ids: Sequence[int]) -> StoreSecret:
    """The secret that opens the existing key stores of `node_ids`."""
    return store_secret(os.environ, sealed_with_kek=sealed_with_kek(layout, node_ids))


def secret_pipe(text: str) -> int:
    """The read end of a pipe holding `text` (inheritable; the write end is closed): a file that exists only
    until the node has read it."""
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, text.encode())  # a pipe holds 64 KiB; a secret is far shorter
    finally:
        os.close(write_end)
    os.set_inheritable(read_end, True)
    return read_end
