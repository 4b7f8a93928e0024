"""Tests of the sealed key store: round trips, unlock failures, tampering, permissions, crash safety."""

from __future__ import annotations

import base64
import json
import os
import random
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from custody.errors import (
    InsecurePermissions,
    InvalidKek,
    InvalidRecordName,
    KeyStoreClosed,
    KeyStoreCorrupt,
    KeyStoreExists,
    KeyStoreNotFound,
    RecordExists,
    RecordNotFound,
    TamperedRecord,
    WeakKdfParameters,
    WeakPassphrase,
    WrongPassphrase,
)
from custody.keystore import (
    DEFAULT_SCRYPT,
    HEADER_FILE,
    KEK_ENV_VAR,
    MIN_SCRYPT,
    Kek,
    KeyStore,
    Passphrase,
    ScryptParams,
)
from custody.keystore.format import RECORDS_DIR, TMP_PREFIX
from tests.helpers.threads import run_concurrently

REPO_ROOT = Path(__file__).resolve().parents[2]
FAST_SCRYPT = ScryptParams(n=2**10, r=8, p=1)  # tests only: production stores refuse this cost
PASSPHRASE = "operator passphrase for tests"
KEK_HEX = "11" * 16 + "22" * 16


def make_store(path: Path, passphrase: str = PASSPHRASE) -> KeyStore:
    return KeyStore.create(path, Passphrase(passphrase), scrypt=FAST_SCRYPT, allow_weak_kdf=True)


def open_store(path: Path, passphrase: str = PASSPHRASE) -> KeyStore:
    return KeyStore.open(path, Passphrase(passphrase), allow_weak_kdf=True)


def record_file(store_path: Path, name: str) -> Path:
    return store_path / RECORDS_DIR / (name.replace("/", "~") + ".rec")


def rewrite_header(store_path: Path, change: dict) -> None:
    header_path = store_path / HEADER_FILE
    header = json.loads(header_path.read_text())
    for dotted, value in change.items():
        target = header
        *parents, leaf = dotted.split(".")
        for key in parents:
            target = target[key]
        target[leaf] = value
    header_path.write_text(json.dumps(header))


def spawn_python(code: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """Run `code` in a child interpreter that imports the project from the repository root."""
    child_env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=child_env, stdout=subprocess.PIPE, text=True
    )


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "keystore"


@pytest.fixture
def store(store_path: Path):
    with make_store(store_path) as opened:
        yield opened


# -- round trips ----------------------------------------------------------------------------------------


def test_bytes_and_json_round_trip_across_reopen(store: KeyStore, store_path: Path) -> None:
    share = {"identifier": "01", "signing_share": "ab" * 32, "verifying_key": "02" + "cd" * 32}
    store.put("share/key-1", b"\x00\xffraw bytes")
    store.put_json("share/key-2", share)
    store.put("identity", b"")
    store.close()

    with open_store(store_path) as reopened:
        assert reopened.get("share/key-1") == b"\x00\xffraw bytes"
        assert reopened.get_json("share/key-2") == share
        assert reopened.get("identity") == b""
        assert reopened.list() == ["identity", "share/key-1", "share/key-2"]


def test_put_replaces_unless_told_not_to(store: KeyStore) -> None:
    store.put("nonce/s1", b"first")
    store.put("nonce/s1", b"second")
    assert store.get("nonce/s1") == b"second"

    with pytest.raises(RecordExists) as raised:
        store.put("nonce/s1", b"third", replace=False)
    assert raised.value.name == "nonce/s1"
    assert store.get("nonce/s1") == b"second"
    store.put("nonce/s2", b"new", replace=False)
    assert store.get("nonce/s2") == b"new"


def test_each_write_uses_a_fresh_nonce(store: KeyStore, store_path: Path) -> None:
    store.put("identity", b"same content")
    first = record_file(store_path, "identity").read_bytes()
    store.put("identity", b"same content")
    second = record_file(store_path, "identity").read_bytes()
    assert first != second
    assert first[5:17] != second[5:17]  # the 96-bit nonce after the 5-byte magic


