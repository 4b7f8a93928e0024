"""Message and key types: exact encodings, strict decoding, consistency checks, secrets out of reprs."""

import pytest

from custody.frost import (
    EncodingError,
    FrostError,
    InconsistentKey,
    InvalidIdentifier,
    InvalidParameters,
    KeyPackage,
    N,
    Point,
    PublicKeyPackage,
    SecretScalar,
    Signature,
    SignatureShare,
    SigningCommitments,
    SigningPackage,
    errors,
    round1_commit,
    trusted_dealer_keygen,
)
from tests.helpers.frost_signing import fixed_key, sign_with_key


@pytest.fixture
def key():
    return fixed_key(1, min_signers=3, max_signers=5)


def test_key_package_round_trip_and_size(key):
    key_packages, _ = key
    for key_package in key_packages.values():
        encoded = key_package.to_bytes()
        assert len(encoded) == 132
        assert KeyPackage.from_bytes(encoded) == key_package


def test_public_key_package_round_trip(key):
    _, public = key
    assert PublicKeyPackage.from_bytes(public.to_bytes()) == public
    without_threshold = PublicKeyPackage(public.verifying_shares, public.group_public_key)
    assert PublicKeyPackage.from_bytes(without_threshold.to_bytes()) == without_threshold


def test_message_round_trips(key):
    key_packages, _ = key
    nonces, commitments = round1_commit(key_packages[2].signing_share)
    assert SigningCommitments.from_bytes(commitments.to_bytes()) == commitments
    package = SigningPackage({2: commitments, 1: round1_commit(key_packages[1].signing_share)[1]}, b"msg")
    assert SigningPackage.from_bytes(package.to_bytes()) == package
    assert SignatureShare.from_bytes(SignatureShare(N - 1).to_bytes()) == SignatureShare(N - 1)
    assert SecretScalar.from_bytes(SecretScalar(7).to_bytes()) == SecretScalar(7)
    signature = sign_with_key(key, b"msg")
    assert Signature.from_bytes(signature.to_bytes()) == signature
    assert nonces.commitments == commitments


def test_signature_onchain_form(key):
    signature = sign_with_key(key, b"\x11" * 32)
    rx, ry, z = signature.onchain()
    assert Point.from_xy(rx, ry) == signature.R
    assert z == signature.z
    assert signature.to_bytes()[:33] == signature.R.to_bytes()
    assert int.from_bytes(signature.to_bytes()[33:], "big") == z


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        (KeyPackage, b""),
        (SigningCommitments, bytes(66)),
        (SignatureShare, N.to_bytes(32, "big")),
        (SecretScalar, bytes(33)),
        (Signature, Point.G.to_bytes() + N.to_bytes(32, "big")),
        (Signature, bytes(65)),
        (SigningPackage, (1).to_bytes(2, "big") + bytes(32) + Point.G.to_bytes() * 2),  # identifier 0
    ],
    ids=["short-key", "identity-commitments", "share-n", "long-scalar", "z-n", "identity-r", "identifier-0"],
)
def test_decoding_rejects_malformed_input(kind, data):
    with pytest.raises(EncodingError):
        kind.from_bytes(data)


def test_decoding_rejects_trailing_bytes(key):
    key_packages, public = key
    for value in (key_packages[1], public, SignatureShare(5), sign_with_key(key, b"m")):
        with pytest.raises(EncodingError, match="trailing"):
            type(value).from_bytes(value.to_bytes() + b"\x00")


def test_public_key_package_rejects_duplicates(key):
    _, public = key
    encoded = bytearray(public.to_bytes())
    first_entry = 33 + 2 + 2
    second_entry = first_entry + 65
    encoded[second_entry : second_entry + 32] = encoded[first_entry : first_entry + 32]
    with pytest.raises(EncodingError, match="duplicate"):
        PublicKeyPackage.from_bytes(bytes(encoded))


def test_key_package_must_be_consistent(key):
    key_packages, _ = key
    k = key_packages[1]
    with pytest.raises(InconsistentKey):
        KeyPackage(1, (k.signing_share + 1) % N, k.verifying_share, k.group_public_key, 3)
    with pytest.raises(InvalidIdentifier):
        KeyPackage(0, k.signing_share, k.verifying_share, k.group_public_key, 3)
    with pytest.raises(InvalidParameters):
        KeyPackage(1, k.signing_share, k.verifying_share, k.group_public_key, 1)
    with pytest.raises(EncodingError):
        KeyPackage(1, k.signing_share, k.verifying_share, Point.IDENTITY, 3)
    with pytest.raises(EncodingError):
        KeyPackage(1, N, k.verifying_share, k.group_public_key, 3)


def test_public_key_package_validation(key):
    _, public = key
    with pytest.raises(InvalidParameters):
        PublicKeyPackage({}, public.group_public_key)
    with pytest.raises(InvalidParameters):
        PublicKeyPackage(public.verifying_shares, public.group_public_key, 6)
    with pytest.raises(EncodingError):
        PublicKeyPackage({1: Point.IDENTITY}, public.group_public_key)
    with pytest.raises(InvalidIdentifier):
        PublicKeyPackage({0: Point.G}, public.group_public_key)
    reordered = PublicKeyPackage(
        dict(reversed(list(public.verifying_shares.items()))), public.group_public_key, 3
    )
    assert list(reordered.verifying_shares) == [1, 2, 3, 4, 5]


def test_secrets_never_appear_in_reprs(key):
    key_packages, _ = key
    key_package = key_packages[4]
    nonces, _ = round1_commit(key_package.signing_share)
    shown = (
        repr(key_package) + str(key_package) + repr(nonces) + repr(SecretScalar(key_package.signing_share))
    )
    for secret in (key_package.signing_share, nonces.hiding, nonces.binding):
        assert str(secret) not in shown
        assert format(secret, "x") not in shown
        assert format(secret, "064x") not in shown


def test_errors_share_one_hierarchy_and_hide_values():
    for name in errors.__dict__:
        value = getattr(errors, name)
        if isinstance(value, type) and issubclass(value, Exception) and value.__module__ == errors.__name__:
            assert issubclass(value, FrostError)
    secret = 0xDEADBEEF_DEADBEEF
    with pytest.raises(EncodingError) as raised:
        SecretScalar(secret + N)
    assert format(secret + N, "x") not in str(raised.value)
    assert str(secret + N) not in str(raised.value)


@pytest.mark.parametrize(("n", "t"), [(3, 1), (3, 4), (1, 1), (0, 0), (70000, 2)])
def test_dealer_checks_signer_counts(n, t):
    with pytest.raises(InvalidParameters):
        trusted_dealer_keygen(n, t)


@pytest.mark.parametrize("secret", [0, N, -1])
def test_dealer_checks_a_given_secret(secret):
    with pytest.raises(FrostError):
        trusted_dealer_keygen(3, 2, secret=secret)


def test_dealer_with_a_given_secret():
    key_packages, public = trusted_dealer_keygen(4, 3, secret=123456789)
    assert public.group_public_key == Point.G * 123456789
    assert sorted(key_packages) == [1, 2, 3, 4]
    assert all(kp.group_public_key == public.group_public_key for kp in key_packages.values())
