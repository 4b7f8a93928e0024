"""Share repair across nodes: helpers rebuild a lost share; nobody, the coordinator included, sees it."""

import asyncio

import pytest

from custody.coordinator.errors import KeyCeremonyFailed
from custody.frost import N, SecretScalar, verify_signature
from custody.node.ceremonies import repair as keys_repair
from custody.node.records.shares import share_record
from tests.helpers.key_group import KeyGroup, flip_hex, group_with_key, tamper_round

MESSAGE = bytes(range(64, 96))


@pytest.fixture
def group(tmp_path):
    with group_with_key(tmp_path, 5, 3) as group:
        yield group


def repair(group: KeyGroup, lost: int, helpers=None):
    return asyncio.run(group.coordinator().repair("treasury", lost, helpers))


def test_a_lost_share_is_rebuilt_and_signs_again(group):
    original = group.share(2, "treasury")
    assert original is not None
    group.keystores[2].delete(share_record("treasury"))
    info = repair(group, 2, [1, 4, 5])
    rebuilt = group.share(2, "treasury")
    assert rebuilt == type(original)(
        original.key_id, original.key_package, original.public_key_package, rebuilt.ceremony
    )
    assert info.public_key_package == original.public_key_package
    assert verify_signature(info.group_public_key, MESSAGE, group.sign("treasury", [2, 3, 5], MESSAGE))


def test_the_relayed_bytes_never_contain_a_share(group):
    group.keystores[2].delete(share_record("treasury"))
    repair(group, 2)
    relayed = group.relay.relayed()
    for node in group.services:
        secret = group.share(node, "treasury").key_package.signing_share.to_bytes(32, "big")
        assert secret not in relayed
        assert secret.hex().encode() not in relayed


def test_a_tampered_sigma_is_refused_and_no_share_is_stored(group):
    group.keystores[2].delete(share_record("treasury"))

    def flip(node: int, body: dict) -> None:
        sealed = body["sigmas"]["4"]
        sealed["ciphertext"] = flip_hex(sealed["ciphertext"], 5)

    group.relay.tamper_request = tamper_round("/repair/finish", flip)
    with pytest.raises(KeyCeremonyFailed) as failed:
        repair(group, 2, [1, 3, 4])
    assert failed.value.culprits == [4]
    assert group.share(2, "treasury") is None


def test_a_delta_swapped_between_helpers_is_refused(group):
    group.keystores[2].delete(share_record("treasury"))

    def swap(node: int, body: dict) -> None:
        if node == 3:
            body["deltas"]["1"], body["deltas"]["4"] = body["deltas"]["4"], body["deltas"]["1"]

    group.relay.tamper_request = tamper_round("/repair/round2", swap)
    with pytest.raises(KeyCeremonyFailed) as failed:
        repair(group, 2, [1, 3, 4])
    assert failed.value.culprits == [1, 4]


def test_a_helper_that_sends_wrong_deltas_cannot_plant_a_share(group, monkeypatch):
    """A cheating helper's sigma makes the rebuilt share miss the verifying share: nothing is stored."""
    real = keys_repair.repair_share_step_1

    def cheating_step_1(helpers, key_package, participant):
        deltas = real(helpers, key_package, participant)
        if key_package.identifier == 3:
            first = min(deltas)
            deltas[first] = SecretScalar((deltas[first].value + 1) % N)
        return deltas

    monkeypatch.setattr(keys_repair, "repair_share_step_1", cheating_step_1)
    group.keystores[2].delete(share_record("treasury"))
    with pytest.raises(KeyCeremonyFailed) as failed:
        repair(group, 2, [1, 3, 4])
    assert failed.value.failures[2].problem_type.endswith("ceremony-aborted")
    assert "does not match" in failed.value.failures[2].detail
    assert group.share(2, "treasury") is None


def test_a_node_that_still_holds_its_share_is_not_repaired(group):
    with pytest.raises(KeyCeremonyFailed) as failed:
        repair(group, 2)
    assert failed.value.problem_types == {"urn:tpwallet:custody:key-exists"}


def test_fewer_helpers_than_the_threshold_are_refused(group):
    group.keystores[2].delete(share_record("treasury"))
    with pytest.raises(KeyCeremonyFailed) as failed:
        repair(group, 2, [1, 3])
    assert failed.value.problem_types == {"urn:tpwallet:custody:malformed-request"}
