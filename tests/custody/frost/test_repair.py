"""Share repair: the ZF crate's scalar sums, and rebuilding the exact lost share from any t helpers."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custody.frost import (
    InvalidIdentifier,
    InvalidParameters,
    InvalidRepair,
    Point,
    PublicKeyPackage,
    SecretScalar,
    repair_share_step_1,
    repair_share_step_2,
    repair_share_step_3,
    trusted_dealer_keygen,
)
from custody.frost.group import N
from custody.frost.repair import repair_share_step_1_with_randomness
from tests.helpers.frost_simulation import inbox


def _scalar(hex_value: str) -> SecretScalar:
    return SecretScalar(int(hex_value, 16))


def test_vector_step_2_sums_deltas(repair_vector):
    values = repair_vector["scalar_generation"]
    deltas = [_scalar(values[f"random_scalar_{k}"]) for k in (1, 2, 3)]
    assert repair_share_step_2(deltas) == _scalar(values["random_scalar_sum"])


def test_vector_step_3_sums_sigmas(repair_vector):
    values = repair_vector["sigma_generation"]
    sigmas = [_scalar(values[f"sigma_{k}"]) for k in (1, 2, 3, 4)]
    expected = _scalar(values["sigma_sum"])
    # step 3 checks the sum against the participant's verifying share, so give it the matching one
    public = PublicKeyPackage({7: Point.base_mul(expected.value), 8: Point.G * 9}, Point.G * 5, 2)
    rebuilt = repair_share_step_3(sigmas, 7, public)
    assert rebuilt.signing_share == expected.value


def _repair(key_packages, public_key_package, helpers, participant):
    deltas = {h: repair_share_step_1(helpers, key_packages[h], participant) for h in helpers}
    sigmas = [repair_share_step_2(list(inbox(deltas, h).values())) for h in helpers]
    return repair_share_step_3(sigmas, participant, public_key_package)


@given(data=st.data())
def test_any_t_helpers_rebuild_the_exact_share(data):
    n = data.draw(st.integers(3, 6), label="n")
    t = data.draw(st.integers(2, n - 1), label="t")
    key_packages, public_key_package = trusted_dealer_keygen(n, t)
    lost = data.draw(st.sampled_from(sorted(key_packages)), label="lost")
    candidates = [i for i in key_packages if i != lost]
    helpers = data.draw(
        st.lists(st.sampled_from(candidates), min_size=t, max_size=len(candidates), unique=True)
    )
    assert _repair(key_packages, public_key_package, helpers, lost) == key_packages[lost]


def test_deltas_split_the_weighted_share():
    key_packages, _ = trusted_dealer_keygen(4, 3)
    # helpers {1, 2, 4} repairing 3: helper 2's weight is (3-1)/(2-1) · (3-4)/(2-4) = 2 · 1/2 = 1
    deltas = repair_share_step_1_with_randomness([4, 1, 2], key_packages[2], 3, [11, 22])
    assert sorted(deltas) == [1, 2, 4]
    assert (deltas[1].value, deltas[2].value) == (11, 22)
    assert sum(delta.value for delta in deltas.values()) % N == key_packages[2].signing_share


def test_a_wrong_sigma_is_refused():
    key_packages, public_key_package = trusted_dealer_keygen(3, 2)
    deltas = {h: repair_share_step_1([1, 2], key_packages[h], 3) for h in (1, 2)}
    sigmas = [repair_share_step_2(list(inbox(deltas, h).values())) for h in (1, 2)]
    sigmas[0] = SecretScalar((sigmas[0].value + 1) % N)
    with pytest.raises(InvalidRepair):
        repair_share_step_3(sigmas, 3, public_key_package)


def test_too_few_helpers_are_refused():
    key_packages, _ = trusted_dealer_keygen(5, 3)
    with pytest.raises(InvalidParameters):
        repair_share_step_1([1, 2], key_packages[1], 4)


@pytest.mark.parametrize(
    ("helpers", "participant"),
    [([1, 2, 3], 3), ([2, 3, 4], 1), ([1, 1, 2], 4), ([1, 2, 0], 4)],
    ids=["participant-among-helpers", "helper-not-listed", "duplicate-helper", "zero-helper"],
)
def test_bad_helper_lists_are_refused(helpers, participant):
    key_packages, _ = trusted_dealer_keygen(5, 3)
    with pytest.raises(InvalidIdentifier):
        repair_share_step_1(helpers, key_packages[1], participant)


def test_step_3_needs_a_known_participant_and_threshold():
    key_packages, public_key_package = trusted_dealer_keygen(3, 2)
    deltas = {h: repair_share_step_1([1, 2], key_packages[h], 3) for h in (1, 2)}
    sigmas = [repair_share_step_2(list(inbox(deltas, h).values())) for h in (1, 2)]
    with pytest.raises(InvalidIdentifier):
        repair_share_step_3(sigmas, 9, public_key_package)
    without_threshold = PublicKeyPackage(
        public_key_package.verifying_shares, public_key_package.group_public_key
    )
    with pytest.raises(InvalidParameters):
        repair_share_step_3(sigmas, 3, without_threshold)
    with pytest.raises(InvalidParameters):
        repair_share_step_3([], 3, public_key_package)
