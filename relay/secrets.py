"""Secrets the relay processes read from files: an API key, a relayer's private key. A long-running process
never takes a secret from its environment (which `ps e`, `/proc/<pid>/environ` and crash reports show); its
settings name the file instead, written 0600 by whoever starts it. Errors name the file, never the content."""

from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount


def read_secret(path: Path) -> str:
    """The secret a file holds, stripped; the error names the file, never the content."""
    try:
        secret = path.read_text().strip()
    except OSError as error:
        raise ValueError(f"cannot read the secret file {path}: {type(error).__name__}") from None
    if not secret:
        raise ValueError(f"the secret file {path} is empty")
    return secret


def account_from_file(path: Path | None, setting: str, purpose: str) -> LocalAccount:
    """The account whose hex private key `path` holds; `ValueError` naming `setting` (the variable that
    names the file) when it is unset, and the file, never the key, when it holds no key."""
    if path is None:
        raise ValueError(f"{setting} is not set: {purpose}")
    key = read_secret(path)
    try:
        account: LocalAccount = Account.from_key(key)
    except (ValueError, TypeError):
        raise ValueError(f"{path} does not hold a 32-byte hex private key") from None
    return account
