"""Golden encodings of FROST values (custody/frost) and of a node's stored-key record.

Key packages sit in every node's key store (inside the ``share/<key_id>`` record), public key packages name a
key version, and commitments, signature shares and signatures cross the wire between nodes and coordinator
of possibly different releases: their bytes must not change by accident. Everything here derives from fixed
seeds and fixed nonce randomness, so it is the same on every run.
"""

import json
from pathlib import Path

import pytest

from custody.frost import (
    KeyPackage,
    PublicKeyPackage,
    Signature,
    SignatureShare,
    SigningCommitments,
    SigningPackage,
    aggregate,
    round2_sign,
    verify_signature,
)
from custody.frost.commit import SigningNonces, commit_with_randomness
from custody.keystore import Kek, KeyStore
from custody.node.records.shares import StoredKey, save_key, share_record
from custody.protocol.ids import key_version
from tests.helpers.frost_signing import Key, fixed_key
from tests.helpers.golden import assert_golden

GOLDEN = Path(__file__).parent / "golden" / "frost"
SEED = 9591
MESSAGE = b"tpwallet golden message"
SIGNERS = (1, 3)


@pytest.fixture(scope="module")
def key() -> Key:
    return fixed_key(SEED)


def hex_file(data: bytes) -> bytes:
    """A golden file's content for binary `data`: one line of hex (reviewable in a diff)."""
    return data.hex().encode() + b"\n"


def from_hex_file(text: bytes) -> bytes:
    return bytes.fromhex(text.decode().strip())


def round_one(key: Key) -> dict[int, tuple[SigningNonces, SigningCommitments]]:
    """Round one of SIGNERS with fixed randomness (as the RFC 9591 test vectors do)."""
    return {
        identifier: commit_with_randomness(
            key[0][identifier].signing_share, bytes([identifier]) * 32, bytes([identifier + 100]) * 32
        )
        for identifier in SIGNERS
    }


@pytest.mark.parametrize("identifier", [1, 2, 3])
def test_key_package_bytes_are_golden(key: Key, identifier: int) -> None:
    package = key[0][identifier]

    stored = assert_golden(GOLDEN / f"key-package-{identifier}.hex", hex_file(package.to_bytes()))

    assert KeyPackage.from_bytes(from_hex_file(stored)) == package


def test_public_key_package_bytes_and_key_version_are_golden(key: Key) -> None:
    public = key[1]

    stored = assert_golden(GOLDEN / "public-key-package.hex", hex_file(public.to_bytes()))
    version = assert_golden(GOLDEN / "key-version.txt", key_version(public).encode() + b"\n")

    assert PublicKeyPackage.from_bytes(from_hex_file(stored)) == public
    assert key_version(PublicKeyPackage.from_bytes(from_hex_file(stored))) == version.decode().strip()


def test_signing_round_values_are_golden(key: Key) -> None:
    """Commitments, signature shares and the aggregated signature of one fixed signing session."""
    rounds = round_one(key)
    package = SigningPackage({i: commitments for i, (_, commitments) in rounds.items()}, MESSAGE)
    shares = {i: round2_sign(package, nonces, key[0][i]) for i, (nonces, _) in rounds.items()}
    signature = aggregate(package, shares, key[1])

    for identifier in SIGNERS:
        commitments = assert_golden(
            GOLDEN / f"commitments-{identifier}.hex", hex_file(rounds[identifier][1].to_bytes())
        )
        share = assert_golden(
            GOLDEN / f"signature-share-{identifier}.hex", hex_file(shares[identifier].to_bytes())
        )
        assert SigningCommitments.from_bytes(from_hex_file(commitments)) == rounds[identifier][1]
        assert SignatureShare.from_bytes(from_hex_file(share)) == shares[identifier]
    stored = assert_golden(GOLDEN / "signature.hex", hex_file(signature.to_bytes()))

    decoded = Signature.from_bytes(from_hex_file(stored))
    assert decoded == signature
    assert verify_signature(key[1].group_public_key, MESSAGE, decoded)


def test_stored_key_record_is_golden(key: Key, tmp_path: Path) -> None:
    """The content of key-store record ``share/<key_id>`` as `save_key` writes it into a real store."""
    stored_key = StoredKey("golden-key", key[0][2], key[1], "dkg-golden-session")
    with KeyStore.create(tmp_path / "keystore", Kek(bytes(32))) as store:
        save_key(store, stored_key, replace=False)
        written = store.get(share_record("golden-key"))

    record = assert_golden(GOLDEN / "stored-key.json", written)

    decoded = StoredKey.from_json(json.loads(record))
    assert decoded == stored_key
    assert decoded.version == key_version(key[1])
