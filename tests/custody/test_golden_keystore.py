"""Golden key-store bytes: the header, sealed records, the manifest and a `KeyStore.seal` value.

A key store seals with fresh random salts and nonces and offers no seam to fix them, so these tests go the
other way round: they take the checked-in store `golden/keystore-v2` (and a sealed value made from it),
decrypt each file with the key schedule and associated data written out here literally, check the known
contents, and encrypt again with the file's own nonce, which must give the file's bytes exactly. A change
of a label, of a layout or of the header's JSON then fails here even if the store still reads its own files.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from custody.keystore import KeyStore
from custody.keystore_header import _parse_header
from custody.keystore_manifest import Manifest
from tests.custody.test_keystore_versions import GOLDEN, GOLDEN_KEK, GOLDEN_RECORDS, golden_copy
from tests.helpers.golden import golden_sample

STORE = GOLDEN / "keystore-v2"
SEALED_NAME = "nonce/golden-session"
SEALED_CONTENT = b"golden round-one nonces"


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def header_fields() -> dict[str, Any]:
    return dict(json.loads((STORE / "keystore.json").read_bytes()))


def data_key() -> tuple[bytes, bytes]:
    """(store id, data key) of the golden store, unwrapped by the format's documented key schedule."""
    fields = header_fields()
    kdf, wrapped = fields["kdf"], fields["data_key"]
    wrapping_key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=bytes.fromhex(kdf["salt"]),
        info=b"tpwallet-keystore/v1/kek-wrap",
    ).derive(bytes.fromhex("11" * 32))
    bound = {name: fields[name] for name in ("format", "version", "store_id", "kdf")}
    aad = b"tpwallet-keystore/v1/data-key\x00" + canonical(bound)
    nonce, sealed = bytes.fromhex(wrapped["nonce"]), bytes.fromhex(wrapped["sealed"])
    key = AESGCM(wrapping_key).decrypt(nonce, sealed, aad)
    assert AESGCM(wrapping_key).encrypt(nonce, key, aad) == sealed
    return bytes.fromhex(fields["store_id"]), key


def test_the_header_decodes_to_its_fields_and_encodes_to_the_same_bytes() -> None:
    raw = (STORE / "keystore.json").read_bytes()

    header = _parse_header(raw)

    assert header.version == 2
    assert header.kdf.name == "kek-hkdf-sha256"
    assert header.kdf.scrypt is None
    assert header.to_bytes() == raw
    assert raw == (json.dumps(header_fields(), indent=2, sort_keys=True) + "\n").encode()
    assert len(data_key()[1]) == 32


@pytest.mark.parametrize("name", sorted(GOLDEN_RECORDS))
def test_a_record_is_magic_version_nonce_and_aes_gcm_under_its_name(name: str) -> None:
    store_id, key = data_key()
    raw = (STORE / "records" / (name.replace("/", "~") + ".rec")).read_bytes()

    assert raw[:5] == b"TPWK\x02"
    version, nonce, sealed = raw[5:13], raw[13:25], raw[25:]
    aad = b"tpwallet-keystore/v2/record\x00" + store_id + b"\x00" + name.encode() + b"\x00" + version

    assert AESGCM(key).decrypt(nonce, sealed, aad) == GOLDEN_RECORDS[name]
    assert raw[:13] + nonce + AESGCM(key).encrypt(nonce, GOLDEN_RECORDS[name], aad) == raw


def test_the_manifest_is_magic_nonce_and_aes_gcm_of_its_canonical_bytes() -> None:
    store_id, key = data_key()
    raw = (STORE / "manifest.seal").read_bytes()

    assert raw[:5] == b"TPWM\x02"
    nonce, sealed = raw[5:17], raw[17:]
    aad = b"tpwallet-keystore/v2/manifest\x00" + store_id
    plain = AESGCM(key).decrypt(nonce, sealed, aad)

    manifest = Manifest.from_bytes(plain)
    assert {name for name, entry in manifest.records.items() if entry.live} == set(GOLDEN_RECORDS)
    assert manifest.to_bytes() == plain
    assert raw[:5] + nonce + AESGCM(key).encrypt(nonce, plain, aad) == raw


def test_a_sealed_value_is_golden(tmp_path: Path) -> None:
    """What `KeyStore.seal` returns (a signer node keeps its round-one nonces in its state database so)."""
    path = GOLDEN / "keystore-v2-sealed-value.bin"
    with KeyStore.open(golden_copy("keystore-v2", tmp_path / "store"), GOLDEN_KEK) as store:
        sealed_file = golden_sample(path, lambda: store.seal(SEALED_NAME, SEALED_CONTENT))
        assert store.unseal(SEALED_NAME, sealed_file) == SEALED_CONTENT

    store_id, key = data_key()
    assert sealed_file[:5] == b"TPWK\x01"
    nonce = sealed_file[5:17]
    aad = b"tpwallet-keystore/v1/sealed\x00" + store_id + b"\x00" + SEALED_NAME.encode()
    assert sealed_file[:5] + nonce + AESGCM(key).encrypt(nonce, SEALED_CONTENT, aad) == sealed_file
