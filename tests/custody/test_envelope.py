"""Sealed shares and signed broadcasts: they open only where they were bound, and only from their sender."""

import dataclasses
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custody.envelope import (
    Binding,
    ForgedMessage,
    MalformedMessage,
    MisboundMessage,
    NodeIdentity,
    SealedMessage,
    SignedBroadcast,
    UndecryptableMessage,
    open_sealed,
    seal,
    sign_broadcast,
    verify_broadcast,
)

SHARE = bytes(range(32))


@pytest.fixture(scope="module")
def nodes() -> dict[int, NodeIdentity]:
    return {node_id: NodeIdentity.generate() for node_id in (1, 2, 3)}


def share_binding(session: str = "session-a", sender: int = 1, recipient: int = 2) -> Binding:
    return Binding("dkg", session, "round2", sender, recipient)


def sealed_share(nodes: dict[int, NodeIdentity], binding: Binding | None = None) -> SealedMessage:
    binding = binding or share_binding()
    recipient = nodes[binding.recipient or 0].public_keys().x25519
    return seal(nodes[binding.sender], recipient, SHARE, binding)


def resigned(message: SealedMessage, signer: NodeIdentity, **changes: Any) -> SealedMessage:
    """The message with fields changed and a valid signature by `signer` (a stolen signing key)."""
    changed = dataclasses.replace(message, **changes)
    return dataclasses.replace(changed, signature=signer.signing_key.sign(changed.signed_bytes()))


def test_a_sealed_share_opens_for_its_recipient(nodes):
    message = sealed_share(nodes)
    assert open_sealed(nodes[2], message, share_binding(), nodes[1].public_keys()) == SHARE


def test_the_relayed_form_does_not_contain_the_share(nodes):
    relayed = json.dumps(sealed_share(nodes).to_json()).encode()
    assert SHARE not in relayed
    assert SHARE.hex().encode() not in relayed


def test_a_share_sealed_for_one_session_does_not_open_in_another(nodes):
    message = sealed_share(nodes, share_binding(session="session-a"))
    with pytest.raises(MisboundMessage) as refused:
        open_sealed(nodes[2], message, share_binding(session="session-b"), nodes[1].public_keys())
    assert refused.value.culprit == 1
    assert "session_id" in str(refused.value)


def test_relabelling_the_session_breaks_the_signature(nodes):
    message = sealed_share(nodes, share_binding(session="session-a"))
    relabelled = dataclasses.replace(message, binding=share_binding(session="session-b"))
    with pytest.raises(ForgedMessage):
        open_sealed(nodes[2], relabelled, share_binding(session="session-b"), nodes[1].public_keys())


def test_the_encryption_itself_is_bound_to_the_session(nodes):
    """Even with the sender's signing key stolen, a relabelled share fails AEAD: HKDF info and AAD bind it."""
    message = sealed_share(nodes, share_binding(session="session-a"))
    relabelled = resigned(message, nodes[1], binding=share_binding(session="session-b"))
    with pytest.raises(UndecryptableMessage):
        open_sealed(nodes[2], relabelled, share_binding(session="session-b"), nodes[1].public_keys())


def test_a_share_does_not_open_for_another_recipient(nodes):
    message = sealed_share(nodes, share_binding(recipient=2))
    with pytest.raises(MisboundMessage):
        open_sealed(nodes[3], message, share_binding(recipient=3), nodes[1].public_keys())
    redirected = resigned(message, nodes[1], binding=share_binding(recipient=3))
    with pytest.raises(UndecryptableMessage):
        open_sealed(nodes[3], redirected, share_binding(recipient=3), nodes[1].public_keys())


def test_a_share_does_not_open_as_coming_from_another_sender(nodes):
    message = sealed_share(nodes, share_binding(sender=1, recipient=2))
    with pytest.raises(MisboundMessage) as refused:
        open_sealed(nodes[2], message, share_binding(sender=3, recipient=2), nodes[3].public_keys())
    assert refused.value.culprit == 3
    claimed = dataclasses.replace(message, binding=share_binding(sender=3, recipient=2))
    with pytest.raises(ForgedMessage) as forged:
        open_sealed(nodes[2], claimed, share_binding(sender=3, recipient=2), nodes[3].public_keys())
    assert forged.value.culprit == 3


@pytest.mark.parametrize("field", ["ciphertext", "ephemeral_public_key", "signature"])
def test_a_flipped_byte_is_refused(nodes, field):
    message = sealed_share(nodes)
    data = bytearray(getattr(message, field))
    data[len(data) // 2] ^= 0x01
    changes: dict[str, Any] = {field: bytes(data)}
    tampered = dataclasses.replace(message, **changes)
    with pytest.raises(ForgedMessage) as refused:
        open_sealed(nodes[2], tampered, share_binding(), nodes[1].public_keys())
    assert refused.value.culprit == 1


def test_a_sender_that_signs_garbage_is_named(nodes):
    message = sealed_share(nodes)
    garbage = resigned(message, nodes[1], ciphertext=bytes(len(message.ciphertext)))
    with pytest.raises(UndecryptableMessage) as refused:
        open_sealed(nodes[2], garbage, share_binding(), nodes[1].public_keys())
    assert refused.value.culprit == 1


def test_a_low_order_ephemeral_key_is_refused(nodes):
    message = resigned(sealed_share(nodes), nodes[1], ephemeral_public_key=bytes(32))
    with pytest.raises(UndecryptableMessage):
        open_sealed(nodes[2], message, share_binding(), nodes[1].public_keys())


def test_sealing_needs_a_recipient(nodes):
    with pytest.raises(ValueError, match="recipient"):
        seal(nodes[1], nodes[2].public_keys().x25519, SHARE, Binding("dkg", "s", "round2", 1))


def test_two_seals_of_the_same_share_differ(nodes):
    first, second = sealed_share(nodes), sealed_share(nodes)
    assert first.ephemeral_public_key != second.ephemeral_public_key
    assert first.ciphertext != second.ciphertext


@given(
    plaintext=st.binary(max_size=200),
    session=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:=+-]{0,40}", fullmatch=True),
    purpose=st.sampled_from(["dkg", "refresh", "repair"]),
    sender=st.integers(1, 3),
    recipient=st.integers(1, 3),
)
def test_seal_and_open_round_trip_through_json(nodes, plaintext, session, purpose, sender, recipient):
    binding = Binding(purpose, session, "round2", sender, recipient)
    message = seal(nodes[sender], nodes[recipient].public_keys().x25519, plaintext, binding)
    relayed = SealedMessage.from_json(json.loads(json.dumps(message.to_json())))
    assert open_sealed(nodes[recipient], relayed, binding, nodes[sender].public_keys()) == plaintext


