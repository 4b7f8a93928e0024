"""The key store's on-disk format in constants: its name and version, field sizes, file names, and the magic
bytes and associated-data labels that bind each sealed value to what it is. Every module of the package
takes them from here, so one set of numbers is what the golden tests pin."""

from __future__ import annotations

from typing import Final

FORMAT_NAME: Final = "tpwallet-keystore"
FORMAT_VERSION: Final = 2
LEGACY_FORMAT_VERSION: Final = 1
"""Records without versions and no manifest: readable only by `custody.keystore.migrate`."""

KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
SALT_BYTES: Final = 16
STORE_ID_BYTES: Final = 16
TAG_BYTES: Final = 16

HEADER_FILE: Final = "keystore.json"
LOCK_FILE: Final = ".lock"
RECORDS_DIR: Final = "records"
RECORD_SUFFIX: Final = ".rec"
TMP_PREFIX: Final = ".tmp-"
"""Temporary files carry it, so that opening a store can sweep away those a crash left behind."""

RECORD_MAGIC: Final = b"TPWK" + bytes([FORMAT_VERSION])
LEGACY_RECORD_MAGIC: Final = b"TPWK" + bytes([LEGACY_FORMAT_VERSION])
SEALED_MAGIC: Final = LEGACY_RECORD_MAGIC
"""Values `KeyStore.seal` makes keep the version 1 layout: they live elsewhere, with their own versioning."""

RECORD_AAD_LABEL: Final = f"{FORMAT_NAME}/v{FORMAT_VERSION}/record".encode()
MANIFEST_AAD_LABEL: Final = f"{FORMAT_NAME}/v{FORMAT_VERSION}/manifest".encode()
LEGACY_RECORD_AAD_LABEL: Final = f"{FORMAT_NAME}/v1/record".encode()
# Labels that did not change with version 2 (the header's bound fields carry its version):
SEALED_AAD_LABEL: Final = f"{FORMAT_NAME}/v1/sealed".encode()
DATA_KEY_AAD_LABEL: Final = f"{FORMAT_NAME}/v1/data-key".encode()
KEK_HKDF_INFO: Final = f"{FORMAT_NAME}/v1/kek-wrap".encode()
