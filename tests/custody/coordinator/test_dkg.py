"""DKG across nodes through a coordinator that only relays, and a coordinator that attacks what it relays.

In-process nodes (real routes, services and key stores, reached over ASGI): fast enough to tamper with
every kind of message. `test_key_ceremonies_nodes.py` runs the same ceremonies across node processes.
"""

import asyncio
import json
from contextlib import closing

import pytest

from custody.coordinator.errors import KeyCeremonyFailed, KeyCeremonyIncomplete
from custody.frost import UnusableGroupKey, dkg, verify_signature
from custody.node.ceremonies.sessions import SESSION_PREFIX
from custody.protocol.errors import CeremonyAborted, GroupKeyUnusable
from tests.helpers.key_group import KeyGroup, flip_hex, tamper_round

MESSAGE = bytes(range(32))


@pytest.fixture
def group3(tmp_path):
    with closing(KeyGroup(tmp_path, 3)) as group:
        yield group


@pytest.fixture
def group5(tmp_path):
    with closing(KeyGroup(tmp_path, 5)) as group:
        yield group


def create_key(group: KeyGroup, threshold: int, participants=None, key_id: str = "treasury"):
    return asyncio.run(group.coordinator().create_key(threshold, participants, key_id=key_id))


@pytest.mark.parametrize(("threshold", "size"), [(2, 3), (3, 5)])
def test_a_dkg_gives_every_node_a_share_of_one_signing_key(tmp_path, threshold, size):
    with closing(KeyGroup(tmp_path, size)) as group:
        info = create_key(group, threshold)
        shares = {node: group.share(node, "treasury") for node in range(1, size + 1)}
        assert all(share is not None for share in shares.values())
        assert {share.public_key_package.to_bytes() for share in shares.values() if share} == {
            info.public_key_package.to_bytes()
        }
        assert info.threshold == threshold
        assert info.holders == list(range(1, size + 1))
        signers = list(range(size - threshold + 1, size + 1))
        signature = group.sign("treasury", signers, MESSAGE)
        assert verify_signature(info.group_public_key, MESSAGE, signature)


def test_a_dkg_among_some_roster_nodes(group5):
    info = create_key(group5, 2, [2, 4, 5])
    assert info.holders == [2, 4, 5]
    assert group5.share(1, "treasury") is None
    assert verify_signature(info.group_public_key, MESSAGE, group5.sign("treasury", [2, 5], MESSAGE))


def test_the_coordinator_updates_the_public_keys_it_shares_with_signing(group3):
    coordinator = group3.coordinator()
    info = asyncio.run(coordinator.create_key(2, key_id="treasury"))
    assert coordinator.public_keys["treasury"] == info.public_key_package


def test_the_relayed_bytes_never_contain_a_share(group3):
    create_key(group3, 2)
    relayed = group3.relay.relayed()
    for node in (1, 2, 3):
        share = group3.share(node, "treasury")
        assert share is not None
        secret = share.key_package.signing_share.to_bytes(32, "big")
        assert secret not in relayed
        assert secret.hex().encode() not in relayed


def test_secret_state_lives_only_between_rounds(group3):
    create_key(group3, 2)
    for node in (1, 2, 3):
        store = group3.keystores[node]
        [record] = store.list(SESSION_PREFIX)
        tombstone = store.get_json(record)
        assert tombstone["phase"] == "finished"
        assert tombstone["state"] == {}


def test_a_key_id_is_never_generated_twice(group3):
    create_key(group3, 2)
    with pytest.raises(KeyCeremonyFailed) as failed:
        create_key(group3, 2)
    assert failed.value.problem_types == {"urn:tpwallet:custody:key-exists"}


def refused_dkg(group: KeyGroup, culprits: list[int]) -> KeyCeremonyFailed:
    """A 2-of-n DKG that fails naming exactly `culprits`, after which no node keeps a share or an open
    session; the failure."""
    with pytest.raises(KeyCeremonyFailed) as failed:
        create_key(group, 2)
    failure = failed.value
    assert failure.culprits == culprits
    for node in group.services:
        assert group.share(node, "treasury") is None
        for record in group.keystores[node].list(SESSION_PREFIX):
            assert group.keystores[node].get_json(record)["phase"] in ("aborted", "finished")
    return failure


def test_a_flipped_byte_in_a_sealed_share_is_refused_naming_its_sender(group3):
    def edit(node: int, body: dict) -> None:
        if node == 2:
            sealed = body["round2"]["1"]
            sealed["ciphertext"] = flip_hex(sealed["ciphertext"], 3)

    group3.relay.tamper_request = tamper_round("/round3", edit)
    failure = refused_dkg(group3, [1])
    assert failure.failures[2].problem_type == CeremonyAborted.problem_type()


def test_swapped_recipients_are_refused(group3):
    """Node 1's share for node 3 handed to node 2: sealed and signed for another recipient."""
    shares: dict = {}

    def remember(node: int, path: str, answer: dict) -> dict:
        if path.endswith("/round2"):
            shares[node] = answer["sealed"]
        return answer

    def edit(node: int, body: dict) -> None:
        if node == 2:
            body["round2"]["1"] = shares[1]["3"]

    group3.relay.tamper_answer = remember
    group3.relay.tamper_request = tamper_round("/round3", edit)
    failure = refused_dkg(group3, [1])
    assert "recipient" in failure.failures[2].detail


