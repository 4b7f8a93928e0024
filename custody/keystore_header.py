"""How a key store's data key is kept: the header, the passphrase or KEK that unwraps it, and its KDF.

A random 256-bit data key seals a store's records (`custody.keystore`). The header (``keystore.json``) keeps
it wrapped with AES-256-GCM under a wrapping key derived from an operator passphrase with scrypt, or from a
32-byte key-encryption key (KEK) with HKDF-SHA256. The wrap authenticates every header field (format, version,
store id, KDF and its parameters), so a wrong passphrase and an altered header fail alike, at open.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from chain.files import canonical_json
from custody.errors import (
    InvalidKek,
    KeyStoreCorrupt,
    KeyStoreNeedsMigration,
    WeakKdfParameters,
    WeakPassphrase,
    WrongPassphrase,
)

FORMAT_NAME: Final = "tpwallet-keystore"
FORMAT_VERSION: Final = 2
LEGACY_FORMAT_VERSION: Final = 1
"""Records without versions and no manifest: readable only by `custody.keystore_migrate`."""
KEK_ENV_VAR: Final = "TPW_CUSTODY_KEK"

KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
SALT_BYTES: Final = 16
STORE_ID_BYTES: Final = 16
TAG_BYTES: Final = 16
MIN_PASSPHRASE_CHARS: Final = 12

# Labels that did not change with version 2 (the header's bound fields carry its version):
_DATA_KEY_AAD_LABEL: Final = f"{FORMAT_NAME}/v1/data-key".encode()
_KEK_HKDF_INFO: Final = f"{FORMAT_NAME}/v1/kek-wrap".encode()

_SCRYPT_KDF: Final = "scrypt"
_KEK_KDF: Final = "kek-hkdf-sha256"


@dataclass(frozen=True)
class ScryptParams:
    """scrypt cost parameters: memory is about 128·n·r·p bytes, time grows linearly with n·r·p."""

    n: int
    r: int
    p: int

    def is_weak(self) -> bool:
        """Whether these parameters fall below the production minimum `MIN_SCRYPT`."""
        return self.n < MIN_SCRYPT.n or self.r < MIN_SCRYPT.r or self.p < MIN_SCRYPT.p

    def check_sane(self) -> None:
        """Refuse parameters scrypt cannot take, or so large that opening would exhaust memory."""
        if self.n < 2 or self.n & (self.n - 1) or self.n > 2**22:
            raise KeyStoreCorrupt(f"scrypt n={self.n} is not a power of two in [2, 2**22]")
        if not 1 <= self.r <= 32 or not 1 <= self.p <= 16:
            raise KeyStoreCorrupt(f"scrypt r={self.r}, p={self.p} outside r in [1, 32], p in [1, 16]")


MIN_SCRYPT: Final = ScryptParams(n=2**15, r=8, p=1)
DEFAULT_SCRYPT: Final = ScryptParams(n=2**17, r=8, p=1)


class Passphrase:
    """An operator passphrase (NFC-normalised, UTF-8); its repr never shows it."""

    __slots__ = ("_secret",)

    def __init__(self, text: str) -> None:
        self._secret = unicodedata.normalize("NFC", text).encode()

    def __repr__(self) -> str:
        return "Passphrase(<redacted>)"

    def char_count(self) -> int:
        """Length in code points, for the minimum-length rule on new passphrases."""
        return len(self._secret.decode())

    def derive(self, salt: bytes, params: ScryptParams) -> bytes:
        """The wrapping key this passphrase gives under `salt` and `params`."""
        return Scrypt(salt=salt, length=KEY_BYTES, n=params.n, r=params.r, p=params.p).derive(self._secret)


class Kek:
    """A 32-byte key-encryption key supplied by the operator (e.g. from a secrets manager)."""

    __slots__ = ("_secret",)

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise InvalidKek(f"a KEK is {KEY_BYTES} bytes, not {len(key)}")
        self._secret = bytes(key)

    def __repr__(self) -> str:
        return "Kek(<redacted>)"

    @classmethod
    def parse(cls, text: str) -> Kek:
        """Read a KEK written as 64 hex digits or as base64 (standard or URL-safe, padded or not)."""
        text = text.strip()
        if re.fullmatch(r"[0-9A-Fa-f]{64}", text):
            return cls(bytes.fromhex(text))
        standard = text.replace("-", "+").replace("_", "/")
        try:
            key = base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != KEY_BYTES:
            raise InvalidKek(f"a KEK is {KEY_BYTES} bytes written as 64 hex digits or as base64")
        return cls(key)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Kek | None:
        """The KEK in ``TPW_CUSTODY_KEK``, or None when the variable is unset or empty."""
        text = (os.environ if environ is None else environ).get(KEK_ENV_VAR, "")
        return cls.parse(text) if text.strip() else None

    def derive(self, salt: bytes) -> bytes:
        """The wrapping key this KEK gives under `salt` (HKDF-SHA256, so one KEK may serve many stores)."""
        return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=salt, info=_KEK_HKDF_INFO).derive(
            self._secret
        )


Unlocker = Passphrase | Kek


@dataclass(frozen=True)
class _Kdf:
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
class _Header:
    """The parsed ``keystore.json``: everything needed to unwrap the data key, and the wrapped key."""

    store_id: bytes
    kdf: _Kdf
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


def _seal_data_key(data_key: bytes, store_id: bytes, kdf: _Kdf, unlocker: Unlocker) -> _Header:
    unsealed = _Header(
        store_id=store_id, kdf=kdf, wrap_nonce=secrets.token_bytes(NONCE_BYTES), wrapped_key=b""
    )
    aad = _DATA_KEY_AAD_LABEL + b"\x00" + canonical_json(unsealed.bound_fields())
    wrapped = AESGCM(kdf.wrapping_key(unlocker)).encrypt(unsealed.wrap_nonce, data_key, aad)
    return _Header(store_id=store_id, kdf=kdf, wrap_nonce=unsealed.wrap_nonce, wrapped_key=wrapped)


def _unseal_data_key(header: _Header, unlocker: Unlocker) -> bytes:
    aad = _DATA_KEY_AAD_LABEL + b"\x00" + canonical_json(header.bound_fields())
    try:
        return AESGCM(header.kdf.wrapping_key(unlocker)).decrypt(header.wrap_nonce, header.wrapped_key, aad)
    except InvalidTag:
        what = "passphrase" if isinstance(unlocker, Passphrase) else "KEK"
        raise WrongPassphrase(
            f"the {what} does not open this key store (wrong {what}, or its header was altered)"
        ) from None


def _new_kdf(unlocker: Unlocker, scrypt: ScryptParams, allow_weak_kdf: bool) -> _Kdf:
    salt = secrets.token_bytes(SALT_BYTES)
    if isinstance(unlocker, Kek):
        return _Kdf(name=_KEK_KDF, salt=salt, scrypt=None)
    scrypt.check_sane()
    if scrypt.is_weak() and not allow_weak_kdf:
        raise WeakKdfParameters(f"scrypt {scrypt} is below the minimum {MIN_SCRYPT}")
    if unlocker.char_count() < MIN_PASSPHRASE_CHARS:
        raise WeakPassphrase(f"a key-store passphrase has at least {MIN_PASSPHRASE_CHARS} characters")
    return _Kdf(name=_SCRYPT_KDF, salt=salt, scrypt=scrypt)


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


def _parse_header(raw: bytes, *, legacy: bool = False) -> _Header:
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
            "it once with `tpw-custody migrate-keystores` (custody.keystore_migrate)"
        )
    if fields["version"] != (LEGACY_FORMAT_VERSION if legacy else FORMAT_VERSION):
        raise KeyStoreCorrupt(f"unsupported key-store format version {fields['version']!r}")
    kdf_fields, key_fields = fields["kdf"], fields["data_key"]
    if not isinstance(kdf_fields, dict) or not isinstance(key_fields, dict):
        raise KeyStoreCorrupt("header fields 'kdf' and 'data_key' must be objects")
    if set(key_fields) != {"nonce", "sealed"}:
        raise KeyStoreCorrupt("header field 'data_key' does not have the expected fields")
    name = kdf_fields.get("name")
    if name == _SCRYPT_KDF and set(kdf_fields) == {"name", "salt", "n", "r", "p"}:
        params = ScryptParams(
            _int_field(kdf_fields, "n"), _int_field(kdf_fields, "r"), _int_field(kdf_fields, "p")
        )
        params.check_sane()
        kdf = _Kdf(name=name, salt=_hex_field(kdf_fields, "salt", SALT_BYTES), scrypt=params)
    elif name == _KEK_KDF and set(kdf_fields) == {"name", "salt"}:
        kdf = _Kdf(name=name, salt=_hex_field(kdf_fields, "salt", SALT_BYTES), scrypt=None)
    else:
        raise KeyStoreCorrupt("header field 'kdf' names no supported key derivation")
    return _Header(
        store_id=_hex_field(fields, "store_id", STORE_ID_BYTES),
        kdf=kdf,
        wrap_nonce=_hex_field(key_fields, "nonce", NONCE_BYTES),
        wrapped_key=_hex_field(key_fields, "sealed", KEY_BYTES + TAG_BYTES),
        version=fields["version"],
    )
