"""Signing properties: any t of n sign, t-1 cannot, a tampered share is named and nothing is released."""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custody.frost import (
    EncodingError,
    InvalidCommitments,
    InvalidIdentifier,
    InvalidSignature,
    InvalidSignatureShare,
    N,
    PublicKeyPackage,
    SignatureShare,
    SigningPackage,
    aggregate,
    round1_commit,
    round2_sign,
    trusted_dealer_keygen,
    verify_signature,
    verify_signature_share,
)
from custody.frost.binding import derive_session
from custody.frost.signature import Signature
from tests.helpers.frost_signing import sign_with_key


def _signer_sets(data, max_n: int = 7):
    n = data.draw(st.integers(2, max_n), label="n")
    t = data.draw(st.integers(2, n), label="t")
    signers = data.draw(st.lists(st.integers(1, n), min_size=t, max_size=n, unique=True), label="signers")
    return n, t, sorted(signers)


def _round(key_packages, signers, message):
    round_one = {i: round1_commit(key_packages[i].signing_share) for i in signers}
    package = SigningPackage({i: c for i, (_, c) in round_one.items()}, message)
    return round_one, package


@given(data=st.data(), message=st.binary(max_size=64))
def test_any_t_of_n_sign_and_verify(data, message):
    n, t, signers = _signer_sets(data)
    key = trusted_dealer_keygen(n, t)
    signature = sign_with_key(key, message, signers)
    assert verify_signature(key[1].group_public_key, message, signature)
    assert not verify_signature(key[1].group_public_key, message + b"\x00", signature)


@given(data=st.data())
def test_fewer_than_t_shares_make_no_valid_signature(data):
    n = data.draw(st.integers(3, 6), label="n")
    t = data.draw(st.integers(3, n), label="t")
    key_packages, public_key_package = trusted_dealer_keygen(n, t)
    signers = sorted(data.draw(st.lists(st.integers(1, n), min_size=t - 1, max_size=t - 1, unique=True)))
    message = b"below threshold"
    round_one, package = _round(key_packages, signers, message)

    # honest signers refuse outright ...
    with pytest.raises(InvalidCommitments):
        round2_sign(package, round_one[signers[0]][0], key_packages[signers[0]])

    # ... signers that lie about the threshold are refused by an aggregator that knows it ...
    lowered = {i: dataclasses.replace(key_packages[i], min_signers=t - 1) for i in signers}
    shares = {i: round2_sign(package, round_one[i][0], lowered[i]) for i in signers}
    with pytest.raises(InvalidCommitments):
        aggregate(package, shares, public_key_package)

    # ... and even without that check their shares do not add up to a signature
    unknown_threshold = PublicKeyPackage(
        public_key_package.verifying_shares, public_key_package.group_public_key
    )
    with pytest.raises(InvalidSignature):
        aggregate(package, shares, unknown_threshold)
    session = derive_session(public_key_package.group_public_key, package)
    forged = Signature(session.group_commitment, sum(s.share for s in shares.values()) % N)
    assert not verify_signature(public_key_package.group_public_key, message, forged)


@given(data=st.data(), delta=st.integers(1, N - 1))
def test_tampered_shares_are_named_and_no_signature_is_released(data, delta):
    n, t, signers = _signer_sets(data, max_n=5)
    key_packages, public_key_package = trusted_dealer_keygen(n, t)
    round_one, package = _round(key_packages, signers, b"pay 100")
    shares = {i: round2_sign(package, round_one[i][0], key_packages[i]) for i in signers}
    cheaters = sorted(
        data.draw(st.lists(st.sampled_from(signers), min_size=1, unique=True), label="cheaters")
    )
    for i in cheaters:
        shares[i] = SignatureShare((shares[i].share + delta) % N)
    with pytest.raises(InvalidSignatureShare) as raised:
        aggregate(package, shares, public_key_package)
    assert raised.value.culprits == cheaters
    for i in signers:
        assert verify_signature_share(package, i, shares[i], public_key_package) == (i not in cheaters)


def test_colluding_offsets_are_still_caught():
    """Two cheaters whose errors cancel in the sum are still named: shares are checked one by one."""
    key_packages, public_key_package = trusted_dealer_keygen(3, 2)
    round_one, package = _round(key_packages, [1, 3], b"m")
    shares = {i: round2_sign(package, round_one[i][0], key_packages[i]) for i in (1, 3)}
    shares[1] = SignatureShare((shares[1].share + 5) % N)
    shares[3] = SignatureShare((shares[3].share - 5) % N)
    with pytest.raises(InvalidSignatureShare) as raised:
        aggregate(package, shares, public_key_package)
    assert raised.value.culprits == [1, 3]


