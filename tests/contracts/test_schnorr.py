"""The schnorr Vyper module, through `contracts/testing/SchnorrHarness.vy`, against `custody.frost`.

Real t-of-n FROST signatures verify on chain (so the on-chain challenge agrees with the Python one), and every
tampered or malformed input is refused: by False for a well-formed signature that does not verify, by a
revert with its reason for input no signature can have.
"""

import dataclasses
from typing import Any

import ape
import pytest
from ape.exceptions import ContractLogicError
from hypothesis import given
from hypothesis import strategies as st

from custody.frost import N, Point, Signature
from tests.helpers.frost_signing import fixed_key, sign_digest, sign_with_key

pytestmark = pytest.mark.chain

P = 2**256 - 2**32 - 977  # the secp256k1 field prime
DIGEST = bytes.fromhex("c0ffee" * 10 + "beef")
# ARCHITECTURE.md's cost target for one verification, in execution gas (transaction gas less the 21,000
# base and the calldata); the contracts that verify custody signatures are priced on it.
VERIFY_GAS_BUDGET = 5_600
TRANSACTION_BASE_GAS = 21_000

Z_RANGE = "schnorr: z is not in [1, n)"
R_OFF_CURVE = "schnorr: R is not on the curve"
KEY_X_RANGE = "schnorr: group key x is not in [1, n)"
KEY_PARITY = "schnorr: group key parity is not 0 or 1"
KEY_OFF_CURVE = "schnorr: group key is not on the curve"


@dataclasses.dataclass(frozen=True)
class Signed:
    """A digest, a group key and a signature, as the verifier's arguments."""

    pk_x: int
    pk_y_parity: int
    digest: bytes
    rx: int
    ry: int
    z: int

    @classmethod
    def of(cls, group_key: Point, digest: bytes, signature: Signature) -> "Signed":
        rx, ry, z = signature.onchain()
        return cls(group_key.x, group_key.y & 1, digest, rx, ry, z)

    def args(self) -> tuple[int, int, bytes, int, int, int]:
        return self.pk_x, self.pk_y_parity, self.digest, self.rx, self.ry, self.z


def outcome(harness: Any, signed: Signed) -> bool | str:
    """What the verifier answers: True, False, or the reason it reverted with."""
    try:
        return bool(harness.verify(*signed.args()))
    except ContractLogicError as err:
        return str(err.revert_message)


def flip_bit(value: int, bit: int) -> int:
    return value ^ (1 << bit)


def flip_digest_bit(digest: bytes, bit: int) -> bytes:
    return flip_bit(int.from_bytes(digest, "big"), bit).to_bytes(32, "big")


# A representative sweep instead of all 256 bits (each flip is a call): one bit in every other byte, each
# bit position within a byte twice, the top and bottom bytes included.
SWEPT_BITS = [16 * index + index % 8 for index in range(16)] + [255]
# R's flips all revert, which costs a test more time per call: eight bits, spread over the word and over the
# bit positions within a byte.
R_SWEPT_BITS = [37 * index for index in range(7)] + [255]