def test_exists_delete_list(store: KeyStore) -> None:
    for name in ("nonce/a", "nonce/b", "share/k", "identity"):
        store.put(name, name.encode())
    assert store.list("nonce/") == ["nonce/a", "nonce/b"]
    assert store.list("share/") == ["share/k"]
    assert store.exists("nonce/a")

    store.delete("nonce/a")
    assert not store.exists("nonce/a")
    assert store.list("nonce/") == ["nonce/b"]
    with pytest.raises(RecordNotFound):
        store.delete("nonce/a")
    store.delete("nonce/a", missing_ok=True)
    with pytest.raises(RecordNotFound) as raised:
        store.get("nonce/a")
    assert raised.value.name == "nonce/a"


@pytest.mark.parametrize(
    "name", ["share/0x1f:abc=", "nonce/2f8e-aa_bb.c+d", "a", "x/y/z", "S" * 200, "k=v:w"]
)
def test_valid_names_map_to_files_and_back(store: KeyStore, name: str) -> None:
    store.put(name, b"v")
    assert store.list() == [name]
    assert store.get(name) == b"v"


@pytest.mark.parametrize(
    "name", ["", "/a", "a/", "a//b", ".hidden", "a/.b", "a~b", "a b", "../x", "é", "S" * 201, "a/-b", "a\x00"]
)
def test_invalid_names_are_refused(store: KeyStore, name: str) -> None:
    with pytest.raises(InvalidRecordName):
        store.put(name, b"v")
    with pytest.raises(InvalidRecordName):
        store.get(name)


def test_list_ignores_files_that_are_not_records(store: KeyStore, store_path: Path) -> None:
    store.put("share/k", b"v")
    (store_path / RECORDS_DIR / "notes.txt").write_text("operator scribbles")
    assert store.list() == ["share/k"]


# -- values sealed for keeping elsewhere ------------------------------------------------------------------


def test_a_sealed_value_opens_under_its_name_in_its_store_only(store: KeyStore, tmp_path: Path) -> None:
    sealed = store.seal("nonce/session-1", b"hiding and binding")
    assert b"hiding" not in sealed
    assert store.unseal("nonce/session-1", sealed) == b"hiding and binding"
    assert store.seal("nonce/session-1", b"hiding and binding") != sealed  # a fresh nonce each time
    with pytest.raises(TamperedRecord):
        store.unseal("nonce/session-2", sealed)  # moved to another session
    with pytest.raises(TamperedRecord):
        store.unseal("nonce/session-1", sealed[:-1] + bytes([sealed[-1] ^ 1]))
    with make_store(tmp_path / "other") as other, pytest.raises(TamperedRecord):
        other.unseal("nonce/session-1", sealed)
    assert store.list() == []  # sealing writes nothing


def test_a_sealed_value_is_not_a_record_and_a_record_is_not_a_sealed_value(
    store: KeyStore, store_path: Path
) -> None:
    record_file(store_path, "nonce/s").write_bytes(store.seal("nonce/s", b"x"))
    with pytest.raises(TamperedRecord):
        store.get("nonce/s")
    store.put("nonce/t", b"y")
    with pytest.raises(TamperedRecord):
        store.unseal("nonce/t", record_file(store_path, "nonce/t").read_bytes())


def test_sealing_needs_an_open_store(store_path: Path) -> None:
    store = make_store(store_path)
    sealed = store.seal("nonce/s", b"x")
    store.close()
    with pytest.raises(KeyStoreClosed):
        store.seal("nonce/s", b"x")
    with pytest.raises(KeyStoreClosed):
        store.unseal("nonce/s", sealed)


def test_a_records_stamp_changes_with_every_write(store: KeyStore) -> None:
    assert store.stamp("share/k") is None
    store.put("share/k", b"one")
    first = store.stamp("share/k")
    assert first is not None
    assert store.stamp("share/k") == first
    store.put("share/k", b"one")  # the same bytes, written again
    assert store.stamp("share/k") != first
    store.delete("share/k")
    assert store.stamp("share/k") is None


# -- consume --------------------------------------------------------------------------------------------


