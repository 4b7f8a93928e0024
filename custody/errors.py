"""Exceptions raised by the custody package (key store, audit log); the FROST protocol has its own.

One hierarchy so that `api/` can map custody failures to problem responses in one place. Messages name
records, files and reasons, never secret material: a record's *name* is not secret, its content is.
"""


class CustodyError(Exception):
    """Base of every error the custody package raises on purpose."""


class KeyStoreError(CustodyError):
    """A key-store operation failed."""


class KeyStoreNotFound(KeyStoreError):
    """No key store exists at the given path."""


class KeyStoreExists(KeyStoreError):
    """A key store (or some other file) already exists where one was to be created."""


class KeyStoreCorrupt(KeyStoreError):
    """The key-store header is unreadable, malformed or of an unsupported format version."""


class KeyStoreClosed(KeyStoreError):
    """The key store was closed; its data key is gone from memory."""


class InsecurePermissions(KeyStoreError):
    """A key-store file or directory is readable or writable by users other than its owner."""


class KeyStoreNeedsMigration(KeyStoreError):
    """The key store has an older format version; it opens after a one-off migration."""


class WeakPassphrase(KeyStoreError):
    """A new passphrase is too short to protect the shares it would seal."""


class WeakKdfParameters(KeyStoreError):
    """The scrypt cost parameters are below the production minimum (allowed only in tests)."""


class InvalidKek(KeyStoreError):
    """A key-encryption key is not 32 bytes of hex or base64 (its value is never echoed)."""


class WrongPassphrase(KeyStoreError):
    """The passphrase or KEK does not open this key store.

    A header whose salt or cost parameters were altered looks the same as a wrong passphrase: both derive a
    key that fails to unwrap the data key, and nothing unkeyed can tell the two apart.
    """


class InvalidRecordName(KeyStoreError):
    """A record name is empty, too long or uses characters outside the allowed set."""


class RecordNotFound(KeyStoreError):
    """No record of this name exists (or it was already consumed)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no key-store record named {name!r}")
        self.name = name


class RecordExists(KeyStoreError):
    """A create-only write found a record of this name already present."""

    def __init__(self, name: str) -> None:
        super().__init__(f"key-store record {name!r} already exists")
        self.name = name


class TamperedRecord(KeyStoreError):
    """A record failed authentication: altered, truncated, or moved from another name or store."""

    def __init__(self, name: str, reason: str = "authentication failed") -> None:
        super().__init__(f"key-store record {name!r} is tampered or corrupt: {reason}")
        self.name = name


class AuditError(CustodyError):
    """An audit-log operation failed."""


class InvalidAuditRecord(AuditError):
    """An audit record to append has a field of the wrong type or value (e.g. a float in details)."""


class AuditLogCorrupt(AuditError):
    """The log's last record is torn or fails its own hash, so nothing can be chained after it."""
