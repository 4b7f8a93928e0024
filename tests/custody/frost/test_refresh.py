"""Refresh: same group key and threshold, new shares that sign, old and new shares that do not mix."""

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custody.frost import (
    ConfirmationMismatch,
    InconsistentKey,
    InvalidIdentifier,
    InvalidParameters,
    InvalidSecretShare,
    InvalidSignatureShare,
    N,
    RefreshPackage,
    SecretScalar,
    SigningPackage,
    aggregate,
    check_confirmations,
    refresh_part1,
    refresh_part2,
    refresh_part3,
    refresh_transcript,
    round1_commit,
    round2_sign,
    trusted_dealer_keygen,
    verify_signature,
)
from custody.frost.group import Point
from custody.frost.polynomial import lagrange_coefficient
from tests.helpers.frost_signing import sign_with_key
from tests.helpers.frost_simulation import Keys, inbox, others, run_dkg, run_refresh


def _dealer_keys(n: int, t: int) -> Keys:
    key_packages, public_key_package = trusted_dealer_keygen(n, t)
    return {i: (key_package, public_key_package) for i, key_package in key_packages.items()}


def _secret(keys: Keys, identifiers: list[int]) -> int:
    return sum(lagrange_coefficient(identifiers, i) * keys[i][0].signing_share for i in identifiers) % N


@given(data=st.data())
def test_refresh_keeps_the_key_and_changes_every_share(data):
    n = data.draw(st.integers(2, 5), label="n")
    t = data.draw(st.integers(2, n), label="t")
    keys = _dealer_keys(n, t)
    participants = sorted(data.draw(st.lists(st.integers(1, n), min_size=t, max_size=n, unique=True)))
    refreshed = run_refresh(keys, participants)
    public = refreshed[participants[0]][1]
    assert public.group_public_key == keys[1][1].group_public_key
    assert public.min_signers == t
    assert sorted(public.verifying_shares) == participants  # those left out are dropped
    for i in participants:
        assert refreshed[i][1] == public
        assert refreshed[i][0].signing_share != keys[i][0].signing_share
        assert refreshed[i][0].min_signers == t
    signers = sorted(data.draw(st.lists(st.sampled_from(participants), min_size=t, max_size=t, unique=True)))
    key_packages = {i: key_package for i, (key_package, _) in refreshed.items()}
    assert _secret(refreshed, signers) == _secret(keys, signers)
    signature = sign_with_key((key_packages, public), b"after refresh", signers)
    assert verify_signature(public.group_public_key, b"after refresh", signature)


def test_old_and_new_shares_do_not_mix():
    keys = run_dkg([1, 2, 3], 2)
    refreshed = run_refresh(keys, [1, 2, 3])
    mixed = [1, 2]
    assert _secret({1: keys[1], 2: refreshed[2]}, mixed) != _secret(keys, mixed)

    # signing with 1's old share against the refreshed public key package names 1
    key_packages = {1: keys[1][0], 2: refreshed[2][0]}
    round_one = {i: round1_commit(key_packages[i].signing_share) for i in mixed}
    package = SigningPackage({i: c for i, (_, c) in round_one.items()}, b"m")
    shares = {i: round2_sign(package, round_one[i][0], key_packages[i]) for i in mixed}
    with pytest.raises(InvalidSignatureShare) as raised:
        aggregate(package, shares, refreshed[1][1])
    assert raised.value.culprits == [1]
    with pytest.raises(InvalidSignatureShare) as raised:
        aggregate(package, shares, keys[1][1])
    assert raised.value.culprits == [2]


def test_a_cheating_zero_share_is_named():
    keys = _dealer_keys(4, 3)
    participants = [1, 2, 3, 4]
    round1 = {i: refresh_part1(keys[i][0], 4) for i in participants}
    packages = {i: p for i, (_, p) in round1.items()}
    round2 = {i: refresh_part2(round1[i][0], others(packages, i)) for i in participants}
    sent = {i: dict(shares) for i, (_, shares) in round2.items()}
    sent[3][2] = SecretScalar((sent[3][2].value + 1) % N)
    with pytest.raises(InvalidSecretShare) as raised:
        refresh_part3(round2[2][0], others(packages, 2), inbox(sent, 2), *keys[2])
    assert raised.value.culprits == [3]