def test_consume_returns_once_then_fails(store: KeyStore, store_path: Path) -> None:
    store.put("nonce/session-7", b"round-one nonces")
    assert store.consume("nonce/session-7") == b"round-one nonces"
    assert not record_file(store_path, "nonce/session-7").exists()
    with pytest.raises(RecordNotFound):
        store.consume("nonce/session-7")


def test_consume_of_a_tampered_record_raises_and_keeps_it(store: KeyStore, store_path: Path) -> None:
    store.put("nonce/s", b"nonce bytes")
    path = record_file(store_path, "nonce/s")
    sealed = bytearray(path.read_bytes())
    sealed[-1] ^= 1
    path.write_bytes(bytes(sealed))
    with pytest.raises(TamperedRecord):
        store.consume("nonce/s")
    assert path.read_bytes() == bytes(sealed)


def test_consume_hands_each_record_to_exactly_one_thread(store: KeyStore) -> None:
    names = [f"nonce/s{i}" for i in range(40)]
    for name in names:
        store.put(name, name.encode())
    won: list[str] = []
    won_lock = threading.Lock()

    def race() -> None:
        for name in names:
            try:
                content = store.consume(name)
            except RecordNotFound:
                continue
            assert content == name.encode()
            with won_lock:
                won.append(name)

    run_concurrently(race, 4)
    assert sorted(won) == sorted(names)
    assert store.list() == []


CONSUMER = """
from custody.errors import RecordNotFound
from custody.keystore import Kek, KeyStore
store = KeyStore.open({path!r}, Kek.from_env())
for name in store.list("nonce/"):
    try:
        store.consume(name)
    except RecordNotFound:
        continue
    print(name, flush=True)
"""


def test_consume_hands_each_record_to_exactly_one_process(store_path: Path) -> None:
    kek = Kek.parse(KEK_HEX)
    with KeyStore.create(store_path, kek) as kek_store:
        names = [f"nonce/s{i:03}" for i in range(60)]
        for name in names:
            kek_store.put(name, b"n")
    children = [spawn_python(CONSUMER.format(path=str(store_path)), {KEK_ENV_VAR: KEK_HEX}) for _ in range(2)]
    outputs = [child.communicate(timeout=60)[0].split() for child in children]
    assert all(child.returncode == 0 for child in children)
    assert sorted(outputs[0] + outputs[1]) == names


# -- unlocking ------------------------------------------------------------------------------------------


def test_wrong_passphrase_is_refused_at_open(store: KeyStore, store_path: Path) -> None:
    store.put("share/k", b"v")
    with pytest.raises(WrongPassphrase, match="passphrase"):
        open_store(store_path, "not the operator passphrase")
    with pytest.raises(WrongPassphrase, match="not a KEK"):
        KeyStore.open(store_path, Kek.parse(KEK_HEX), allow_weak_kdf=True)


def test_kek_store_round_trip_and_wrong_kek(store_path: Path) -> None:
    kek = Kek.from_env({KEK_ENV_VAR: KEK_HEX})
    assert kek is not None
    with KeyStore.create(store_path, kek) as kek_store:
        assert kek_store.kdf_name == "kek-hkdf-sha256"
        kek_store.put("identity", b"ed25519 and x25519 keys")
    with KeyStore.open(store_path, Kek.parse(KEK_HEX)) as reopened:
        assert reopened.get("identity") == b"ed25519 and x25519 keys"
    with pytest.raises(WrongPassphrase, match="KEK"):
        KeyStore.open(store_path, Kek.parse("33" * 32))
    with pytest.raises(WrongPassphrase, match="not a passphrase"):
        KeyStore.open(store_path, Passphrase(PASSPHRASE))


def test_kek_spellings() -> None:
    raw = bytes(range(224, 256))  # base64 of these uses "+" and "/", so the URL-safe spelling differs
    spellings = [
        raw.hex(),
        raw.hex().upper(),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        f"  {raw.hex()}\n",
    ]
    keys = [Kek.parse(text) for text in spellings]
    assert all(key.derive(b"s" * 16) == Kek(raw).derive(b"s" * 16) for key in keys)
    assert Kek.from_env({}) is None
    assert Kek.from_env({KEK_ENV_VAR: " "}) is None


