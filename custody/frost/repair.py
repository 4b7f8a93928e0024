"""Share repair: rebuild a participant's lost share from min_signers helpers, none learning it.

The repairable threshold scheme of Laing and Stinson (eprint 2017/1155), as the ZF crate's `keys::repairable`:
  step 1 (each helper i): split λ_i(participant)·s_i into one random-looking delta per helper;
  step 2 (each helper j): sigma_j = the sum of the deltas it received (its own included);
  step 3 (the participant): its share is the sum of the sigmas, checked here against its verifying share.
Deltas travel helper to helper and sigmas helper to participant, each encrypted end to end; a single delta or
sigma reveals nothing about any share.
"""

from collections.abc import Sequence

from custody.frost.errors import InvalidIdentifier, InvalidParameters, InvalidRepair
from custody.frost.group import N, Point, random_scalar
from custody.frost.keys import KeyPackage, PublicKeyPackage, SecretScalar
from custody.frost.polynomial import lagrange_coefficient, require_identifier, require_identifiers


def repair_share_step_1(
    helpers: Sequence[int], key_package: KeyPackage, participant: int
) -> dict[int, SecretScalar]:
    """Step 1 for the helper holding `key_package`: the delta to send to each helper (itself included)."""
    random_values = [random_scalar() for _ in range(len(helpers) - 1)]
    return repair_share_step_1_with_randomness(helpers, key_package, participant, random_values)


def repair_share_step_1_with_randomness(
    helpers: Sequence[int], key_package: KeyPackage, participant: int, random_values: Sequence[int]
) -> dict[int, SecretScalar]:
    """Step 1 with the helper's random values given (reproducible tests); real repairs use step 1 above."""
    ordered = require_identifiers(helpers)
    require_identifier(participant)
    if participant in ordered:
        raise InvalidIdentifier("the participant being repaired cannot be one of its helpers")
    if key_package.identifier not in ordered:
        raise InvalidIdentifier("this helper is not in the list of helpers")
    if len(ordered) < key_package.min_signers:
        raise InvalidParameters(f"a repair needs at least {key_package.min_signers} helpers")
    if len(random_values) != len(ordered) - 1:
        raise InvalidParameters("step 1 needs one random value per helper but the last")
    zeta = lagrange_coefficient(ordered, key_package.identifier, at=participant)
    last = (zeta * key_package.signing_share - sum(random_values)) % N
    values = [*random_values, last]
    return {helper: SecretScalar(value % N) for helper, value in zip(ordered, values, strict=True)}


def repair_share_step_2(deltas: Sequence[SecretScalar]) -> SecretScalar:
    """Step 2 for a helper: sigma = the sum of the deltas every helper sent it."""
    if not deltas:
        raise InvalidParameters("step 2 needs the deltas of every helper")
    return SecretScalar(sum(delta.value for delta in deltas) % N)


def repair_share_step_3(
    sigmas: Sequence[SecretScalar], identifier: int, public_key_package: PublicKeyPackage
) -> KeyPackage:
    """Step 3 for the participant: its rebuilt KeyPackage, or InvalidRepair if it does not match the key."""
    if not sigmas:
        raise InvalidParameters("step 3 needs the sigma of every helper")
    verifying_share = public_key_package.verifying_shares.get(require_identifier(identifier))
    if verifying_share is None:
        raise InvalidIdentifier(f"participant {identifier} has no verifying share in the public key package")
    if public_key_package.min_signers is None:
        raise InvalidParameters("the public key package must state min_signers to rebuild a key package")
    share = sum(sigma.value for sigma in sigmas) % N
    if Point.base_mul(share) != verifying_share:
        raise InvalidRepair("the repaired share does not match the participant's verifying share")
    return KeyPackage(
        identifier,
        share,
        verifying_share,
        public_key_package.group_public_key,
        public_key_package.min_signers,
    )