def test_a_refresh_cannot_smuggle_in_a_new_constant_term():
    """A package's commitments are to a_1.. only: the constant term is forced to zero, so a sender who deals
    shares of a non-zero constant is caught by every recipient."""
    keys = _dealer_keys(3, 2)
    round1 = {i: refresh_part1(keys[i][0], 3) for i in (1, 2, 3)}
    packages = {i: p for i, (_, p) in round1.items()}
    round2 = {i: refresh_part2(round1[i][0], others(packages, i)) for i in (1, 2, 3)}
    sent = {i: dict(shares) for i, (_, shares) in round2.items()}
    sent[1] = {j: SecretScalar((share.value + 42) % N) for j, share in sent[1].items()}  # f_1 + 42
    for j in (2, 3):
        with pytest.raises(InvalidSecretShare) as raised:
            refresh_part3(round2[j][0], others(packages, j), inbox(sent, j), *keys[j])
        assert raised.value.culprits == [1]


def test_refresh_confirmations_detect_a_split_view():
    keys = _dealer_keys(3, 2)
    round1 = {i: refresh_part1(keys[i][0], 3) for i in (1, 2, 3)}
    packages = {i: p for i, (_, p) in round1.items()}
    round2 = {i: refresh_part2(round1[i][0], others(packages, i)) for i in (1, 2, 3)}
    sent = {i: shares for i, (_, shares) in round2.items()}
    new = {i: refresh_part3(round2[i][0], others(packages, i), inbox(sent, i), *keys[i]) for i in (1, 2, 3)}
    confirm = {i: refresh_transcript(round2[i][0], others(packages, i), new[i][1], b"r1") for i in (1, 2, 3)}
    check_confirmations(confirm[2], confirm, [1, 2, 3])
    forged = refresh_transcript(round2[3][0], others(packages, 3), keys[3][1], b"r1")  # the old package
    with pytest.raises(ConfirmationMismatch) as raised:
        check_confirmations(confirm[2], {**confirm, 3: forged}, [1, 2, 3])
    assert raised.value.culprits == [3]


def test_refresh_part3_checks_the_key_it_refreshes():
    keys = _dealer_keys(3, 2)
    other = _dealer_keys(3, 2)
    round1 = {i: refresh_part1(keys[i][0], 3) for i in (1, 2, 3)}
    packages = {i: p for i, (_, p) in round1.items()}
    round2 = {i: refresh_part2(round1[i][0], others(packages, i)) for i in (1, 2, 3)}
    received = inbox({i: shares for i, (_, shares) in round2.items()}, 1)
    with pytest.raises(InvalidIdentifier):
        refresh_part3(round2[1][0], others(packages, 1), received, keys[2][0], keys[2][1])
    with pytest.raises(InconsistentKey):
        refresh_part3(round2[1][0], others(packages, 1), received, keys[1][0], other[1][1])
    lowered = dataclasses.replace(keys[1][1], min_signers=3)
    with pytest.raises(InvalidParameters):
        refresh_part3(round2[1][0], others(packages, 1), received, keys[1][0], lowered)


def test_refresh_with_a_stranger_is_refused():
    keys = _dealer_keys(3, 2)
    stranger_key = _dealer_keys(4, 2)[4][0]
    round1 = {i: refresh_part1(keys[i][0], 3) for i in (1, 2)}
    round1[4] = refresh_part1(stranger_key, 3)
    packages = {i: p for i, (_, p) in round1.items()}
    round2 = {i: refresh_part2(round1[i][0], others(packages, i)) for i in round1}
    received = inbox({i: shares for i, (_, shares) in round2.items()}, 1)
    with pytest.raises(InvalidIdentifier):
        refresh_part3(round2[1][0], others(packages, 1), received, *keys[1])


def test_refresh_package_encoding():
    keys = _dealer_keys(5, 3)
    _, package = refresh_part1(keys[1][0], 5)
    assert len(package.commitment) == 2  # a_1, a_2 only
    assert RefreshPackage.from_bytes(package.to_bytes()) == package
    assert package.full_commitment()[0] == Point.IDENTITY