@pytest.mark.parametrize(
    "text", ["", "ab" * 31, "ab" * 33, "zz" * 32, base64.b64encode(bytes(31)).decode(), "not a key at all!"]
)
def test_malformed_kek_is_refused_without_echoing_it(text: str) -> None:
    with pytest.raises(InvalidKek) as raised:
        Kek.parse(text)
    if text.strip():
        assert text not in str(raised.value)


def test_kek_must_be_32_bytes() -> None:
    with pytest.raises(InvalidKek):
        Kek(bytes(16))


def test_weak_kdf_needs_explicit_permission(store_path: Path, tmp_path: Path) -> None:
    assert not DEFAULT_SCRYPT.is_weak()
    assert not MIN_SCRYPT.is_weak()
    assert DEFAULT_SCRYPT.n >= 2**15
    with pytest.raises(WeakKdfParameters):
        KeyStore.create(tmp_path / "weak", Passphrase(PASSPHRASE), scrypt=FAST_SCRYPT)
    make_store(store_path).close()
    with pytest.raises(WeakKdfParameters):
        KeyStore.open(store_path, Passphrase(PASSPHRASE))


def test_short_passphrase_is_refused(store_path: Path) -> None:
    with pytest.raises(WeakPassphrase):
        make_store(store_path, "short")
    assert not store_path.exists()


def test_change_unlocker_keeps_records(store: KeyStore, store_path: Path) -> None:
    store.put("share/k", b"share")
    store.change_unlocker(Kek.parse(KEK_HEX))
    store.put("nonce/after", b"n")
    store.close()
    with pytest.raises(WrongPassphrase):
        open_store(store_path)
    with KeyStore.open(store_path, Kek.parse(KEK_HEX)) as by_kek:
        assert by_kek.get("share/k") == b"share"
        by_kek.change_unlocker(Passphrase("a brand new passphrase"), scrypt=FAST_SCRYPT, allow_weak_kdf=True)
    with open_store(store_path, "a brand new passphrase") as by_passphrase:
        assert by_passphrase.get("nonce/after") == b"n"


# -- tampering ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("position", [0, 4, 5, 16, 17, -17, -1])
def test_tampered_record_is_named_and_left_alone(store: KeyStore, store_path: Path, position: int) -> None:
    store.put("share/k", b"the signing share")
    path = record_file(store_path, "share/k")
    sealed = bytearray(path.read_bytes())
    sealed[position] ^= 0x40
    path.write_bytes(bytes(sealed))

    with pytest.raises(TamperedRecord) as raised:
        store.get("share/k")
    assert raised.value.name == "share/k"
    assert "share/k" in str(raised.value)
    assert "signing share" not in str(raised.value)
    assert path.read_bytes() == bytes(sealed)
    assert store.verify() == ["share/k"]


def test_truncated_record_is_tampered(store: KeyStore, store_path: Path) -> None:
    store.put("share/k", b"v")
    path = record_file(store_path, "share/k")
    for length in (0, 5, 20, len(path.read_bytes()) - 1):
        path.write_bytes(path.read_bytes()[:length])
        with pytest.raises(TamperedRecord):
            store.get("share/k")
        store.put("share/k", b"v")


def test_swapped_records_are_refused(store: KeyStore, store_path: Path) -> None:
    store.put("share/alice", b"alice's share")
    store.put("share/bob", b"bob's share")
    alice, bob = record_file(store_path, "share/alice"), record_file(store_path, "share/bob")
    alice_bytes = alice.read_bytes()
    bob.write_bytes(alice_bytes)  # the name is associated data: the same ciphertext under another name fails

    with pytest.raises(TamperedRecord) as raised:
        store.get("share/bob")
    assert raised.value.name == "share/bob"
    assert store.get("share/alice") == b"alice's share"
    assert store.verify() == ["share/bob"]


def test_record_moved_from_another_store_is_refused(tmp_path: Path) -> None:
    kek = Kek.parse(KEK_HEX)
    with KeyStore.create(tmp_path / "a", kek) as first, KeyStore.create(tmp_path / "b", kek) as second:
        first.put("share/k", b"first store's share")
        second.put("share/k", b"second store's share")
        moved = record_file(tmp_path / "a", "share/k").read_bytes()
        record_file(tmp_path / "b", "share/k").write_bytes(moved)
        with pytest.raises(TamperedRecord):
            second.get("share/k")