def test_a_round1_package_replayed_from_another_session_is_refused(group3):
    recorded: dict = {}

    def record(node: int, body: dict) -> None:
        recorded.setdefault("round1", body["round1"])

    group3.relay.tamper_request = tamper_round("/dkg/round2", record)
    create_key(group3, 2, key_id="earlier")

    def replay(node: int, body: dict) -> None:
        body["round1"]["3"] = recorded["round1"]["3"]

    group3.relay.tamper_request = tamper_round("/dkg/round2", replay)
    failure = refused_dkg(group3, [3])
    assert "session_id" in failure.failures[1].detail


def test_a_forged_round1_package_is_refused(group3):
    def forge(node: int, body: dict) -> None:
        message = body["round1"]["2"]
        payload = json.loads(bytes.fromhex(message["payload"]))
        payload["context"]["threshold"] = 3
        message["payload"] = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode().hex()

    group3.relay.tamper_request = tamper_round("/dkg/round2", forge)
    failure = refused_dkg(group3, [2])
    assert "signature" in failure.failures[1].detail


def test_a_withheld_message_is_refused_naming_its_sender(group3):
    def withhold(node: int, body: dict) -> None:
        if node == 1:
            del body["round2"]["3"]

    group3.relay.tamper_request = tamper_round("/round3", withhold)
    refused_dkg(group3, [3])


def test_a_confirmation_relayed_as_another_nodes_is_refused(group3):
    """Node 1's confirmation replaced by node 2's: nodes 2 and 3 refuse it, naming node 1. Node 1, which
    passes over its own slot, stores its share of a key too few nodes hold: the DKG fails."""

    def swap(node: int, body: dict) -> None:
        body["confirmations"]["1"] = body["confirmations"]["2"]

    group3.relay.tamper_request = tamper_round("/confirm", swap)
    with pytest.raises(KeyCeremonyFailed) as failed:
        create_key(group3, 2)
    assert not isinstance(failed.value, KeyCeremonyIncomplete)
    assert failed.value.culprits == [1]
    assert sorted(failed.value.failures) == [2, 3]
    assert [node for node in (1, 2, 3) if group3.share(node, "treasury")] == [1]


def test_a_node_that_sends_a_misaddressed_share_is_named_by_the_coordinator(group3):
    def misaddress(node: int, answer: dict) -> None:
        if node == 3:
            answer["sealed"]["1"], answer["sealed"]["2"] = answer["sealed"]["2"], answer["sealed"]["1"]

    group3.relay.tamper_answer = tamper_round("/round2", misaddress)
    with pytest.raises(KeyCeremonyFailed) as failed:
        create_key(group3, 2)
    assert failed.value.culprits == [3]
    assert failed.value.failures[3].kind == "misbehaved"


def test_a_group_key_the_contracts_cannot_take_restarts_the_dkg(group3, monkeypatch):
    """Every node aborts a DKG whose group key has x >= N; the coordinator runs a new session."""
    real = dkg.require_onchain_verifiable
    calls = []

    def unusable_in_the_first_session(group_key):
        calls.append(group_key)
        if len(calls) <= 3:  # the three nodes' round 3 of the first session
            raise UnusableGroupKey("x >= N")
        return real(group_key)

    monkeypatch.setattr(dkg, "require_onchain_verifiable", unusable_in_the_first_session)
    info = create_key(group3, 2)
    assert len(calls) == 6
    assert verify_signature(info.group_public_key, MESSAGE, group3.sign("treasury", [1, 3], MESSAGE))
    store = group3.keystores[1]
    outcomes = {
        store.get_json(record)["phase"]: store.get_json(record)["state"]
        for record in store.list(SESSION_PREFIX)
    }
    assert outcomes == {
        "finished": {},
        "aborted": {
            "problem": GroupKeyUnusable.problem_type(),
            "culprits": [],
            "reason": GroupKeyUnusable().reason,
        },
    }


def test_a_dkg_that_keeps_giving_unusable_keys_gives_up(group3, monkeypatch):
    def always_unusable(group_key):
        raise UnusableGroupKey("x >= N")

    monkeypatch.setattr(dkg, "require_onchain_verifiable", always_unusable)
    with pytest.raises(KeyCeremonyFailed) as failed:
        create_key(group3, 2)
    assert failed.value.problem_types == {GroupKeyUnusable.problem_type()}
    assert len(group3.keystores[1].list(SESSION_PREFIX)) == 3


def test_a_dkg_that_some_nodes_do_not_finish_leaves_a_key_to_repair_them_into(group3):
    def withhold(node: int, body: dict) -> None:
        if node == 2:
            del body["confirmations"]["1"]

    group3.relay.tamper_request = tamper_round("/confirm", withhold)
    coordinator = group3.coordinator()
    with pytest.raises(KeyCeremonyIncomplete) as incomplete:
        asyncio.run(coordinator.create_key(2, key_id="treasury"))
    assert incomplete.value.lagging == [2]
    assert group3.share(2, "treasury") is None
    info = incomplete.value.info
    assert verify_signature(info.group_public_key, MESSAGE, group3.sign("treasury", [1, 3], MESSAGE))
    group3.relay.tamper_request = None
    asyncio.run(coordinator.repair("treasury", 2))
    assert verify_signature(info.group_public_key, MESSAGE, group3.sign("treasury", [2, 3], MESSAGE))
