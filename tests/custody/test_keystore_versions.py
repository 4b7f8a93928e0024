"""Record versions in the key store: an older copy of a record put back is refused, a crash between a record
and its manifest is not mistaken for one, and stores of format version 1 (golden copies) migrate."""

import shutil
from pathlib import Path

import pytest

from custody.errors import KeyStoreNeedsMigration, RecordNotFound, TamperedRecord
from custody.keystore import MIN_SCRYPT, Kek, KeyStore, Passphrase
from custody.keystore.manifest import MANIFEST_FILE, RolledBackRecord
from custody.keystore.migrate import format_version, migrate_store

GOLDEN = Path(__file__).parent / "golden"
GOLDEN_KEK = Kek(bytes.fromhex("11" * 32))
GOLDEN_RECORDS = {
    "dkg/session-1": b'{"n":3,"phase":"finished"}',
    "identity": bytes(range(64)),
    "share/golden": b"golden share bytes",
}


def golden_copy(name: str, target: Path) -> Path:
    """A private copy of a checked-in store (git keeps no file modes; a store insists on 0700/0600)."""
    shutil.copytree(GOLDEN / name, target)
    for path in [target, *target.rglob("*")]:
        path.chmod(0o700 if path.is_dir() else 0o600)
    return target


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    return KeyStore.create(tmp_path / "keystore", Passphrase("a long test passphrase"), scrypt=MIN_SCRYPT)


def record_path(store: KeyStore, name: str) -> Path:
    return store.path / "records" / (name.replace("/", "~") + ".rec")


def test_an_old_copy_of_a_record_restored_from_a_backup_is_refused(store: KeyStore) -> None:
    store.put("share/treasury", b"share before the refresh")
    backup = record_path(store, "share/treasury").read_bytes()
    store.put("share/treasury", b"share after the refresh")

    record_path(store, "share/treasury").write_bytes(backup)

    with pytest.raises(RolledBackRecord) as refusal:
        store.get("share/treasury")
    assert "'share/treasury'" in str(refusal.value)
    assert "version 1 but the current one is version 2" in str(refusal.value)
    assert "restored from a backup" in str(refusal.value)
    assert store.verify() == ["share/treasury"]


def test_a_deleted_record_put_back_is_refused(store: KeyStore) -> None:
    store.put("nonce/session-1", b"a nonce, used once")
    backup = record_path(store, "nonce/session-1").read_bytes()
    assert store.consume("nonce/session-1") == b"a nonce, used once"

    record_path(store, "nonce/session-1").write_bytes(backup)

    with pytest.raises(RolledBackRecord, match="was deleted"):
        store.consume("nonce/session-1")


def test_a_record_cannot_claim_another_version(store: KeyStore) -> None:
    store.put("identity", b"keys")
    path = record_path(store, "identity")
    sealed = bytearray(path.read_bytes())
    sealed[5 + 7] += 1  # the version field (after the 5-byte magic), without the data key to reseal

    path.write_bytes(bytes(sealed))

    with pytest.raises(TamperedRecord, match="authentication failed"):
        store.get("identity")


def test_a_write_whose_manifest_update_a_crash_cut_off_still_reads(store: KeyStore) -> None:
    store.put("share/a", b"first")
    manifest_before = (store.path / MANIFEST_FILE).read_bytes()
    store.put("share/b", b"written, then the process died")
    (store.path / MANIFEST_FILE).write_bytes(manifest_before)  # as if the manifest write never happened
    store.close()

    with KeyStore.open(store.path, Passphrase("a long test passphrase")) as reopened:
        assert reopened.get("share/b") == b"written, then the process died"
        assert reopened.get("share/a") == b"first"
        reopened.put("share/a", b"second")
        assert reopened.get("share/a") == b"second"


def test_a_golden_version_2_store_still_opens_and_reads(tmp_path: Path) -> None:
    root = golden_copy("keystore-v2", tmp_path / "v2")

    with KeyStore.open(root, GOLDEN_KEK) as store:
        assert {name: store.get(name) for name in store.list()} == GOLDEN_RECORDS
        with pytest.raises(RecordNotFound):
            store.get("share/deleted")


def test_a_golden_version_1_store_is_refused_until_migrated(tmp_path: Path) -> None:
    root = golden_copy("keystore-v1", tmp_path / "v1")

    with pytest.raises(KeyStoreNeedsMigration, match="migrate-keystores"):
        KeyStore.open(root, GOLDEN_KEK)
    assert migrate_store(root, GOLDEN_KEK) == len(GOLDEN_RECORDS)

    assert format_version(root) == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == ["v1"]  # nothing left aside
    with KeyStore.open(root, GOLDEN_KEK) as store:
        assert {name: store.get(name) for name in store.list()} == GOLDEN_RECORDS
        store.put("share/golden", b"after the migration")
    assert migrate_store(root, GOLDEN_KEK) == 0


def test_a_version_1_record_copied_into_a_migrated_store_is_refused(tmp_path: Path) -> None:
    old = golden_copy("keystore-v1", tmp_path / "old")
    root = golden_copy("keystore-v1", tmp_path / "v1")
    migrate_store(root, GOLDEN_KEK)

    shutil.copy(old / "records" / "share~golden.rec", root / "records" / "share~golden.rec")

    with KeyStore.open(root, GOLDEN_KEK) as store, pytest.raises(TamperedRecord, match="format version 1"):
        store.get("share/golden")


def test_a_migration_cut_between_its_renames_resumes(tmp_path: Path) -> None:
    root = golden_copy("keystore-v1", tmp_path / "v1")
    root.rename(tmp_path / ".v1.v1")  # the old store renamed aside, the new one not yet in place

    assert migrate_store(root, GOLDEN_KEK) == len(GOLDEN_RECORDS)
    with KeyStore.open(root, GOLDEN_KEK) as store:
        assert store.get("share/golden") == b"golden share bytes"
