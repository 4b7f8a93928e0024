"""The ZF crate's 2-of-3 DKG vector, reproduced byte for byte through dkg_part1 / part2 / part3.

The vector does not publish the proof-of-knowledge nonces, so our own proofs cannot be byte-equal; the
published proofs must verify under our challenge (same DST and preimage) and ours must verify too.
"""

from typing import Any

from custody.frost import Signature, dkg_part2, dkg_part3, verify_proof_of_knowledge
from custody.frost.dkg import Round1Package, dkg_part1_from_coefficients
from custody.frost.group import scalar_to_bytes
from tests.helpers.frost_simulation import inbox, others

IDENTIFIERS = [1, 2, 3]


def _participant(vector: dict[str, Any], identifier: int) -> dict[str, Any]:
    return vector["inputs"][str(identifier)]


def _round1(vector: dict[str, Any]):
    secrets, published, ours = {}, {}, {}
    for i in IDENTIFIERS:
        p = _participant(vector, i)
        coefficients = [int(p["signing_key"], 16), int(p["coefficient"], 16)]
        secrets[i], ours[i] = dkg_part1_from_coefficients(i, 3, coefficients, proof_nonce=1000 + i)
        proof = Signature.from_bytes(bytes.fromhex(p["proof_of_knowledge"]))
        published[i] = Round1Package(ours[i].commitment, proof)
    return secrets, published, ours


def test_commitments_and_proofs(dkg_vector):
    _, published, ours = _round1(dkg_vector)
    for i in IDENTIFIERS:
        p = _participant(dkg_vector, i)
        assert [point.to_bytes().hex() for point in ours[i].commitment] == p["vss_commitments"]
        assert verify_proof_of_knowledge(i, published[i])
        assert verify_proof_of_knowledge(i, ours[i])
        assert not verify_proof_of_knowledge(i % 3 + 1, published[i])  # the proof is bound to its sender
        assert Round1Package.from_bytes(published[i].to_bytes()) == published[i]


def test_round2_shares_and_final_keys(dkg_vector):
    secrets, published, _ = _round1(dkg_vector)
    round2 = {i: dkg_part2(secrets[i], others(published, i)) for i in IDENTIFIERS}
    for sender, (_, shares) in round2.items():
        for recipient, share in shares.items():
            assert (
                share.to_bytes().hex() == _participant(dkg_vector, recipient)["signing_shares"][str(sender)]
            )
    sent = {i: shares for i, (_, shares) in round2.items()}
    for i in IDENTIFIERS:
        key_package, public_key_package = dkg_part3(round2[i][0], others(published, i), inbox(sent, i))
        p = _participant(dkg_vector, i)
        assert scalar_to_bytes(key_package.signing_share).hex() == p["signing_share"]
        assert key_package.verifying_share.to_bytes().hex() == p["verifying_share"]
        assert key_package.group_public_key.to_bytes().hex() == dkg_vector["inputs"]["verifying_key"]
        assert {j: share.to_bytes().hex() for j, share in public_key_package.verifying_shares.items()} == {
            j: _participant(dkg_vector, j)["verifying_share"] for j in IDENTIFIERS
        }
