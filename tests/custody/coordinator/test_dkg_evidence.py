"""Accusations of bad shares carry evidence: a true one convicts the accused for anyone holding the roster, a
false one convicts the accuser, one whose evidence proves nothing is rejected (in-process nodes)."""

import asyncio
import copy
import json
from typing import Any

import pytest

from custody.coordinator.errors import KeyCeremonyFailed
from custody.envelope import Binding, SignedBroadcast, verify_broadcast
from custody.frost import SecretScalar
from custody.frost.errors import InvalidSecretShare
from custody.frost.group import N
from custody.node.ceremonies import sharing as keys_sharing
from custody.protocol.evidence import InvalidEvidence, check_share_accusation
from tests.helpers.key_group import KeyGroup

CHEATER, VICTIM = 2, 1


@pytest.fixture
def group3(tmp_path):
    group = KeyGroup(tmp_path, 3)
    yield group
    group.close()


def deal_a_bad_share(group: KeyGroup, purpose: str, dealer: int, victim: int) -> None:
    """`dealer` deals `victim` a share off by one, sealed and signed as an honest one would be."""
    scheme = group.services[dealer].sharing(purpose)._scheme
    honest = scheme.deal

    def deal(secret: Any, packages: Any) -> Any:
        kept, shares = honest(secret, packages)
        if victim in shares:
            shares = {**shares, victim: SecretScalar((shares[victim].value + 1) % N)}
        return kept, shares

    scheme.deal = deal  # type: ignore[method-assign]


def signed_account(group: KeyGroup, node: int, session_id: str) -> dict[str, Any]:
    """Node `node`'s signed account of the session, checked as the coordinator checks it."""
    message = group.services[node].outcome(session_id)
    binding = Binding("session", session_id, "outcome", node)
    return json.loads(
        verify_broadcast(SignedBroadcast.from_json(message.to_json()), binding, group.roster.node(node).keys)
    )


def run(group: KeyGroup, purpose: str) -> KeyCeremonyFailed:
    coordinator = group.coordinator()
    dkg = purpose == "dkg"
    ceremony = coordinator.create_key(2, key_id="treasury") if dkg else coordinator.refresh("treasury")
    with pytest.raises(KeyCeremonyFailed) as failed:
        asyncio.run(ceremony)
    return failed.value


@pytest.mark.parametrize("purpose", ["dkg", "refresh"])
def test_a_bad_share_is_named_with_evidence_anyone_can_check(group3: KeyGroup, purpose: str) -> None:
    if purpose == "refresh":
        asyncio.run(group3.coordinator().create_key(2, key_id="treasury"))
    deal_a_bad_share(group3, purpose, CHEATER, VICTIM)

    failure = run(group3, purpose)

    assert failure.culprits == [CHEATER]
    account = signed_account(group3, VICTIM, failure.session_id)
    [evidence] = account["evidence"]
    assert (evidence["accused"], evidence["accuser"]) == (CHEATER, VICTIM)
    # a third party: the roster, the session and the evidence, nothing else
    assert check_share_accusation(group3.roster, purpose, failure.session_id, evidence) is True


def test_evidence_that_does_not_verify_proves_nothing(group3: KeyGroup) -> None:
    deal_a_bad_share(group3, "dkg", CHEATER, VICTIM)
    failure = run(group3, "dkg")
    [evidence] = signed_account(group3, VICTIM, failure.session_id)["evidence"]

    def altered(edit: Any) -> dict[str, Any]:
        changed = copy.deepcopy(evidence)
        edit(changed)
        return changed

    def flip(text: str) -> str:
        return ("1" if text[0] == "0" else "0") + text[1:]

    wrong = [
        altered(lambda e: e.update(shared_secret=flip(e["shared_secret"]))),  # does not open the message
        altered(lambda e: e["sealed"].update(signature=flip(e["sealed"]["signature"]))),  # not the sender's
        altered(lambda e: e["round1"].update(signature=flip(e["round1"]["signature"]))),
        altered(lambda e: e.update(accuser=3)),  # the message was sealed to another node
        altered(lambda e: e.pop("round1")),
    ]
    for item in wrong:
        with pytest.raises(InvalidEvidence):
            check_share_accusation(group3.roster, "dkg", failure.session_id, item)
    with pytest.raises(InvalidEvidence):
        check_share_accusation(group3.roster, "dkg", "another-session-id", evidence)


def test_a_false_accusation_names_the_accuser(group3: KeyGroup) -> None:
    scheme = group3.services[VICTIM].dkg._scheme

    def finish(*_args: Any) -> Any:
        raise InvalidSecretShare([CHEATER])  # node 1 lies: node 2's share was good

    scheme.finish = finish  # type: ignore[method-assign,assignment]

    failure = run(group3, "dkg")

    assert failure.culprits == [VICTIM]
    [evidence] = signed_account(group3, VICTIM, failure.session_id)["evidence"]
    assert check_share_accusation(group3.roster, "dkg", failure.session_id, evidence) is False


def test_an_accusation_without_valid_evidence_is_rejected(
    group3: KeyGroup, monkeypatch: pytest.MonkeyPatch
) -> None:
    deal_a_bad_share(group3, "dkg", CHEATER, VICTIM)
    honest = keys_sharing.share_evidence

    def useless_evidence(*args: Any) -> dict[str, Any]:
        return {**honest(*args), "shared_secret": "00" * 32}

    monkeypatch.setattr(keys_sharing, "share_evidence", useless_evidence)

    failure = run(group3, "dkg")

    assert CHEATER not in failure.culprits
    record = list(group3.coordinator().audit.records())[-1]
    assert record.action == "keys.dkg.failed"
    assert "does not verify" in record.details["rejected_accusations"][str(VICTIM)]