def test_a_broadcast_verifies_under_its_senders_key(nodes):
    binding = Binding("dkg", "session-a", "round1", 1)
    message = sign_broadcast(nodes[1], binding, b"commitments")
    relayed = SignedBroadcast.from_json(json.loads(json.dumps(message.to_json())))
    assert verify_broadcast(relayed, binding, nodes[1].public_keys()) == b"commitments"


def test_a_broadcast_replayed_into_another_session_is_refused(nodes):
    message = sign_broadcast(nodes[1], Binding("dkg", "session-a", "round1", 1), b"commitments")
    with pytest.raises(MisboundMessage) as refused:
        verify_broadcast(message, Binding("dkg", "session-b", "round1", 1), nodes[1].public_keys())
    assert refused.value.culprit == 1
    relabelled = dataclasses.replace(message, binding=Binding("dkg", "session-b", "round1", 1))
    with pytest.raises(ForgedMessage):
        verify_broadcast(relabelled, relabelled.binding, nodes[1].public_keys())


@pytest.mark.parametrize(
    "change",
    [
        {"payload": b"commitmentz"},
        {"binding": Binding("refresh", "session-a", "round1", 1)},
        {"binding": Binding("dkg", "session-a", "confirm", 1)},
    ],
)
def test_an_altered_broadcast_is_refused(nodes, change):
    message = dataclasses.replace(
        sign_broadcast(nodes[1], Binding("dkg", "session-a", "round1", 1), b"commitments"), **change
    )
    with pytest.raises(ForgedMessage):
        verify_broadcast(message, message.binding, nodes[1].public_keys())


def test_a_broadcast_signed_by_another_node_is_refused(nodes):
    binding = Binding("dkg", "session-a", "round1", 1)
    message = sign_broadcast(nodes[2], binding, b"commitments")
    with pytest.raises(ForgedMessage) as refused:
        verify_broadcast(message, binding, nodes[1].public_keys())
    assert refused.value.culprit == 1


def test_broadcast_and_sealed_signatures_are_not_interchangeable(nodes):
    """A sealed message's signature cannot pass as a broadcast's: the labels differ."""
    sealed = sealed_share(nodes)
    binding = Binding("dkg", "session-a", "round2", 1)
    forged = SignedBroadcast(binding, sealed.signed_bytes(), sealed.signature)
    with pytest.raises(ForgedMessage):
        verify_broadcast(forged, binding, nodes[1].public_keys())


@pytest.mark.parametrize(
    ("edit", "culprit"),
    [
        (lambda m: m.pop("signature"), 1),
        (lambda m: m.update(extra=1), 1),
        (lambda m: m.update(signature="zz"), 1),
        (lambda m: m.update(signature="00" * 63), 1),
        (lambda m: m.update(ephemeral_public_key="00" * 31), 1),
        (lambda m: m.update(ciphertext="00" * 15), 1),
        (lambda m: m.update(recipient=0), 1),
        (lambda m: m.update(sender=True), 0),
        (lambda m: m.update(session_id="has space"), 1),
        (lambda m: m.update(round=7), 1),
    ],
)
def test_malformed_sealed_messages_are_refused_naming_the_sender(nodes, edit, culprit):
    value = sealed_share(nodes).to_json()
    edit(value)
    with pytest.raises(MalformedMessage) as refused:
        SealedMessage.from_json(value)
    assert refused.value.culprit == culprit


def test_a_message_that_is_not_an_object_is_malformed():
    with pytest.raises(MalformedMessage):
        SignedBroadcast.from_json(["not", "an", "object"])


def test_the_identity_round_trips_and_never_shows_its_private_keys():
    identity = NodeIdentity.generate()
    record = identity.to_json()
    restored = NodeIdentity.from_json(record)
    assert restored.public_keys() == identity.public_keys()
    for private in record.values():
        assert private not in repr(identity)
    with pytest.raises(ValueError, match="exactly"):
        NodeIdentity.from_json({**record, "extra": "00"})
    with pytest.raises(ValueError, match="32 bytes"):
        NodeIdentity.from_json({**record, "x25519": "00" * 31})


def test_binding_fields_are_checked():
    with pytest.raises(ValueError, match="session id"):
        Binding("dkg", "", "round1", 1)
    with pytest.raises(ValueError, match="sender"):
        Binding("dkg", "s", "round1", 0)
    with pytest.raises(ValueError, match="purpose"):
        Binding("DKG", "s", "round1", 1)
