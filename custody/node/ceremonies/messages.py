"""This node's side of the messages a coordinator relays in key ceremonies: it signs its broadcasts, seals
its secrets to one recipient each, and accepts other nodes' messages only when they verify against the
roster, naming every node whose message is missing, malformed, misbound, forged or undecryptable.

Broadcast payloads are canonical JSON objects (sorted keys, no spaces), so what a node signs is exactly what
every other node parses after checking the signature.
"""

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from chain.files import canonical_json
from custody.envelope import (
    Binding,
    EnvelopeError,
    NodeIdentity,
    SealedMessage,
    SignedBroadcast,
    open_sealed,
    seal,
    sign_broadcast,
    verify_broadcast,
)
from custody.frost.errors import FrostError
from custody.node.records.shares import StoredKey
from custody.protocol.errors import CeremonyAborted, MalformedRequest
from custody.roster import Roster, RosterError

_Raw = TypeVar("_Raw")
_Parsed = TypeVar("_Parsed")


@dataclass(frozen=True)
class Step:
    """One round of one ceremony session: where a message belongs, but for its sender and recipient."""

    purpose: str
    session_id: str
    round_name: str

    def binding(self, sender: int, recipient: int | None = None) -> Binding:
        """The binding of `sender`'s message of this step (to `recipient`, if sealed)."""
        return Binding(self.purpose, self.session_id, self.round_name, sender, recipient)


@dataclass(frozen=True)
class Participant:
    """A node as a ceremony participant: its id, its private identity, and the roster it trusts."""

    node_id: int
    identity: NodeIdentity
    roster: Roster

    def __post_init__(self) -> None:
        if self.roster.node(self.node_id).keys != self.identity.public_keys():
            raise ValueError(f"the identity keys are not those the roster lists for node {self.node_id}")

    def members(self, node_ids: Iterable[int], what: str) -> list[int]:
        """`node_ids` sorted, if all are distinct roster members; MalformedRequest otherwise."""
        try:
            return self.roster.require_members(node_ids)
        except RosterError as error:
            raise MalformedRequest(f"{what}: {error}") from None

    def broadcast(self, step: Step, payload: Mapping[str, Any]) -> SignedBroadcast:
        """`payload`, signed as this node's broadcast in `step`."""
        return sign_broadcast(self.identity, step.binding(self.node_id), canonical_json(payload))

    def describe_key(self, stored: StoredKey, prepared: StoredKey | None = None) -> SignedBroadcast:
        """This node's signed statement of the public side of a key it holds a share of, and of the
        generation a refresh `prepared` (awaiting commit or abort), if any."""
        payload: dict[str, Any] = {
            "key_id": stored.key_id,
            "group_public_key": stored.key_package.group_public_key.to_bytes().hex(),
            "public_key_package": stored.public_key_package.to_bytes().hex(),
            "key_version": stored.version,
            "threshold": stored.key_package.min_signers,
            "ceremony": stored.ceremony,
        }
        if prepared is not None:
            payload["prepared"] = {
                "ceremony": prepared.ceremony,
                "key_version": prepared.version,
                "public_key_package": prepared.public_key_package.to_bytes().hex(),
            }
        return self.broadcast(Step("key", stored.key_id, "info"), payload)

    def accept_broadcasts(
        self, step: Step, messages: Mapping[int, Any], senders: Iterable[int]
    ) -> dict[int, dict[str, Any]]:
        """Each other sender's broadcast payload, once every one verifies; else CeremonyAborted naming them.

        This node's own broadcast, which the coordinator relays to everyone alike, is passed over: what it
        sent is already in its session state.
        """

        def accept(sender: int, raw: Any) -> dict[str, Any]:
            message = SignedBroadcast.from_json(raw)
            payload = json.loads(
                verify_broadcast(message, step.binding(sender), self.roster.node(sender).keys)
            )
            if not isinstance(payload, dict):
                raise ValueError("a broadcast payload is a JSON object")
            return payload

        others = {sender: raw for sender, raw in messages.items() if sender != self.node_id}
        peers = [sender for sender in senders if sender != self.node_id]
        what = f"{step.round_name} broadcast"
        return parse_each(_expect(others, peers, what), accept, what)

    def seal_each(self, step: Step, secrets: Mapping[int, bytes]) -> dict[int, SealedMessage]:
        """Each secret sealed to its recipient node and signed by this node, in `step`."""
        return {
            recipient: seal(
                self.identity,
                self.roster.node(recipient).keys.x25519,
                secret,
                step.binding(self.node_id, recipient),
            )
            for recipient, secret in secrets.items()
        }

    def open_each(self, step: Step, messages: Mapping[int, Any], senders: Iterable[int]) -> dict[int, bytes]:
        """The plaintext each sender sealed to this node in `step`; CeremonyAborted naming any that does not
        open."""

        def accept(sender: int, raw: Any) -> bytes:
            message = SealedMessage.from_json(raw)
            binding = step.binding(sender, self.node_id)
            return open_sealed(self.identity, message, binding, self.roster.node(sender).keys)

        what = f"sealed {step.round_name}"
        return parse_each(_expect(messages, senders, what), accept, what)


def parse_each(
    values: Mapping[int, _Raw], parse: Callable[[int, _Raw], _Parsed], what: str
) -> dict[int, _Parsed]:
    """`parse` applied to each sender's value; CeremonyAborted naming every sender whose value is refused."""
    parsed: dict[int, _Parsed] = {}
    culprits: list[int] = []
    reasons: list[str] = []
    for sender, value in sorted(values.items()):
        try:
            parsed[sender] = parse(sender, value)
        except EnvelopeError as error:
            culprits.append(sender)
            reasons.append(error.reason)
        except (FrostError, ValueError, KeyError, TypeError):
            culprits.append(sender)
            reasons.append(f"unreadable {what}")
    if culprits:
        raise CeremonyAborted(culprits, f"{what} refused: " + "; ".join(dict.fromkeys(reasons)))
    return parsed


def _expect(messages: Mapping[int, _Raw], senders: Iterable[int], what: str) -> dict[int, _Raw]:
    """One message per expected sender; CeremonyAborted naming the senders whose message is missing."""
    expected = set(senders)
    strangers = sorted(set(messages) - expected)
    if strangers:
        raise CeremonyAborted((), f"{what}s from nodes {strangers}, which take no part")
    missing = sorted(expected - set(messages))
    if missing:
        raise CeremonyAborted(missing, f"no {what}")
    return {sender: messages[sender] for sender in sorted(expected)}
