"""The rounds a DKG and a refresh share, run by one node over messages the coordinator relays.

Both are a joint sharing (`custody.frost.pedersen`) followed by key confirmation; a `SharingScheme` says what
differs (what is dealt, how the result becomes a key, how it is stored). Rounds on each node:
  round 1  check the request, make the secret polynomial (kept in the session record), answer with a signed
           broadcast of the session context and this node's public package;
  round 2  take every node's signed round-1 broadcast, verify each against the roster and require every node
           to have been given the same context, deal, answer with one sealed share per recipient;
  round 3  open the shares sealed to this node, check them against their senders' commitments (naming a
           cheater, with the evidence anyone can check: `custody.protocol.evidence`), keep the new key
           package as PENDING in the session record, answer with a signed confirmation (the transcript
           hash and the public key package);
  confirm  take every node's signed confirmation; only if all transcripts match is the key stored: a DKG's
           for use at once, a refresh's prepared next to the old share until the coordinator commits it
           (`custody.node.ceremonies.refresh`).
Any refused message or failed check aborts the session here (its secret state is deleted) and names the
nodes at fault; the coordinator starts a new session. A node that aborts in the confirm round while the
others store the key is left without its share of it (or with a stale one): the coordinator repairs it.
"""

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from chain.files import canonical_json
from custody.envelope import SealedMessage, SignedBroadcast
from custody.frost import KeyPackage, PublicKeyPackage, SecretScalar, check_confirmations
from custody.frost.errors import InvalidSecretShare
from custody.frost.pedersen import Round1SecretPackage, Round2SecretPackage, start
from custody.keystore import KeyStore
from custody.node.ceremonies.messages import Participant, Step, parse_each
from custody.node.ceremonies.sessions import Phase, Session, SessionStore, require_session_id
from custody.node.records.shares import StoredKey, find_key, require_key_id
from custody.node.refusals import refusals
from custody.protocol.errors import CeremonyAborted, MalformedRequest
from custody.protocol.evidence import share_evidence


class Package(Protocol):
    """A round-1 public package (a DKG's Round1Package or a refresh's RefreshPackage)."""

    def to_bytes(self) -> bytes:
        """The package's wire encoding."""
        ...


P = TypeVar("P", bound=Package)


@dataclass(frozen=True)
class SharingRequest:
    """What the coordinator asks for in round 1; a refresh takes its threshold from the key (None here) and
    names the key version (generation of shares) it refreshes."""

    session_id: str
    key_id: str
    participants: Sequence[int]
    threshold: int | None = None
    key_version: str | None = None


class SharingScheme(Protocol, Generic[P]):
    """What a DKG and a refresh do differently; everything else is `KeySharing`."""

    purpose: str

    def context(
        self, request: SharingRequest, participants: list[int], current: StoredKey | None
    ) -> dict[str, Any]:
        """What every participant must have been told alike; refuses a request that does not fit `current`."""
        ...

    def start(
        self, identifier: int, context: Mapping[str, Any], current: StoredKey | None
    ) -> tuple[Round1SecretPackage, P]:
        """Part 1: the secret polynomial and the public package."""
        ...

    def decode(self, data: bytes) -> P:
        """Parse a peer's public package."""
        ...

    def deal(
        self, secret: Round1SecretPackage, packages: Mapping[int, P]
    ) -> tuple[Round2SecretPackage, dict[int, SecretScalar]]:
        """Part 2: check the peers' packages and deal one share to each."""
        ...

    def finish(
        self,
        secret: Round2SecretPackage,
        packages: Mapping[int, P],
        received: Mapping[int, SecretScalar],
        current: StoredKey | None,
    ) -> tuple[KeyPackage, PublicKeyPackage]:
        """Part 3: check the received shares and derive the new key."""
        ...

    def transcript(
        self,
        secret: Round2SecretPackage,
        packages: Mapping[int, P],
        public_key_package: PublicKeyPackage,
        session: bytes,
    ) -> bytes:
        """This node's confirmation hash of the outcome."""
        ...

    def current(self, store: KeyStore, context: Mapping[str, Any]) -> StoredKey | None:
        """The share the ceremony builds on, re-read and checked unchanged since round 1 (None for a DKG)."""
        ...

    def activate(self, store: KeyStore, new: StoredKey, context: Mapping[str, Any]) -> None:
        """Store the confirmed key for use; a repeat for the same ceremony changes nothing."""
        ...


