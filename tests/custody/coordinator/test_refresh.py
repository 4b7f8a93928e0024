"""Share refresh across nodes: same group key, new shares, and old shares that no longer combine with new."""

import asyncio
import copy

import pytest

from custody.coordinator.errors import (
    KeyCeremonyFailed,
    KeyCeremonyIncomplete,
    KeyDisagreement,
    NodeUnavailable,
)
from custody.frost import (
    InvalidSignatureShare,
    PublicKeyPackage,
    SigningPackage,
    aggregate,
    round1_commit,
    round2_sign,
    verify_signature,
)
from custody.node.ceremonies.repair import RepairRequest
from custody.node.ceremonies.sharing import SharingRequest
from custody.node.records.shares import StoredKey, find_prepared
from custody.protocol.errors import KeyBusy, KeyVersionMismatch, SessionUsed
from custody.protocol.ids import key_version
from tests.helpers.key_group import KeyGroup, group_with_key

MESSAGE = bytes(range(32, 64))


@pytest.fixture
def group(tmp_path):
    with group_with_key(tmp_path, 3, 2) as group:
        yield group


def shares(group: KeyGroup) -> dict[int, StoredKey]:
    found = {node: group.share(node, "treasury") for node in group.services}
    return {node: share for node, share in found.items() if share is not None}


def refresh(group: KeyGroup, participants=None):
    return asyncio.run(group.coordinator().refresh("treasury", participants))


def mixed_signature(key_packages: dict, public: PublicKeyPackage):
    """Both signing rounds with the given key packages, aggregated (share-checked) under `public`."""
    round1 = {node: round1_commit(key.signing_share) for node, key in key_packages.items()}
    package = SigningPackage({node: commitments for node, (_, commitments) in round1.items()}, MESSAGE)
    signature_shares = {
        node: round2_sign(package, nonces, key_packages[node]) for node, (nonces, _) in round1.items()
    }
    return aggregate(package, signature_shares, public)


def test_a_refresh_keeps_the_group_key_and_replaces_every_share(group):
    old = shares(group)
    info = refresh(group)
    new = shares(group)
    assert info.group_public_key == old[1].key_package.group_public_key
    for node in (1, 2, 3):
        assert new[node].key_package.signing_share != old[node].key_package.signing_share
        assert new[node].public_key_package == info.public_key_package
    assert verify_signature(info.group_public_key, MESSAGE, group.sign("treasury", [2, 3], MESSAGE))


def test_an_old_share_and_a_new_share_cannot_sign_together(group):
    old = shares(group)
    refresh(group)
    new = shares(group)
    mixed = {1: old[1].key_package, 2: new[2].key_package}
    with pytest.raises(InvalidSignatureShare) as under_new:
        mixed_signature(mixed, new[2].public_key_package)
    assert under_new.value.culprits == [1]
    with pytest.raises(InvalidSignatureShare) as under_old:
        mixed_signature(mixed, old[1].public_key_package)
    assert under_old.value.culprits == [2]


def test_a_refresh_can_drop_a_holder(group):
    info = refresh(group, [1, 3])
    assert info.holders == [1, 3]
    assert verify_signature(info.group_public_key, MESSAGE, group.sign("treasury", [1, 3], MESSAGE))


def test_a_tampered_refresh_share_is_refused_and_the_old_shares_stay_in_use(group):
    old = shares(group)

    def flip(node: int, path: str, body: dict) -> dict:
        if node == 3 and path.endswith("/refresh/round3"):
            body = copy.deepcopy(body)
            sealed = body["round2"]["2"]
            data = bytearray(bytes.fromhex(sealed["ciphertext"]))
            data[0] ^= 0x80
            sealed["ciphertext"] = data.hex()
        return body

    group.relay.tamper_request = flip
    with pytest.raises(KeyCeremonyFailed) as failed:
        refresh(group)
    assert failed.value.culprits == [2]
    assert shares(group) == old
    group.relay.tamper_request = None
    assert verify_signature(
        old[1].key_package.group_public_key, MESSAGE, group.sign("treasury", [1, 3], MESSAGE)
    )


def test_a_refresh_waits_for_an_open_ceremony_on_the_key_until_it_expires(group):
    version = group.share(1, "treasury").version
    stale = SharingRequest("abandoned-refresh-session", "treasury", [1, 2, 3], key_version=version)
    group.services[1].refresh.round1(stale)
    with pytest.raises(KeyCeremonyFailed) as busy:
        refresh(group)
    assert busy.value.problem_types == {"urn:tpwallet:custody:key-busy"}
    group.now += 301
    refresh(group)
    assert group.keystores[1].get_json("dkg/abandoned-refresh-session")["phase"] == "expired"


