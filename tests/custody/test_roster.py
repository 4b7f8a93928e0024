"""The group roster loads only when every entry is complete, well-typed and unique."""

import copy
import hashlib
import json

import pytest

from custody.envelope import NodeIdentity
from custody.roster import Roster, RosterError, RosterNode


def entry(node_id: int) -> dict:
    keys = NodeIdentity.generate().public_keys()
    return {
        "id": node_id,
        "url": f"https://127.0.0.1:{7100 + node_id}",
        "ed25519": keys.ed25519.hex(),
        "x25519": keys.x25519.hex(),
        "tls_sha256": hashlib.sha256(f"cert {node_id}".encode()).hexdigest(),
    }


@pytest.fixture
def document() -> dict:
    return {"version": 1, "nodes": [entry(node_id) for node_id in (3, 1, 2)]}


def test_a_roster_round_trips_through_its_file(document, tmp_path):
    roster = Roster.from_json(document)
    assert roster.node_ids == [1, 2, 3]
    roster.save(tmp_path / "roster.json")
    loaded = Roster.load(tmp_path / "roster.json")
    assert loaded == roster
    assert loaded.digest() == roster.digest()
    assert loaded.node(2).url == "https://127.0.0.1:7102"
    assert loaded.node(2).keys.ed25519.hex() == next(e for e in document["nodes"] if e["id"] == 2)["ed25519"]


def test_the_digest_changes_with_any_entry(document):
    changed = copy.deepcopy(document)
    changed["nodes"][0]["url"] = "https://127.0.0.1:9999"
    assert Roster.from_json(changed).digest() != Roster.from_json(document).digest()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d: d.update(extra=1), "exactly the fields"),
        (lambda d: d.update(version=2), "version"),
        (lambda d: d.update(version=True), "version"),
        (lambda d: d.update(nodes={}), "list"),
        (lambda d: d["nodes"][0].pop("x25519"), "exactly the fields"),
        (lambda d: d["nodes"][0].update(id="3"), "integer"),
        (lambda d: d["nodes"][0].update(id=0), "outside"),
        (lambda d: d["nodes"][0].update(id=True), "integer"),
        (lambda d: d["nodes"][0].update(url="http://127.0.0.1:7101"), "https"),
        (lambda d: d["nodes"][0].update(url="https://127.0.0.1:7101/v1"), "origin only"),
        (lambda d: d["nodes"][0].update(url="https://u:p@127.0.0.1:7101"), "origin only"),
        (lambda d: d["nodes"][0].update(url="https://127.0.0.1:99999"), "parse"),
        (lambda d: d["nodes"][0].update(ed25519="AB" * 32), "ed25519"),
        (lambda d: d["nodes"][0].update(x25519="00" * 31), "x25519"),
        (lambda d: d["nodes"][0].update(tls_sha256="00" * 31), "tls_sha256"),
        (lambda d: d["nodes"][1].update(id=d["nodes"][0]["id"]), "node id"),
        (lambda d: d["nodes"][1].update(url=d["nodes"][0]["url"]), "url"),
        (lambda d: d["nodes"][1].update(ed25519=d["nodes"][0]["ed25519"]), "Ed25519"),
        (lambda d: d["nodes"][1].update(x25519=d["nodes"][0]["x25519"]), "X25519"),
        (lambda d: d["nodes"][1].update(tls_sha256=d["nodes"][0]["tls_sha256"]), "fingerprint"),
        (lambda d: d.update(nodes=d["nodes"][:1]), "at least two"),
    ],
)
def test_a_malformed_roster_is_refused(document, edit, message):
    edit(document)
    with pytest.raises(RosterError, match=message):
        Roster.from_json(document)


def test_an_unreadable_file_is_refused(tmp_path):
    (tmp_path / "roster.json").write_text("{not json")
    with pytest.raises(RosterError, match="cannot read"):
        Roster.load(tmp_path / "roster.json")
    with pytest.raises(RosterError, match="cannot read"):
        Roster.load(tmp_path / "missing.json")


def test_members_must_be_in_the_roster_and_distinct(document):
    roster = Roster.from_json(document)
    assert roster.require_members([3, 1]) == [1, 3]
    with pytest.raises(RosterError, match="not in the roster"):
        roster.require_members([1, 4])
    with pytest.raises(RosterError, match="twice"):
        roster.require_members([1, 1])


def test_entries_parse_on_their_own(document):
    node = RosterNode.from_json(document["nodes"][0])
    assert node.to_json() == document["nodes"][0]
    assert json.loads(json.dumps(node.to_json())) == document["nodes"][0]


def test_a_version_2_roster_pins_the_coordinator_certificate(document: dict) -> None:
    pinned = {**document, "version": 2, "coordinator": {"tls_sha256": "cd" * 32}}

    roster = Roster.from_json(pinned)

    assert roster.coordinator_tls_sha256 == "cd" * 32
    assert Roster.from_json(roster.to_json()) == roster
    assert roster.to_json()["coordinator"] == {"tls_sha256": "cd" * 32}
    assert Roster.from_json(document).coordinator_tls_sha256 is None  # version 1: still read, unpinned


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"version": 2}, "exactly the fields"),  # version 2 without its coordinator
        ({"coordinator": {"tls_sha256": "cd" * 32}}, "exactly the fields"),  # version 1 with one
        ({"version": 2, "coordinator": {"tls_sha256": "CD" * 32}}, "64 lowercase hex"),
        ({"version": 2, "coordinator": {"sha": "cd" * 32}}, "exactly the field 'tls_sha256'"),
        ({"version": 3, "coordinator": {"tls_sha256": "cd" * 32}}, "unsupported roster version"),
    ],
)
def test_a_bad_coordinator_pin_is_refused(document: dict, change: dict[str, object], message: str) -> None:
    with pytest.raises(RosterError, match=message):
        Roster.from_json({**document, **change})


def test_the_coordinator_pin_may_not_repeat_a_node_certificate(document: dict) -> None:
    nodes = Roster.from_json(document)
    with pytest.raises(RosterError, match="TLS fingerprint"):
        Roster(nodes, nodes.node(1).tls_sha256)