@pytest.mark.parametrize(
    "change",
    [
        {"kdf.salt": "00" * 16},
        {"kdf.n": 2**11},
        {"store_id": "ff" * 16},
        {"data_key.nonce": "00" * 12},
        {"data_key.sealed": "00" * 48},
    ],
)
def test_altered_header_does_not_open(store: KeyStore, store_path: Path, change: dict) -> None:
    store.close()
    rewrite_header(store_path, change)
    with pytest.raises(WrongPassphrase):
        open_store(store_path)


@pytest.mark.parametrize(
    "change",
    [
        {"version": 3},
        {"format": "something-else"},
        {"kdf.name": "pbkdf2"},
        {"kdf.n": 2**40},
        {"kdf.n": 3000},
        {"kdf.r": 0},
        {"kdf.salt": "xyz"},
        {"store_id": "ab"},
        {"data_key.sealed": 5},
        {"extra": True},
    ],
)
def test_malformed_header_is_reported_as_corrupt(store: KeyStore, store_path: Path, change: dict) -> None:
    store.close()
    rewrite_header(store_path, change)
    with pytest.raises(KeyStoreCorrupt):
        open_store(store_path)


def test_unparseable_header_is_corrupt(store: KeyStore, store_path: Path) -> None:
    store.close()
    (store_path / HEADER_FILE).write_bytes(b"\x00not json")
    with pytest.raises(KeyStoreCorrupt):
        open_store(store_path)


# -- files on disk --------------------------------------------------------------------------------------


def test_files_are_private_even_under_a_permissive_umask(store_path: Path) -> None:
    previous = os.umask(0)
    try:
        with make_store(store_path) as created:
            created.put("share/k", b"v")
    finally:
        os.umask(previous)

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(store_path) == 0o700
    assert mode(store_path / RECORDS_DIR) == 0o700
    assert mode(store_path / HEADER_FILE) == 0o600
    assert mode(store_path / ".lock") == 0o600
    assert mode(record_file(store_path, "share/k")) == 0o600


@pytest.mark.parametrize(("relative", "mode"), [("", 0o750), (RECORDS_DIR, 0o701), (HEADER_FILE, 0o644)])
def test_open_refuses_files_others_can_reach(store_path: Path, relative: str, mode: int) -> None:
    make_store(store_path).close()
    (store_path / relative).chmod(mode)
    with pytest.raises(InsecurePermissions):
        open_store(store_path)


