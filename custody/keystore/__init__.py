"""Encrypted-at-rest storage for a signer node's secrets: named records sealed with AES-256-GCM.

A signer node keeps its FROST key packages (``share/<key_id>``) and its identity keys (``identity``) here; its
round-1 nonces it seals with the store's key (`KeyStore.seal`) and keeps in its state database, where storing
and consuming one commits in the same transaction as its session and policy bookkeeping. The store is
generic: it holds named records of bytes (or JSON); what a record means is the caller's business.

Layout of a store directory (0700; every file 0600)::

    keystore.json        header: format version, store id, KDF parameters, the wrapped data key
    manifest.seal        the sealed manifest: the write counter and each record's current version
    .lock                flock target that serialises writers across processes
    records/<name>.rec   one sealed record per file; "/" in a name becomes "~" in the file name

Keys (`header`, `unlock`). A random 256-bit *data key* seals the records. The header keeps it
wrapped (AES-256-GCM) under a *wrapping key* derived either from an operator passphrase with scrypt, or from
a 32-byte key-encryption key (KEK; 64 hex digits or base64, e.g. the output of ``openssl rand -hex 32``, read
from a file or the environment: `custody.node.settings`) through HKDF-SHA256. Unwrapping is the key check:
a wrong passphrase or KEK fails GCM authentication and raises `WrongPassphrase` at open, never a garbage
decrypt later. Changing the passphrase rewrites only the header; it does not rotate the data key, so a copy
of the old header still opens with the old passphrase.

scrypt cost: the default n=2**17, r=8, p=1 takes about 0.45 s and 128 MiB per open on the project's
two-core machine; the minimum accepted is n=2**15 (about 0.1 s, 32 MiB). Lower costs exist for tests only
and must be asked for with ``allow_weak_kdf=True``.

Records. Each write seals the content under a fresh random 96-bit nonce with associated data binding the
format version, this store's random id, the record's name and its version (the next number of a store-wide
write counter), so a record copied to another name or into another store fails authentication
(`TamperedRecord` naming the record) and is never overwritten by the failed read, and an older copy of a
record put back in place (restored from a backup) is refused (`RolledBackRecord`) because the sealed
manifest knows the current version (`manifest`). Values sealed for keeping elsewhere
(`KeyStore.seal`) are bound to name and store under another label, without a version (whoever keeps them
versions them). A random nonce per write or seal stays far inside AES-GCM's 2**32-messages-per-key bound
for any signer's lifetime of writes.

Format versions. Version 2 (records carry their version; the manifest) is the one written. A version 1 store
(records without versions, no manifest) is refused at open with `KeyStoreNeedsMigration`; migrate it once,
with the node stopped, by `custody.keystore.migrate.migrate_store` (``tpw-custody migrate-keystores``).

Durability. `KeyStore.put`, `KeyStore.delete`, `KeyStore.consume` and `KeyStore.change_unlocker` have taken
effect on disk when they return, and survive a crash of the process at any later point: writes go to a
temporary file in the same directory, are fsynced, renamed over the target with ``os.replace`` and the
directory is fsynced. A crash mid-write leaves the old value or the new one, never a torn record; leftover
temporary files are removed at the next open. `KeyStore.consume` removes a record durably *before* it
returns the content, so a nonce handed out once can never be handed out again, even after ``kill -9``.

Concurrency. One `KeyStore` object may be shared by threads (an internal lock), and several processes may
open the same store (every operation holds an exclusive ``flock`` on ``.lock``): `KeyStore.consume` hands a
record to exactly one caller.

Python cannot reliably wipe memory: `KeyStore.close` drops the data key's only reference, which is the most
this layer can do. Secrets never appear in reprs or exception messages; record names are not secret.

Modules: `format` (the format's constants), `unlock` (`Passphrase`, `Kek`, scrypt costs), `header` (the
wrapped data key), `records` (record names and files), `manifest` (record versions), `store` (`KeyStore`)
and `migrate` (version 1 to 2); the public names are imported from here.
"""

from custody.keystore.format import FORMAT_VERSION, HEADER_FILE
from custody.keystore.store import KeyStore
from custody.keystore.unlock import (
    DEFAULT_SCRYPT,
    KEK_ENV_VAR,
    MIN_PASSPHRASE_CHARS,
    MIN_SCRYPT,
    Kek,
    Passphrase,
    ScryptParams,
    Unlocker,
)

__all__ = [
    "DEFAULT_SCRYPT",
    "FORMAT_VERSION",
    "HEADER_FILE",
    "KEK_ENV_VAR",
    "MIN_PASSPHRASE_CHARS",
    "MIN_SCRYPT",
    "Kek",
    "KeyStore",
    "Passphrase",
    "ScryptParams",
    "Unlocker",
]
