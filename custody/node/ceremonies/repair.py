"""Share repair across nodes: `threshold` helpers rebuild a node's lost share without anyone learning it.

The repairable threshold scheme (`custody.frost.repair_share_step_1..3`, as the ZF crate's
`keys::repairable`), over messages the coordinator relays:
  helper round 1  each helper splits λ_i·s_i into one delta per helper, seals every other helper's delta to
                  it, and broadcasts, signed, the repair's context — with the key's public key package, which
                  the repaired node no longer has;
  helper round 2  each helper checks all helpers' broadcasts agree, opens the deltas sealed to it, adds them
                  to its own (sigma) and seals sigma to the repaired node;
  finish          the repaired node checks every helper stated the same context and key, opens the sigmas,
                  adds them and stores the share only if it matches its verifying share in the key.
A node is repaired when it lost its share, or holds a stale one: of the same group key but from before a
refresh it missed (e.g. it crashed before confirming), which no longer combines with the others' shares.
Every request names the key version (`custody.protocol.ids.key_version`) being repaired: a helper uses
its share of that generation (active, or prepared by a refresh not yet committed) and refuses if it holds
none; the repaired node refuses helpers that state another one.
A single delta or sigma reveals nothing about any share; the coordinator sees only sealed ones.
"""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chain.files import canonical_json
from custody.envelope import SealedMessage, SignedBroadcast
from custody.frost import (
    PublicKeyPackage,
    SecretScalar,
    repair_share_step_1,
    repair_share_step_2,
    repair_share_step_3,
)
from custody.keystore import KeyStore
from custody.node.ceremonies.messages import Participant, Step, parse_each
from custody.node.ceremonies.sessions import Phase, SessionStore, require_session_id
from custody.node.records.shares import (
    StoredKey,
    find_key,
    find_prepared,
    generation,
    require_key_id,
    save_key,
)
from custody.node.refusals import refusals
from custody.protocol.errors import CeremonyAborted, KeyBusy, KeyExists, MalformedRequest
from custody.protocol.ids import key_version

PURPOSE = "repair"


@dataclass(frozen=True)
class RepairRequest:
    """Which key to repair, for which node, with which helpers (round 1 and finish take the same)."""

    session_id: str
    key_id: str
    helpers: Sequence[int]
    participant: int
    key_version: str