def test_create_refuses_a_non_empty_directory_and_open_a_missing_store(tmp_path: Path) -> None:
    (tmp_path / "occupied").mkdir()
    (tmp_path / "occupied" / "file").write_text("x")
    with pytest.raises(KeyStoreExists):
        make_store(tmp_path / "occupied")
    make_store(tmp_path / "store").close()
    with pytest.raises(KeyStoreExists):
        make_store(tmp_path / "store")
    with pytest.raises(KeyStoreNotFound):
        open_store(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    make_store(tmp_path / "empty").close()


def test_open_removes_temporaries_left_by_a_crash(store: KeyStore, store_path: Path) -> None:
    store.put("share/k", b"v")
    store.close()
    leftovers = [store_path / RECORDS_DIR / f"{TMP_PREFIX}deadbeef", store_path / f"{TMP_PREFIX}cafe"]
    for leftover in leftovers:
        leftover.write_bytes(b"half a record")
    with open_store(store_path) as reopened:
        assert not any(leftover.exists() for leftover in leftovers)
        assert reopened.list() == ["share/k"]


# -- secrets stay out of sight --------------------------------------------------------------------------


def test_reprs_hide_secrets(store: KeyStore) -> None:
    assert PASSPHRASE not in repr(Passphrase(PASSPHRASE))
    assert KEK_HEX not in repr(Kek.parse(KEK_HEX))
    assert "redacted" in repr(Kek.parse(KEK_HEX))
    store.put("share/k", b"SECRET-SHARE-BYTES")
    assert "SECRET" not in repr(store)
    assert "share" not in repr(store)


def test_closed_store_refuses_every_operation(store: KeyStore) -> None:
    store.put("share/k", b"v")
    store.close()
    store.close()
    assert "closed" in repr(store)
    for operation in (lambda: store.get("share/k"), lambda: store.list(), lambda: store.put("a", b"")):
        with pytest.raises(KeyStoreClosed):
            operation()


# -- crash safety ---------------------------------------------------------------------------------------

WRITER = """
import sys
from custody.keystore import Kek, KeyStore
store = KeyStore.open({path!r}, Kek.from_env())
counter = 0
while True:
    for name in {names!r}:
        counter += 1
        store.put(name, (f"{{name}}:{{counter}}:".encode()).ljust(400_000 + 9973 * (counter % 50), b"."))
        print(name, counter, flush=True)
"""


def expected_value(name: str, counter: int) -> bytes:
    return (f"{name}:{counter}:".encode()).ljust(400_000 + 9973 * (counter % 50), b".")


def test_kill_9_mid_write_leaves_old_or_new_value(store_path: Path) -> None:
    names = ["share/a", "share/b", "nonce/c"]
    with KeyStore.create(store_path, Kek.parse(KEK_HEX)) as created:
        for name in names:
            created.put(name, expected_value(name, 0))
    rng = random.Random(1234)
    acknowledged = dict.fromkeys(names, 0)
    for _ in range(6):
        child = spawn_python(WRITER.format(path=str(store_path), names=names), {KEK_ENV_VAR: KEK_HEX})
        assert child.stdout is not None
        for _ in range(rng.randrange(5, 40)):
            name, counter = child.stdout.readline().split()
            acknowledged[name] = int(counter)
        time.sleep(rng.uniform(0, 0.03))  # land the kill anywhere in a put, not just after a print
        child.send_signal(signal.SIGKILL)
        for line in child.stdout.read().splitlines():  # acknowledgements flushed before the kill landed
            name, counter = line.split()
            acknowledged[name] = int(counter)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL

        with KeyStore.open(store_path, Kek.parse(KEK_HEX)) as reopened:
            assert reopened.verify() == []
            assert reopened.list() == sorted(names)
            for name in names:
                value = reopened.get(name)
                stored_counter = int(value.split(b":")[1])
                assert value == expected_value(name, stored_counter)
                assert stored_counter >= acknowledged[name]  # an acknowledged put is never lost
        assert not [p for p in (store_path / RECORDS_DIR).iterdir() if p.name.startswith(TMP_PREFIX)]


def test_failed_write_keeps_the_old_value(
    store: KeyStore, store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.put("share/k", b"old")

    def crash(*args: object) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk gone"):
        store.put("share/k", b"new")
    monkeypatch.undo()
    assert store.get("share/k") == b"old"
    assert [p.name for p in (store_path / RECORDS_DIR).iterdir()] == ["share~k.rec"]


CONSUMER_UNTIL_KILLED = """
from custody.keystore import Kek, KeyStore
store = KeyStore.open({path!r}, Kek.from_env())
for name in store.list("nonce/"):
    store.consume(name)
    print(name, flush=True)
"""


def test_kill_9_never_leaves_a_consumed_nonce_behind(store_path: Path) -> None:
    with KeyStore.create(store_path, Kek.parse(KEK_HEX)) as created:
        for index in range(200):
            created.put(f"nonce/s{index:04}", os.urandom(64))
    child = spawn_python(CONSUMER_UNTIL_KILLED.format(path=str(store_path)), {KEK_ENV_VAR: KEK_HEX})
    assert child.stdout is not None
    consumed = [child.stdout.readline().strip() for _ in range(30)]
    child.send_signal(signal.SIGKILL)
    consumed += child.stdout.read().split()
    child.wait(timeout=30)

    with KeyStore.open(store_path, Kek.parse(KEK_HEX)) as reopened:
        remaining = set(reopened.list("nonce/"))
        assert not remaining & set(consumed)
        assert len(remaining) + len(consumed) <= 200
        assert reopened.verify() == []
