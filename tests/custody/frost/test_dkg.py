"""The DKG end to end: keys that sign, cheaters named, malformed rounds refused, confirmations compared."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custody.frost import (
    ConfirmationMismatch,
    InvalidIdentifier,
    InvalidParameters,
    InvalidProofOfKnowledge,
    InvalidSecretShare,
    MalformedPackage,
    N,
    Round1Package,
    SecretScalar,
    Signature,
    check_confirmations,
    dkg_part1,
    dkg_part2,
    dkg_part3,
    dkg_transcript,
    verify_signature,
)
from custody.frost.dkg import dkg_part1_from_coefficients
from custody.frost.group import Point
from tests.helpers.frost_signing import sign_with_key
from tests.helpers.frost_simulation import inbox, others, run_dkg


@given(data=st.data())
def test_dkg_keys_sign_with_any_t_participants(data):
    n = data.draw(st.integers(2, 5), label="n")
    t = data.draw(st.integers(2, n), label="t")
    identifiers = sorted(data.draw(st.lists(st.integers(1, 2**64), min_size=n, max_size=n, unique=True)))
    keys = run_dkg(identifiers, t)
    public_key_package = keys[identifiers[0]][1]
    assert all(public == public_key_package for _, public in keys.values())  # one public view for all
    assert sorted(public_key_package.verifying_shares) == identifiers
    assert public_key_package.min_signers == t
    key_packages = {i: key_package for i, (key_package, _) in keys.items()}
    signers = sorted(data.draw(st.lists(st.sampled_from(identifiers), min_size=t, max_size=t, unique=True)))
    signature = sign_with_key((key_packages, public_key_package), b"dkg key", signers)
    assert verify_signature(public_key_package.group_public_key, b"dkg key", signature)


def _round1(n: int = 3, t: int = 2):
    round1 = {i: dkg_part1(i, n, t) for i in range(1, n + 1)}
    return {i: s for i, (s, _) in round1.items()}, {i: p for i, (_, p) in round1.items()}


def test_a_forged_proof_of_knowledge_is_named():
    secrets, packages = _round1(4, 2)
    # participant 3 replaces its commitment (a rogue key) but cannot prove knowledge of its discrete log
    rogue = Round1Package(
        (Point.G * 5 - packages[1].commitment[0], *packages[3].commitment[1:]), packages[3].proof_of_knowledge
    )
    packages[3] = rogue
    # participant 4 replays participant 2's proof under its own identifier
    packages[4] = Round1Package(packages[2].commitment, packages[2].proof_of_knowledge)
    with pytest.raises(InvalidProofOfKnowledge) as raised:
        dkg_part2(secrets[1], others(packages, 1))
    assert raised.value.culprits == [3, 4]


def test_a_bad_secret_share_is_named_by_its_recipient():
    secrets, packages = _round1(4, 3)
    round2 = {i: dkg_part2(secrets[i], others(packages, i)) for i in secrets}
    sent = {i: dict(shares) for i, (_, shares) in round2.items()}
    sent[2][1] = SecretScalar((sent[2][1].value + 1) % N)
    sent[4][1] = sent[3][1]  # 4 forwards 3's share instead of its own
    with pytest.raises(InvalidSecretShare) as raised:
        dkg_part3(round2[1][0], others(packages, 1), inbox(sent, 1))
    assert raised.value.culprits == [2, 4]
    # the others got honest shares from everyone and finish
    for i in (2, 3, 4):
        dkg_part3(round2[i][0], others(packages, i), inbox(sent, i))


def test_missing_and_extra_shares_are_refused():
    secrets, packages = _round1()
    round2 = {i: dkg_part2(secrets[i], others(packages, i)) for i in secrets}
    received = inbox({i: shares for i, (_, shares) in round2.items()}, 1)
    with pytest.raises(MalformedPackage) as raised:
        dkg_part3(round2[1][0], others(packages, 1), {2: received[2]})
    assert raised.value.culprits == [3]
    with pytest.raises(InvalidIdentifier):
        dkg_part3(round2[1][0], others(packages, 1), {**received, 9: received[2]})


def test_part3_must_see_the_packages_part2_checked():
    secrets, packages = _round1()
    round2 = {i: dkg_part2(secrets[i], others(packages, i)) for i in secrets}
    received = inbox({i: shares for i, (_, shares) in round2.items()}, 1)
    _, swapped = dkg_part1(3, 3, 2)
    with pytest.raises(InvalidParameters):
        dkg_part3(round2[1][0], {**others(packages, 1), 3: swapped}, received)


def test_part2_checks_the_peer_set_and_commitment_sizes():
    secrets, packages = _round1(3, 2)
    with pytest.raises(InvalidParameters):
        dkg_part2(secrets[1], {2: packages[2]})  # one peer missing
    with pytest.raises(InvalidIdentifier):
        dkg_part2(secrets[1], packages)  # its own package among the peers'
    _, wide = dkg_part1(3, 3, 3)
    with pytest.raises(MalformedPackage) as raised:
        dkg_part2(secrets[1], {2: packages[2], 3: wide})
    assert raised.value.culprits == [3]


@pytest.mark.parametrize(("n", "t"), [(3, 1), (2, 3), (70000, 2)])
def test_part1_checks_signer_counts(n, t):
    with pytest.raises(InvalidParameters):
        dkg_part1(1, n, t)


def test_part1_checks_identifiers():
    with pytest.raises(InvalidIdentifier):
        dkg_part1(0, 3, 2)
    with pytest.raises(InvalidIdentifier):
        dkg_part1(N, 3, 2)


def test_confirmations_match_for_an_honest_run_and_catch_a_split_view():
    secrets, packages = _round1(3, 2)
    round2 = {i: dkg_part2(secrets[i], others(packages, i)) for i in secrets}
    sent = {i: shares for i, (_, shares) in round2.items()}
    keys = {i: dkg_part3(round2[i][0], others(packages, i), inbox(sent, i)) for i in secrets}
    confirm = {
        i: dkg_transcript(round2[i][0], others(packages, i), keys[i][1], b"session-1") for i in secrets
    }
    assert len(set(confirm.values())) == 1
    check_confirmations(confirm[1], confirm, [1, 2, 3])
    with pytest.raises(ConfirmationMismatch) as raised:
        check_confirmations(confirm[1], {1: confirm[1], 2: confirm[2]}, [1, 2, 3])
    assert raised.value.culprits == [3]
    other_session = dkg_transcript(round2[3][0], others(packages, 3), keys[3][1], b"session-2")
    with pytest.raises(ConfirmationMismatch) as raised:
        check_confirmations(confirm[1], {**confirm, 3: other_session}, [1, 2, 3])
    assert raised.value.culprits == [3]
    with pytest.raises(InvalidIdentifier):
        check_confirmations(confirm[1], {**confirm, 4: confirm[1]}, [1, 2, 3])


def test_transcript_depends_on_every_commitment():
    polynomials = {1: [11, 12], 2: [21, 22], 3: [31, 32]}
    round1 = {i: dkg_part1_from_coefficients(i, 3, c, proof_nonce=5) for i, c in polynomials.items()}
    packages = {i: p for i, (_, p) in round1.items()}
    round2 = {i: dkg_part2(round1[i][0], others(packages, i)) for i in polynomials}
    sent = {i: shares for i, (_, shares) in round2.items()}
    _, public = dkg_part3(round2[1][0], others(packages, 1), inbox(sent, 1))
    honest = dkg_transcript(round2[1][0], others(packages, 1), public, b"s")
    # a participant shown another commitment from 3 (same constant term, so the same group key)
    shown = Round1Package((packages[3].commitment[0], Point.G * 99), packages[3].proof_of_knowledge)
    assert dkg_transcript(round2[1][0], {**others(packages, 1), 3: shown}, public, b"s") != honest


def test_proofs_and_packages_survive_encoding():
    _, packages = _round1(3, 3)
    for package in packages.values():
        decoded = Round1Package.from_bytes(package.to_bytes())
        assert decoded == package
        assert len(package.to_bytes()) == 2 + 3 * 33 + 65
    tampered = bytearray(packages[1].to_bytes())
    tampered[-1] ^= 1
    proof = Round1Package.from_bytes(bytes(tampered))
    assert proof.proof_of_knowledge != packages[1].proof_of_knowledge
    assert isinstance(proof.proof_of_knowledge, Signature)


def test_secret_packages_hide_their_secrets():
    secrets, packages = _round1(3, 2)
    round2 = {i: dkg_part2(secrets[i], others(packages, i)) for i in secrets}
    for coefficient in secrets[1].coefficients:
        assert str(coefficient) not in repr(secrets[1])
        assert hex(coefficient)[2:] not in repr(secrets[1])
    assert str(round2[1][0].own_share) not in repr(round2[1][0])
    for share in round2[1][1].values():
        assert str(share.value) not in repr(share)
        assert hex(share.value)[2:] not in repr(share)