def test_a_node_that_misses_the_end_of_a_refresh_is_left_stale_and_repaired(group):
    """Node 3's confirmations are tampered with: 1 and 2 switch to the new shares, 3 keeps its old one."""
    old = shares(group)

    def swap(node: int, path: str, body: dict) -> dict:
        if node == 3 and path.endswith("/refresh/confirm"):
            body = copy.deepcopy(body)
            body["confirmations"]["1"], body["confirmations"]["2"] = (
                body["confirmations"]["2"],
                body["confirmations"]["1"],
            )
        return body

    group.relay.tamper_request = swap
    coordinator = group.coordinator()
    with pytest.raises(KeyCeremonyIncomplete) as incomplete:
        asyncio.run(coordinator.refresh("treasury"))
    assert incomplete.value.lagging == [3]
    assert incomplete.value.culprits == [1, 2]
    new = incomplete.value.info
    assert coordinator.public_keys["treasury"] == new.public_key_package
    assert shares(group)[3] == old[3]
    assert verify_signature(new.group_public_key, MESSAGE, group.sign("treasury", [1, 2], MESSAGE))

    group.relay.tamper_request = None
    with pytest.raises(KeyDisagreement, match=r"nodes \[3\] state"):
        asyncio.run(group.coordinator().fetch_key("treasury"))
    asyncio.run(coordinator.repair("treasury", 3))
    assert shares(group)[3].public_key_package == new.public_key_package
    assert asyncio.run(group.coordinator().fetch_key("treasury")) == new
    assert verify_signature(new.group_public_key, MESSAGE, group.sign("treasury", [1, 3], MESSAGE))


# -- two-phase activation and key versions (issue 9, point 12) --------------------------------------------


def refused(node: int, path: str, body: dict) -> dict:
    """Withhold every commit: the coordinator's commit round fails as if it had crashed before sending."""
    if path.endswith("/refresh/commit"):
        raise NodeUnavailable(node, "commit withheld")
    return body


def prepared(group: KeyGroup) -> list[PublicKeyPackage | None]:
    """Each node's prepared generation of the key (None where there is none)."""
    found = [find_prepared(group.keystores[node], "treasury") for node in sorted(group.services)]
    return [stored.public_key_package if stored is not None else None for stored in found]


def test_a_prepared_refresh_keeps_both_generations_across_restart_and_expiry_until_committed(group):
    old = shares(group)
    group.relay.tamper_request = refused
    with pytest.raises(KeyCeremonyIncomplete) as undecided:
        refresh(group)
    new = undecided.value.info.public_key_package
    assert undecided.value.lagging == [1, 2, 3]
    assert shares(group) == old  # the old shares are still the active ones
    assert prepared(group) == [new, new, new]

    group.restart_services()
    group.now += 3600  # far beyond a session's time to live: a prepared share never expires
    another = SharingRequest("another-refresh", "treasury", [1, 2, 3], key_version=old[1].version)
    with pytest.raises(KeyBusy):  # the key takes no other ceremony while a refresh is prepared
        group.services[1].refresh.round1(another)
    group.relay.tamper_request = None
    assert asyncio.run(group.coordinator().resume_refresh("treasury")).public_key_package == new
    assert all(group.share(n, "treasury").public_key_package == new for n in (1, 2, 3))
    assert prepared(group) == [None, None, None]
    assert asyncio.run(group.coordinator().resume_refresh("treasury")) is None  # nothing left to drive


def test_a_commit_is_idempotent_and_a_committed_refresh_cannot_be_rolled_back(group):
    info = refresh(group)
    session_id = group.share(1, "treasury").ceremony
    version = key_version(info.public_key_package)
    service = group.services[1]
    service.commit("treasury", session_id, version)  # again: changes nothing
    assert group.share(1, "treasury").public_key_package == info.public_key_package
    with pytest.raises(SessionUsed, match="cannot be rolled back"):
        service.abort(session_id)
    assert group.share(1, "treasury").public_key_package == info.public_key_package


def test_an_abort_rolls_a_prepared_refresh_back(group):
    old = shares(group)
    group.relay.tamper_request = refused
    with pytest.raises(KeyCeremonyIncomplete) as undecided:
        refresh(group)
    session_id = undecided.value.session_id
    assert all(group.services[n].abort(session_id) for n in (1, 2, 3))
    assert prepared(group) == [None, None, None]
    assert shares(group) == old
    group.relay.tamper_request = None
    assert verify_signature(
        old[1].key_package.group_public_key, MESSAGE, group.sign("treasury", [1, 3], MESSAGE)
    )


def test_a_refresh_or_repair_naming_another_key_version_is_refused_as_such(group):
    stale = SharingRequest("refresh-of-a-stale-version", "treasury", [1, 2, 3], key_version="ab" * 32)
    with pytest.raises(KeyVersionMismatch) as refusal:
        group.services[1].refresh.round1(stale)
    assert refusal.value.extensions["held_versions"] == [group.share(1, "treasury").version]
    repair = RepairRequest("repair-of-a-stale-version", "treasury", [1, 2], 3, "ab" * 32)
    with pytest.raises(KeyVersionMismatch):
        group.services[1].repair.round1(repair)
