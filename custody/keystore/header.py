"""How a key store's data key is kept: the header, the passphrase or KEK that unwraps it, and its KDF.

A random 256-bit data key seals a store's records (`custody.keystore`). The header (``keystore.json``) keeps
it wrapped with AES-256-GCM under a wrapping key derived from an operator passphrase with scrypt, or from a
32-byte key-encryption key (KEK) with HKDF-SHA256. The wrap authenticates every header field (format, version,
store id, KDF and its parameters), so a wrong passphrase and an altered header fail alike, at open.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chain.files import canonical_json
from custody.errors import (
    KeyStoreCorrupt,
    KeyStoreNeedsMigration,
    WeakKdfParameters,
    WeakPassphrase,
    WrongPassphrase,
)
from custody.keystore.format import (
    DATA_KEY_AAD_LABEL,
    FORMAT_NAME,
    FORMAT_VERSION,
    KEY_BYTES,
    LEGACY_FORMAT_VERSION,
    NONCE_BYTES,
    SALT_BYTES,
    STORE_ID_BYTES,
    TAG_BYTES,
)
from custody.keystore.unlock import MIN_PASSPHRASE_CHARS, MIN_SCRYPT, Kek, Passphrase, ScryptParams, Unlocker

SCRYPT_KDF: Final = "scrypt"
KEK_KDF: Final = "kek-hkdf-sha256"


@dataclass(frozen=True)
class Kdf:
    """How the wrapping key is derived: scrypt over a passphrase (with params) or HKDF over a KEK."""

    name: str
    salt: bytes
    scrypt: ScryptParams | None

    def to_json(self) -> dict[str, Any]:
        fields: dict[str, Any] = {"name": self.name, "salt": self.salt.hex()}
        if self.scrypt is not None:
            fields.update(n=self.scrypt.n, r=self.scrypt.r, p=self.scrypt.p)
        return fields

    def wrapping_key(self, unlocker: Unlocker) -> bytes:
        if isinstance(unlocker, Passphrase):
            if self.scrypt is None:
                raise WrongPassphrase("this key store is sealed with a KEK, not a passphrase")
            return unlocker.derive(self.salt, self.scrypt)
        if self.scrypt is not None:
            raise WrongPassphrase("this key store is sealed with a passphrase, not a KEK")
        return unlocker.derive(self.salt)


@dataclass(frozen=True)
class Header:
    """The parsed ``keystore.json``: everything needed to unwrap the data key, and the wrapped key."""

    store_id: bytes
    kdf: Kdf
    wrap_nonce: bytes
    wrapped_key: bytes

    version: int = FORMAT_VERSION

    def bound_fields(self) -> dict[str, Any]:
        """The fields the wrapped data key authenticates, so none can be changed unnoticed."""
        return {
            "format": FORMAT_NAME,
            "version": self.version,
            "store_id": self.store_id.hex(),
            "kdf": self.kdf.to_json(),
        }

    def to_bytes(self) -> bytes:
        fields = self.bound_fields()
        fields["data_key"] = {"nonce": self.wrap_nonce.hex(), "sealed": self.wrapped_key.hex()}
        return (json.dumps(fields, indent=2, sort_keys=True) + "\n").encode()


def seal_data_key(data_key: bytes, store_id: bytes, kdf: Kdf, unlocker: Unlocker) -> Header:
    """A header keeping `data_key` wrapped under the key `unlocker` derives through `kdf`."""
    unsealed = Header(
        store_id=store_id, kdf=kdf, wrap_nonce=secrets.token_bytes(NONCE_BYTES), wrapped_key=b""
    )
    aad = DATA_KEY_AAD_LABEL + b"\x00" + canonical_json(unsealed.bound_fields())
    wrapped = AESGCM(kdf.wrapping_key(unlocker)).encrypt(unsealed.wrap_nonce, data_key, aad)
    return Header(store_id=store_id, kdf=kdf, wrap_nonce=unsealed.wrap_nonce, wrapped_key=wrapped)


def unseal_data_key(header: Header, unlocker: Unlocker) -> bytes:
    """The data key `header` keeps; WrongPassphrase if `unlocker` does not open it (or the header changed)."""
    aad = DATA_KEY_AAD_LABEL + b"\x00" + canonical_json(header.bound_fields())
    try:
        return AESGCM(header.kdf.wrapping_key(unlocker)).decrypt(header.wrap_nonce, header.wrapped_key, aad)
    except InvalidTag:
        what = "passphrase" if isinstance(unlocker, Passphrase) else "KEK"
        raise WrongPassphrase(
            f"the {what} does not open this key store (wrong {what}, or its header was altered)"
        ) from None


def new_kdf(unlocker: Unlocker, scrypt: ScryptParams, allow_weak_kdf: bool) -> Kdf:
    """A fresh KDF (new salt) for `unlocker`; refuses weak scrypt costs and short passphrases."""
    salt = secrets.token_bytes(SALT_BYTES)
    if isinstance(unlocker, Kek):
        return Kdf(name=KEK_KDF, salt=salt, scrypt=None)
    scrypt.check_sane()
    if scrypt.is_weak() and not allow_weak_kdf:
        raise WeakKdfParameters(f"scrypt {scrypt} is below the minimum {MIN_SCRYPT}")
    if unlocker.char_count() < MIN_PASSPHRASE_CHARS:
        raise WeakPassphrase(f"a key-store passphrase has at least {MIN_PASSPHRASE_CHARS} characters")
    return Kdf(name=SCRYPT_KDF, salt=salt, scrypt=scrypt)


def _hex_field(fields: Mapping[str, Any], key: str, size: int | None) -> bytes:
    value = fields.get(key)
    try:
        raw = bytes.fromhex(value) if isinstance(value, str) else None
    except ValueError:
        raw = None
    if raw is None or (size is not None and len(raw) != size):
        want = f"{size} bytes of hex" if size is not None else "hex"
        raise KeyStoreCorrupt(f"header field {key!r} is not {want}")
    return raw


def _int_field(fields: Mapping[str, Any], key: str) -> int:
    value = fields.get(key)
    if type(value) is not int:
        raise KeyStoreCorrupt(f"header field {key!r} is not an integer")
    return value


def parse_header(raw: bytes, *, legacy: bool = False) -> Header:
    """The header in `raw` (of format version 1 with `legacy`); KeyStoreCorrupt if it is not one."""
    try:
        fields = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise KeyStoreCorrupt("the key-store header is not JSON") from None
    if not isinstance(fields, dict) or set(fields) != {"format", "version", "store_id", "kdf", "data_key"}:
        raise KeyStoreCorrupt("the key-store header does not have the expected fields")
    if fields["format"] != FORMAT_NAME:
        raise KeyStoreCorrupt(f"not a {FORMAT_NAME} header")
    if fields["version"] == LEGACY_FORMAT_VERSION and not legacy:
        raise KeyStoreNeedsMigration(
            "this key store has format version 1 (records without versions): stop the node and migrate "
            "it once with `tpw-custody migrate-keystores` (custody.keystore.migrate)"
        )
    if fields["version"] != (LEGACY_FORMAT_VERSION if legacy else FORMAT_VERSION):
        raise KeyStoreCorrupt(f"unsupported key-store format version {fields['version']!r}")
    kdf_fields, key_fields = fields["kdf"], fields["data_key"]
    if not isinstance(kdf_fields, dict) or not isinstance(key_fields, dict):
        raise KeyStoreCorrupt("header fields 'kdf' and 'data_key' must be objects")
    if set(key_fields) != {"nonce", "sealed"}:
        raise KeyStoreCorrupt("header field 'data_key' does not have the expected fields")
    name = kdf_fields.get("name")
    if name == SCRYPT_KDF and set(kdf_fields) == {"name", "salt", "n", "r", "p"}:
        params = ScryptParams(
            _int_field(kdf_fields, "n"), _int_field(kdf_fields, "r"), _int_field(kdf_fields, "p")
        )
        params.check_sane()
        kdf = Kdf(name=name, salt=_hex_field(kdf_fields, "salt", SALT_BYTES), scrypt=params)
    elif name == KEK_KDF and set(kdf_fields) == {"name", "salt"}:
        kdf = Kdf(name=name, salt=_hex_field(kdf_fields, "salt", SALT_BYTES), scrypt=None)
    else:
        raise KeyStoreCorrupt("header field 'kdf' names no supported key derivation")
    return Header(
        store_id=_hex_field(fields, "store_id", STORE_ID_BYTES),
        kdf=kdf,
        wrap_nonce=_hex_field(key_fields, "nonce", NONCE_BYTES),
        wrapped_key=_hex_field(key_fields, "sealed", KEY_BYTES + TAG_BYTES),
        version=fields["version"],
    )