class KeySharing(Generic[P]):
    """One node's DKG or refresh sessions. Not thread-safe: the caller runs one request at a time."""

    def __init__(
        self, scheme: SharingScheme[P], me: Participant, store: KeyStore, sessions: SessionStore
    ) -> None:
        self._scheme = scheme
        self._me = me
        self._store = store
        self._sessions = sessions

    @property
    def purpose(self) -> str:
        """``"dkg"`` or ``"refresh"``: the messages' purpose and the sessions' kind."""
        return self._scheme.purpose

    def round1(self, request: SharingRequest) -> SignedBroadcast:
        """Open the session and answer with this node's signed context and public package."""
        session_id = require_session_id(request.session_id)
        with refusals():
            key_id = require_key_id(request.key_id)
        participants = self._me.members(request.participants, "participants")
        if self._me.node_id not in participants:
            raise MalformedRequest(f"node {self._me.node_id} is not among the participants {participants}")
        current = find_key(self._store, key_id)
        context = {
            **self._scheme.context(request, participants, current),
            "roster": self._me.roster.digest().hex(),
        }
        secret, package = self._scheme.start(self._me.node_id, context, current)
        state = {"context": context, "coefficients": [f"{c:064x}" for c in secret.coefficients]}
        self._sessions.open(session_id, self.purpose, key_id, Phase.ROUND1, state)
        return self._me.broadcast(
            Step(self.purpose, session_id, "round1"),
            {"context": context, "package": package.to_bytes().hex()},
        )

    def round2(self, session_id: str, round1: Mapping[int, Any]) -> dict[int, SealedMessage]:
        """Verify every round-1 broadcast, deal, and answer with each peer's share sealed to it."""
        session = self._sessions.get(session_id, self.purpose, Phase.ROUND1)
        context = session.state["context"]
        with self._sessions.aborting(session):
            payloads = self._me.accept_broadcasts(
                Step(self.purpose, session_id, "round1"), round1, context["participants"]
            )
            packages = self._peer_packages(context, payloads)
            _, shares = self._scheme.deal(self._secret(session), packages)
            sealed = self._me.seal_each(
                Step(self.purpose, session_id, "round2"),
                {peer: share.to_bytes() for peer, share in shares.items()},
            )
        state = {
            **session.state,
            "packages": {str(peer): package.to_bytes().hex() for peer, package in packages.items()},
            "round1": {str(peer): dict(round1[peer]) for peer in packages},  # signed: evidence if need be
        }
        self._sessions.advance(session, Phase.ROUND2, state)
        return sealed

    def round3(self, session_id: str, round2: Mapping[int, Any]) -> SignedBroadcast:
        """Open and check the shares sealed to this node; keep the new key pending; sign a confirmation."""
        session = self._sessions.get(session_id, self.purpose, Phase.ROUND2)
        context = session.state["context"]
        with self._sessions.aborting(session):
            packages = {
                int(peer): self._scheme.decode(bytes.fromhex(data))
                for peer, data in session.state["packages"].items()
            }
            opened = self._me.open_each(Step(self.purpose, session_id, "round2"), round2, packages)
            received = parse_each(
                opened, lambda _sender, data: SecretScalar.from_bytes(data), "round-2 share"
            )
            current = self._scheme.current(self._store, context)
            secret, _ = self._scheme.deal(self._secret(session), packages)
            try:
                key_package, public_key_package = self._scheme.finish(secret, packages, received, current)
            except InvalidSecretShare as bad:
                evidence = [
                    share_evidence(
                        self._me.node_id,
                        self._me.identity,
                        accused,
                        session.state["round1"][str(accused)],
                        round2[accused],
                    )
                    for accused in bad.culprits
                ]
                raise CeremonyAborted(bad.culprits, str(bad), evidence) from None
            transcript = self._scheme.transcript(
                secret, packages, public_key_package, session_digest(session_id, context)
            )
        pending = {
            "context": context,
            "key_package": key_package.to_bytes().hex(),
            "public_key_package": public_key_package.to_bytes().hex(),
            "transcript": transcript.hex(),
        }
        self._sessions.advance(session, Phase.PENDING, pending)
        return self._me.broadcast(
            Step(self.purpose, session_id, "confirm"),
            {"transcript": transcript.hex(), "public_key_package": public_key_package.to_bytes().hex()},
        )

    def confirm(self, session_id: str, confirmations: Mapping[int, Any]) -> SignedBroadcast:
        """Store the pending key for use if every participant confirmed the same transcript."""
        session = self._sessions.get(session_id, self.purpose, Phase.PENDING)
        context = session.state["context"]
        with self._sessions.aborting(session):
            payloads = self._me.accept_broadcasts(
                Step(self.purpose, session_id, "confirm"), confirmations, context["participants"]
            )
            own = bytes.fromhex(session.state["transcript"])
            transcripts = parse_each(
                payloads, lambda _sender, payload: bytes.fromhex(payload["transcript"]), "confirmation"
            )
            check_confirmations(own, {**transcripts, self._me.node_id: own}, context["participants"])
            confirmed = StoredKey(
                session.key_id,
                KeyPackage.from_bytes(bytes.fromhex(session.state["key_package"])),
                PublicKeyPackage.from_bytes(bytes.fromhex(session.state["public_key_package"])),
                session_id,
            )
            self._scheme.activate(self._store, confirmed, context)
        self._sessions.close(session, Phase.FINISHED)
        return self._me.describe_key(confirmed)

    def _secret(self, session: Session) -> Round1SecretPackage:
        coefficients = [int(value, 16) for value in session.state["coefficients"]]
        return start(self._me.node_id, len(session.state["context"]["participants"]), coefficients)

    def _peer_packages(
        self, context: Mapping[str, Any], payloads: Mapping[int, dict[str, Any]]
    ) -> dict[int, P]:
        """The peers' packages, once every peer's broadcast carries this node's own context."""
        misinformed = [sender for sender, payload in payloads.items() if payload.get("context") != context]
        if misinformed:
            raise CeremonyAborted(misinformed, "round-1 broadcasts made for another session context")
        return parse_each(
            payloads,
            lambda _sender, payload: self._scheme.decode(bytes.fromhex(payload["package"])),
            "round-1 package",
        )


def session_digest(session_id: str, context: Mapping[str, Any]) -> bytes:
    """What the confirmation transcript binds as its session: the id and the whole agreed context."""
    return hashlib.sha256(canonical_json({"session_id": session_id, "context": context})).digest()