def y_on_curve(x: int) -> int | None:
    """An even y with y^2 = x^3 + 7 (mod p), or None when x is no point's x-coordinate."""
    rhs = (pow(x, 3, P) + 7) % P
    y = pow(rhs, (P + 1) // 4, P)  # p = 3 mod 4: this is the square root when one exists
    if y * y % P != rhs:
        return None
    return y if y % 2 == 0 else P - y


def x_on_curve(y: int) -> int:
    """An x with x^3 = y^2 - 7 (mod p). 3 divides p - 1 exactly once, so a cube root is a power."""
    cofactor = (P - 1) // 3
    rhs = (y * y - 7) % P
    assert pow(rhs, cofactor, P) == 1, "y^2 - 7 is no cube mod p"
    return pow(rhs, pow(3, -1, cofactor), P)


@pytest.fixture(scope="module")
def signed() -> Signed:
    group_key, signature = sign_digest(DIGEST)
    return Signed.of(group_key, DIGEST, signature)


@pytest.mark.parametrize(("signers", "of"), [(2, 3), (3, 5), (4, 4)])
def test_accepts_threshold_signatures_from_custody_frost(schnorr_harness: Any, signers: int, of: int) -> None:
    group_key, signature = sign_digest(DIGEST, signers=signers, of=of)
    assert schnorr_harness.verify(*Signed.of(group_key, DIGEST, signature).args()) is True


@given(seed=st.integers(0, 2**32), digest=st.binary(min_size=32, max_size=32))
def test_random_keys_and_digests_verify_with_the_custody_challenge(
    schnorr_harness: Any, seed: int, digest: bytes
) -> None:
    key = fixed_key(seed)
    group_key = key[1].group_public_key
    signature = sign_with_key(key, digest)
    signed = Signed.of(group_key, digest, signature)
    assert schnorr_harness.verify(*signed.args()) is True


@pytest.mark.parametrize("parity", [0, 1])
def test_keys_of_either_y_parity_verify(schnorr_harness: Any, parity: int) -> None:
    """enc(PK) and ecrecover's v both follow the key's parity; both branches must be right."""
    keys = (fixed_key(seed) for seed in range(64))
    key = next(key for key in keys if key[1].group_public_key.y % 2 == parity)
    group_key = key[1].group_public_key
    signed = Signed.of(group_key, DIGEST, sign_with_key(key, DIGEST))
    assert signed.pk_y_parity == parity
    assert schnorr_harness.verify(*signed.args()) is True


def test_a_signature_is_valid_for_its_own_digest_only(schnorr_harness: Any, signed: Signed) -> None:
    assert schnorr_harness.verify(*signed.args()) is True
    group_key, other = sign_digest(bytes(32))
    assert schnorr_harness.verify(*dataclasses.replace(signed, digest=bytes(32)).args()) is False
    assert schnorr_harness.verify(*Signed.of(group_key, bytes(32), other).args()) is True


@pytest.mark.parametrize("bit", SWEPT_BITS)
def test_a_flipped_bit_of_z_digest_or_key_is_refused(schnorr_harness: Any, signed: Signed, bit: int) -> None:
    # another z: out of range when a high bit pushes it past n, otherwise simply wrong
    flipped_z = dataclasses.replace(signed, z=flip_bit(signed.z, bit))
    assert outcome(schnorr_harness, flipped_z) in (False, Z_RANGE)
    flipped_digest = dataclasses.replace(signed, digest=flip_digest_bit(signed.digest, bit))
    assert outcome(schnorr_harness, flipped_digest) is False
    # another key x: out of range, no point's x (ecrecover recovers nothing), or another key
    flipped_key = dataclasses.replace(signed, pk_x=flip_bit(signed.pk_x, bit))
    assert outcome(schnorr_harness, flipped_key) in (False, KEY_X_RANGE)


@pytest.mark.parametrize("bit", R_SWEPT_BITS)
def test_a_flipped_bit_of_r_moves_it_off_the_curve(schnorr_harness: Any, signed: Signed, bit: int) -> None:
    """Given y, only three x solve y^2 = x^3 + 7 (and given x, two y): a one-bit change reaches none of them
    but with negligible probability, so the check refuses the signature before hashing."""
    assert outcome(schnorr_harness, dataclasses.replace(signed, rx=flip_bit(signed.rx, bit))) == R_OFF_CURVE
    assert outcome(schnorr_harness, dataclasses.replace(signed, ry=flip_bit(signed.ry, bit))) == R_OFF_CURVE


def test_the_other_key_parity_is_refused(schnorr_harness: Any, signed: Signed) -> None:
    assert outcome(schnorr_harness, dataclasses.replace(signed, pk_y_parity=1 - signed.pk_y_parity)) is False


def test_the_negated_r_is_refused(schnorr_harness: Any, signed: Signed) -> None:
    """(rx, p - ry) is on the curve too: it is -R, with the other compressed prefix."""
    assert outcome(schnorr_harness, dataclasses.replace(signed, ry=P - signed.ry)) is False


@pytest.mark.parametrize("z", [0, N, N + 1, 2**256 - 1])
def test_z_outside_one_to_n_is_refused(schnorr_harness: Any, signed: Signed, z: int) -> None:
    with ape.reverts(Z_RANGE):
        schnorr_harness.verify(*dataclasses.replace(signed, z=z).args())


def test_r_off_the_curve_is_refused(schnorr_harness: Any, signed: Signed) -> None:
    with ape.reverts(R_OFF_CURVE):
        schnorr_harness.verify(*dataclasses.replace(signed, ry=(signed.ry + 1) % P).args())
    with ape.reverts(R_OFF_CURVE):
        schnorr_harness.verify(*dataclasses.replace(signed, rx=0, ry=0).args())


def test_r_coordinates_are_not_taken_mod_p(schnorr_harness: Any, signed: Signed) -> None:
    """(x + p, y) and (x, y + p) satisfy the curve equation mod p; they must still be refused as off the
    curve, or R would have second encodings. Points with a coordinate below 2^256 - p exist on both axes."""
    small_x = 1
    y_of_small_x = y_on_curve(small_x)
    assert y_of_small_x is not None
    with ape.reverts(R_OFF_CURVE):
        schnorr_harness.verify(*dataclasses.replace(signed, rx=small_x + P, ry=y_of_small_x).args())
    small_y = 1
    with ape.reverts(R_OFF_CURVE):
        schnorr_harness.verify(*dataclasses.replace(signed, rx=x_on_curve(small_y), ry=small_y + P).args())


@pytest.mark.parametrize("pk_x", [0, N, P - 1, 2**256 - 1])
def test_key_x_outside_one_to_n_is_refused(schnorr_harness: Any, signed: Signed, pk_x: int) -> None:
    with ape.reverts(KEY_X_RANGE):
        schnorr_harness.verify(*dataclasses.replace(signed, pk_x=pk_x).args())


@pytest.mark.parametrize("parity", [2, 3, 2**256 - 1])
def test_key_parity_other_than_zero_or_one_is_refused(
    schnorr_harness: Any, signed: Signed, parity: int
) -> None:
    with ape.reverts(KEY_PARITY):
        schnorr_harness.verify(*dataclasses.replace(signed, pk_y_parity=parity).args())


def test_a_key_x_of_no_curve_point_verifies_nothing(schnorr_harness: Any, signed: Signed) -> None:
    """x = 5 has no y (5^3 + 7 is no square mod p): ecrecover recovers nothing, and nothing matches R."""
    assert y_on_curve(5) is None
    assert outcome(schnorr_harness, dataclasses.replace(signed, pk_x=5)) is False


def test_check_group_key_returns_the_parity_of_a_custody_key(schnorr_harness: Any) -> None:
    for seed in range(4):
        group_key = fixed_key(seed)[1].group_public_key
        assert schnorr_harness.check_group_key(group_key.x, group_key.y) == group_key.y % 2


def test_check_group_key_refuses_a_point_off_the_curve(schnorr_harness: Any) -> None:
    group_key = fixed_key(0)[1].group_public_key
    with ape.reverts(KEY_OFF_CURVE):
        schnorr_harness.check_group_key(group_key.x, (group_key.y + 1) % P)
    with ape.reverts(KEY_OFF_CURVE):
        schnorr_harness.check_group_key(x_on_curve(1), 1 + P)  # y only on the curve mod p


def test_check_group_key_refuses_x_outside_one_to_n(schnorr_harness: Any) -> None:
    """x = n is the x-coordinate of a real point, but ecrecover cannot take it as r; x = 0 is refused before
    the curve is even consulted."""
    y = y_on_curve(N)
    assert y is not None
    with ape.reverts(KEY_X_RANGE):
        schnorr_harness.check_group_key(N, y)
    with ape.reverts(KEY_X_RANGE):
        schnorr_harness.check_group_key(0, 0)


def test_one_verification_fits_the_gas_budget(schnorr_harness: Any, deployer: Any, signed: Signed) -> None:
    """Execution gas = transaction gas - 21,000 - calldata (16 per non-zero byte, 4 per zero byte).

    Under EIP-7623 a transaction pays at least a calldata floor; when that binds, this figure overstates the
    execution gas, so the bound stays sound.
    """
    receipt = schnorr_harness.verify.transact(*signed.args(), sender=deployer)
    calldata = bytes(receipt.transaction.data)
    calldata_gas = sum(16 if byte else 4 for byte in calldata)
    assert receipt.gas_used - TRANSACTION_BASE_GAS - calldata_gas <= VERIFY_GAS_BUDGET
