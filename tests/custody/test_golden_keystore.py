"""Golden key-store bytes: the header, sealed records, the manifest and a `KeyStore.seal` value.

A key store seals with fresh random salts and nonces and offers no seam to fix them, so these tests go the
other way round: they take the checked-in store `golden/keystore-v2` (and a sealed value made from it),
decrypt each file with the key schedule and associated data written out here literally, check the known
contents, and encrypt again with the file's own nonce, which must give the file's bytes exactly; a record
the store writes today must open the same way. A change of a label, of a layout or of the header's JSON then
fails here even if the store still reads its own files.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from custody.keystore import KeyStore
from custody.keystore.header import parse_header
from custody.keystore.manifest import Manifest
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

    header = parse_header(raw)

    assert header.version == 2
    assert header.kdf.name == "kek-hkdf-sha256"
    assert header.kdf.scrypt is None
    assert header.to_bytes() == raw
    assert raw == (json.dumps(header_fields(), indent=2, sort_keys=True) + "\n").encode()
    assert len(data_key()[1]) == 32


def open_record(raw: bytes, name: str) -> bytes:
    """The content of record file `raw` of record `name` in the golden store: magic, 8-byte version, nonce,
    AES-GCM under the data key with the record's name and version as associated data. Encrypting the
    content again with the file's nonce must give the file."""
    store_id, key = data_key()
    assert raw[:5] == b"TPWK\x02"
    version, nonce, sealed = raw[5:13], raw[13:25], raw[25:]
    aad = b"tpwallet-keystore/v2/record\x00" + store_id + b"\x00" + name.encode() + b"\x00" + version
    content = AESGCM(key).decrypt(nonce, sealed, aad)
    assert raw[:13] + nonce + AESGCM(key).encrypt(nonce, content, aad) == raw
    return content


def open_manifest(raw: bytes) -> Manifest:
    """The manifest in file `raw`: magic, nonce, AES-GCM of its canonical bytes bound to the store id."""
    store_id, key = data_key()
    assert raw[:5] == b"TPWM\x02"
    nonce, sealed = raw[5:17], raw[17:]
    aad = b"tpwallet-keystore/v2/manifest\x00" + store_id
    plain = AESGCM(key).decrypt(nonce, sealed, aad)
    assert raw[:5] + nonce + AESGCM(key).encrypt(nonce, plain, aad) == raw
    manifest = Manifest.from_bytes(plain)
    assert manifest.to_bytes() == plain
    return manifest


def live_names(manifest: Manifest) -> set[str]:
    return {name for name, entry in manifest.records.items() if entry.live}


@pytest.mark.parametrize("name", sorted(GOLDEN_RECORDS))
def test_a_golden_record_decodes_to_its_content(name: str) -> None:
    raw = (STORE / "records" / (name.replace("/", "~") + ".rec")).read_bytes()

    assert open_record(raw, name) == GOLDEN_RECORDS[name]


def test_the_golden_manifest_decodes_to_its_records() -> None:
    assert live_names(open_manifest((STORE / "manifest.seal").read_bytes())) == set(GOLDEN_RECORDS)


def test_records_and_manifest_written_today_have_the_golden_layout(tmp_path: Path) -> None:
    """The writer, not only the reader: a record put into the golden store now opens the golden way."""
    root = golden_copy("keystore-v2", tmp_path / "store")
    with KeyStore.open(root, GOLDEN_KEK) as store:
        store.put("share/written-today", b"new share bytes")

    assert open_record(
        (root / "records" / "share~written-today.rec").read_bytes(), "share/written-today"
    ) == (b"new share bytes")
    assert live_names(open_manifest((root / "manifest.seal").read_bytes())) == {
        *GOLDEN_RECORDS,
        "share/written-today",
    }


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
