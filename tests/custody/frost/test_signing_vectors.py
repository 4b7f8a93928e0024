"""The RFC 9591 FROST(secp256k1, SHA-256) vectors and the ZF crate's: every intermediate value, exactly."""

from typing import Any

from custody.frost import (
    Signature,
    SigningPackage,
    aggregate,
    keygen_from_coefficients,
    round2_sign,
    verify_signature,
)
from custody.frost.binding import binding_factor_inputs, compute_binding_factors
from custody.frost.commit import commit_with_randomness
from custody.frost.group import scalar_to_bytes
from custody.frost.vss import share_matches, vss_commit


def _hex_scalar(value: int) -> str:
    return scalar_to_bytes(value).hex()


def _group_key_hex(inputs: dict[str, Any]) -> str:
    return inputs.get("group_public_key") or inputs["verifying_key_key"]


def _run(vector: dict[str, Any]) -> dict[str, Any]:
    inputs = vector["inputs"]
    coefficients = [int(inputs["group_secret_key"], 16)] + [
        int(c, 16) for c in inputs["share_polynomial_coefficients"]
    ]
    key_packages, public_key_package = keygen_from_coefficients(
        coefficients, int(vector["config"]["MAX_PARTICIPANTS"])
    )
    round_one = {
        out["identifier"]: commit_with_randomness(
            key_packages[out["identifier"]].signing_share,
            bytes.fromhex(out["hiding_nonce_randomness"]),
            bytes.fromhex(out["binding_nonce_randomness"]),
        )
        for out in vector["round_one_outputs"]["outputs"]
    }
    package = SigningPackage({i: c for i, (_, c) in round_one.items()}, bytes.fromhex(inputs["message"]))
    shares = {i: round2_sign(package, nonces, key_packages[i]) for i, (nonces, _) in round_one.items()}
    return {
        "coefficients": coefficients,
        "key_packages": key_packages,
        "public_key_package": public_key_package,
        "round_one": round_one,
        "package": package,
        "shares": shares,
        "signature": aggregate(package, shares, public_key_package),
    }


def test_dealer_shares_and_group_key(signing_vector):
    run = _run(signing_vector)
    inputs = signing_vector["inputs"]
    assert run["public_key_package"].group_public_key.to_bytes().hex() == _group_key_hex(inputs)
    commitment = vss_commit(run["coefficients"])
    for expected in inputs["participant_shares"]:
        key_package = run["key_packages"][expected["identifier"]]
        assert _hex_scalar(key_package.signing_share) == expected["participant_share"]
        assert share_matches(key_package.signing_share, key_package.identifier, commitment)
    assert sorted(run["key_packages"]) == [1, 2, 3]
    assert inputs["participant_list"] == sorted(run["round_one"])


def test_round_one_nonces_and_commitments(signing_vector):
    run = _run(signing_vector)
    for expected in signing_vector["round_one_outputs"]["outputs"]:
        nonces, commitments = run["round_one"][expected["identifier"]]
        assert _hex_scalar(nonces.hiding) == expected["hiding_nonce"]
        assert _hex_scalar(nonces.binding) == expected["binding_nonce"]
        assert commitments.hiding.to_bytes().hex() == expected["hiding_nonce_commitment"]
        assert commitments.binding.to_bytes().hex() == expected["binding_nonce_commitment"]


def test_binding_factor_inputs_and_factors(signing_vector):
    run = _run(signing_vector)
    group_key = run["public_key_package"].group_public_key
    inputs = binding_factor_inputs(group_key, run["package"])
    factors = compute_binding_factors(group_key, run["package"])
    for expected in signing_vector["round_one_outputs"]["outputs"]:
        assert inputs[expected["identifier"]].hex() == expected["binding_factor_input"]
        assert _hex_scalar(factors[expected["identifier"]]) == expected["binding_factor"]


def test_signature_shares(signing_vector):
    run = _run(signing_vector)
    for expected in signing_vector["round_two_outputs"]["outputs"]:
        assert run["shares"][expected["identifier"]].to_bytes().hex() == expected["sig_share"]


def test_final_signature(signing_vector):
    run = _run(signing_vector)
    expected = bytes.fromhex(signing_vector["final_output"]["sig"])
    assert run["signature"].to_bytes() == expected
    assert Signature.from_bytes(expected) == run["signature"]
    group_key = run["public_key_package"].group_public_key
    assert verify_signature(group_key, run["package"].message, run["signature"])
    assert not verify_signature(group_key, run["package"].message + b"!", run["signature"])
