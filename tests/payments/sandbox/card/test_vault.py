"""The PAN vault: AES-256-GCM, a fresh nonce each time, the token id bound as associated data."""

import os
from pathlib import Path

import pytest

from payments.sandbox.card.keyfiles import vault_key
from payments.sandbox.card.vault import Vault, VaultError

PAN = "4242424242424242"


def test_sealed_bytes_hide_the_pan_and_differ_each_time() -> None:
    vault = Vault(os.urandom(32))
    first, second = vault.seal("pm_1", PAN), vault.seal("pm_1", PAN)
    assert PAN.encode() not in first
    assert first != second
    assert vault.open("pm_1", first) == vault.open("pm_1", second) == PAN


def test_another_key_does_not_open_it() -> None:
    sealed = Vault(os.urandom(32)).seal("pm_1", PAN)
    with pytest.raises(VaultError):
        Vault(os.urandom(32)).open("pm_1", sealed)


def test_another_token_does_not_open_it() -> None:
    vault = Vault(os.urandom(32))
    with pytest.raises(VaultError):
        vault.open("pm_2", vault.seal("pm_1", PAN))


def test_a_flipped_bit_does_not_open() -> None:
    vault = Vault(os.urandom(32))
    sealed = bytearray(vault.seal("pm_1", PAN))
    sealed[-1] ^= 1
    with pytest.raises(VaultError):
        vault.open("pm_1", bytes(sealed))


def test_key_file_is_created_once_0600(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "vault.key"
    key = vault_key(path)
    assert len(key) == 32
    assert path.stat().st_mode & 0o777 == 0o600
    assert vault_key(path) == key