def test_share_from_a_different_message_is_named():
    key_packages, public_key_package = trusted_dealer_keygen(3, 2)
    round_one, package = _round(key_packages, [1, 2], b"the real message")
    other = SigningPackage(package.commitments, b"another message")
    shares = {
        1: round2_sign(package, round_one[1][0], key_packages[1]),
        2: round2_sign(other, round_one[2][0], key_packages[2]),
    }
    with pytest.raises(InvalidSignatureShare) as raised:
        aggregate(package, shares, public_key_package)
    assert raised.value.culprits == [2]


def test_signer_refuses_a_package_without_its_commitments():
    key_packages, _ = trusted_dealer_keygen(3, 2)
    _, package = _round(key_packages, [1, 2], b"m")
    with pytest.raises(InvalidCommitments):
        round2_sign(package, round1_commit(key_packages[3].signing_share)[0], key_packages[3])


def test_signer_refuses_commitments_that_are_not_its_own():
    key_packages, _ = trusted_dealer_keygen(3, 2)
    _, package = _round(key_packages, [1, 2], b"m")
    other_nonces, _ = round1_commit(key_packages[1].signing_share)
    with pytest.raises(InvalidCommitments):
        round2_sign(package, other_nonces, key_packages[1])


def test_aggregate_requires_exactly_the_packages_signers():
    key_packages, public_key_package = trusted_dealer_keygen(3, 2)
    round_one, package = _round(key_packages, [1, 2], b"m")
    shares = {i: round2_sign(package, round_one[i][0], key_packages[i]) for i in (1, 2)}
    with pytest.raises(InvalidCommitments):
        aggregate(package, {1: shares[1]}, public_key_package)
    with pytest.raises(InvalidCommitments):
        aggregate(package, {**shares, 3: shares[1]}, public_key_package)
    other_key = trusted_dealer_keygen(2, 2)[1]
    stranger = PublicKeyPackage(
        {1: other_key.verifying_shares[1], 5: other_key.verifying_shares[2]}, other_key.group_public_key
    )
    with pytest.raises(InvalidIdentifier):
        aggregate(package, shares, stranger)


def test_aggregate_under_the_wrong_key_names_everyone():
    key_packages, _ = trusted_dealer_keygen(3, 2)
    _, wrong_public = trusted_dealer_keygen(3, 2)
    round_one, package = _round(key_packages, [2, 3], b"m")
    shares = {i: round2_sign(package, round_one[i][0], key_packages[i]) for i in (2, 3)}
    with pytest.raises(InvalidSignatureShare) as raised:
        aggregate(package, shares, wrong_public)
    assert raised.value.culprits == [2, 3]


def test_signing_package_is_order_independent():
    key_packages, _ = trusted_dealer_keygen(3, 2)
    commitments = {i: round1_commit(key_packages[i].signing_share)[1] for i in (3, 1)}
    forward = SigningPackage(commitments, b"m")
    backward = SigningPackage(dict(reversed(list(commitments.items()))), b"m")
    assert forward.participants == backward.participants == [1, 3]
    assert forward.encode_commitment_list() == backward.encode_commitment_list()


@pytest.mark.parametrize("identifier", [0, N, -1, True])
def test_signing_package_rejects_bad_identifiers(identifier):
    key_packages, _ = trusted_dealer_keygen(3, 2)
    commitments = round1_commit(key_packages[1].signing_share)[1]
    with pytest.raises(InvalidIdentifier):
        SigningPackage({identifier: commitments, 2: commitments}, b"m")


def test_signing_package_needs_commitments_and_bytes():
    with pytest.raises(InvalidCommitments):
        SigningPackage({}, b"m")
    key_packages, _ = trusted_dealer_keygen(3, 2)
    commitments = round1_commit(key_packages[1].signing_share)[1]
    with pytest.raises(InvalidCommitments):
        SigningPackage({1: commitments, 2: "not commitments"}, b"m")  # type: ignore[dict-item]
    with pytest.raises(EncodingError):
        SigningPackage({1: commitments}, "text")  # type: ignore[arg-type]


def test_round1_nonces_are_fresh_each_time():
    key_packages, _ = trusted_dealer_keygen(3, 2)
    first, second = round1_commit(key_packages[1].signing_share), round1_commit(key_packages[1].signing_share)
    assert first[1] != second[1]
    assert first[0].hiding != second[0].hiding