class KeyRepair:
    """One node's part in repairs, as a helper or as the node being repaired. Not thread-safe."""

    def __init__(self, me: Participant, store: KeyStore, sessions: SessionStore) -> None:
        self._me = me
        self._store = store
        self._sessions = sessions

    def round1(self, request: RepairRequest) -> tuple[SignedBroadcast, dict[int, SealedMessage]]:
        """As a helper: the signed context and this helper's deltas sealed to the other helpers."""
        session_id, key_id, helpers, participant = self._check(request)
        if self._me.node_id not in helpers:
            raise MalformedRequest(f"node {self._me.node_id} is not among the helpers {helpers}")
        with refusals():
            current = generation(self._store, key_id, request.key_version)
        holders = set(current.holders)
        strangers = sorted(set(helpers) - holders)
        if strangers or participant not in holders:
            raise MalformedRequest(f"helpers and participant must hold shares of key {key_id!r}")
        threshold = current.key_package.min_signers
        if len(helpers) < threshold:
            raise MalformedRequest(f"a repair of key {key_id!r} needs at least {threshold} helpers")
        context = {
            "kind": PURPOSE,
            "key_id": key_id,
            "helpers": helpers,
            "participant": participant,
            "public_key_package": current.public_key_package.to_bytes().hex(),
            "roster": self._me.roster.digest().hex(),
        }
        deltas = repair_share_step_1(helpers, current.key_package, participant)
        own_delta = deltas.pop(self._me.node_id)
        state = {"context": context, "own_delta": own_delta.to_bytes().hex()}
        self._sessions.open(session_id, PURPOSE, key_id, Phase.ROUND1, state)
        sealed = self._me.seal_each(
            Step(PURPOSE, session_id, "delta"), {helper: delta.to_bytes() for helper, delta in deltas.items()}
        )
        return self._me.broadcast(Step(PURPOSE, session_id, "round1"), {"context": context}), sealed

    def round2(self, session_id: str, round1: Mapping[int, Any], deltas: Mapping[int, Any]) -> SealedMessage:
        """As a helper: check the helpers agree, sum the deltas, and seal sigma to the repaired node."""
        session = self._sessions.get(session_id, PURPOSE, Phase.ROUND1)
        context = session.state["context"]
        helpers = context["helpers"]
        with self._sessions.aborting(session):
            payloads = self._me.accept_broadcasts(Step(PURPOSE, session_id, "round1"), round1, helpers)
            misinformed = [
                sender for sender, payload in payloads.items() if payload.get("context") != context
            ]
            if misinformed:
                raise CeremonyAborted(misinformed, "repair broadcasts made for another context")
            others = [helper for helper in helpers if helper != self._me.node_id]
            opened = self._me.open_each(Step(PURPOSE, session_id, "delta"), deltas, others)
            received = parse_each(opened, lambda _sender, data: SecretScalar.from_bytes(data), "repair delta")
            own = SecretScalar.from_bytes(bytes.fromhex(session.state["own_delta"]))
            sigma = repair_share_step_2([own, *received.values()])
            participant = context["participant"]
            sealed = self._me.seal_each(Step(PURPOSE, session_id, "sigma"), {participant: sigma.to_bytes()})
        self._sessions.close(session, Phase.FINISHED)
        return sealed[participant]

    def finish(
        self, request: RepairRequest, round1: Mapping[int, Any], sigmas: Mapping[int, Any]
    ) -> SignedBroadcast:
        """As the repaired node: rebuild the share from the helpers' sigmas, check it and store it."""
        session_id, key_id, helpers, participant = self._check(request)
        if participant != self._me.node_id:
            raise MalformedRequest(f"this is node {self._me.node_id}, not the repaired node {participant}")
        session = self._sessions.open(session_id, PURPOSE, key_id, Phase.ROUND1, {})
        with self._sessions.aborting(session):
            payloads = self._me.accept_broadcasts(Step(PURPOSE, session_id, "round1"), round1, helpers)
            context = self._agreed_context(payloads, key_id, helpers)
            public_key_package = PublicKeyPackage.from_bytes(bytes.fromhex(context["public_key_package"]))
            if key_version(public_key_package) != request.key_version:
                raise CeremonyAborted(
                    (), f"the helpers repair key version {key_version(public_key_package)}, not the one asked"
                )
            self._require_lost(key_id, public_key_package)
            threshold = public_key_package.min_signers or 0
            if len(helpers) < threshold:
                raise CeremonyAborted((), f"a repair of key {key_id!r} needs at least {threshold} helpers")
            opened = self._me.open_each(Step(PURPOSE, session_id, "sigma"), sigmas, helpers)
            received = parse_each(opened, lambda _sender, data: SecretScalar.from_bytes(data), "repair sigma")
            key_package = repair_share_step_3(list(received.values()), participant, public_key_package)
            repaired = StoredKey(key_id, key_package, public_key_package, session_id)
            save_key(self._store, repaired, replace=True)
        self._sessions.close(session, Phase.FINISHED)
        return self._me.describe_key(repaired)

    def _require_lost(self, key_id: str, public_key_package: PublicKeyPackage) -> None:
        """KeyExists unless this node's share of the key is missing or stale: of the same group key but an
        older generation (a refresh it missed), which no longer combines with the others' shares."""
        prepared = find_prepared(self._store, key_id)
        if prepared is not None:
            if prepared.public_key_package == public_key_package:
                raise KeyExists(f"this node holds its share of key {key_id!r} prepared; commit the refresh")
            raise KeyBusy(f"a refresh of key {key_id!r} is prepared on this node; commit or abort it first")
        held = find_key(self._store, key_id)
        if held is None:
            return
        if held.key_package.group_public_key != public_key_package.group_public_key:
            raise KeyExists(f"this node holds a share of another group key under the key id {key_id!r}")
        if held.public_key_package == public_key_package:
            raise KeyExists(f"this node still holds its share of key {key_id!r}; it needs no repair")

    def _check(self, request: RepairRequest) -> tuple[str, str, list[int], int]:
        session_id = require_session_id(request.session_id)
        with refusals():
            key_id = require_key_id(request.key_id)
        helpers = self._me.members(request.helpers, "helpers")
        [participant] = self._me.members([request.participant], "participant")
        if participant in helpers:
            raise MalformedRequest("the repaired node cannot be one of its helpers")
        return session_id, key_id, helpers, participant

    def _agreed_context(
        self, payloads: Mapping[int, dict[str, Any]], key_id: str, helpers: list[int]
    ) -> dict[str, Any]:
        """The context every helper stated, which must be this repair's; else abort naming the outliers."""
        expected = {
            "kind": PURPOSE,
            "key_id": key_id,
            "helpers": helpers,
            "participant": self._me.node_id,
            "roster": self._me.roster.digest().hex(),
        }
        contexts = {sender: payload.get("context") for sender, payload in payloads.items()}
        stated = {sender: context for sender, context in contexts.items() if isinstance(context, dict)}
        wrong = [
            sender
            for sender in contexts
            if sender not in stated
            or {name: stated[sender].get(name) for name in expected} != expected
            or set(stated[sender]) != {*expected, "public_key_package"}
        ]
        if wrong:
            raise CeremonyAborted(wrong, "repair broadcasts made for another repair")
        votes = Counter(canonical_json(context) for context in stated.values())
        agreed, count = votes.most_common(1)[0]
        if count != len(stated):
            majority = 2 * count > len(stated)
            outliers = [
                s for s, context in stated.items() if not majority or canonical_json(context) != agreed
            ]
            raise CeremonyAborted(outliers, "helpers state different public key packages")
        return next(iter(stated.values()))
