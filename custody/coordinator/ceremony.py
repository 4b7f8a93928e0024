"""What the coordinator's key ceremonies (DKG, refresh, repair) share: relaying a round to every node
involved, checking what each node sends before passing it on, and how a ceremony ends.

The coordinator only relays. It cannot read a sealed share or forge a signed message. It checks that
every message a node hands it parses and is bound to that node and this session's round (so a node that
sends a misaddressed one is named at once); the signatures are for the recipients to check, which they
must do anyway. The nodes' final statements of the key, which the coordinator itself relies on, it
verifies against the roster.

A ceremony needs every node it involves: the first round in which any node fails ends it, every node is
told to abort the session (deleting its secret state and releasing its lock on the key), and
`KeyCeremonyFailed` says what each node did and names the culprits: nodes that misbehaved towards the
coordinator, and nodes their peers named when aborting (a node that aborts is asked for its signed account
of the session, so every accusation relayed is one the accuser signed). An accusation of a bad share must
carry its evidence (`custody.protocol.evidence`): the accused is named only if the evidence proves the share
bad, the accuser if it proves the share good, and an accusation whose evidence proves nothing is rejected
(recorded, nobody named). Only the last round is weighed differently: if at least the threshold of nodes
store the key, it is in use (KeyCeremonyIncomplete). For a refresh that round only prepares the new shares,
and its end is a commit or an abort (`custody.coordinator.refresh`); a committed refresh is never aborted
(`fail(abort=False)`).
"""

import asyncio
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn, Protocol, TypeVar

from pydantic import BaseModel, RootModel

from custody.audit import AuditLog
from custody.coordinator.auditing import record
from custody.coordinator.errors import (
    KeyCeremonyFailed,
    KeyCeremonyIncomplete,
    NodeCallError,
    NodeFailure,
    NodeMisbehaved,
)
from custody.envelope import (
    Binding,
    EnvelopeError,
    MisboundMessage,
    SealedMessage,
    SignedBroadcast,
    verify_broadcast,
)
from custody.frost import Point, PublicKeyPackage
from custody.frost.errors import FrostError
from custody.protocol.ceremonies import AbortAnswer, AbortBody
from custody.protocol.errors import CeremonyAborted, GroupKeyUnusable
from custody.protocol.evidence import InvalidEvidence, check_share_accusation
from custody.roster import Roster

AnswerT = TypeVar("AnswerT", bound=BaseModel)
_ABORTS = frozenset({CeremonyAborted.problem_type(), GroupKeyUnusable.problem_type()})
"""Problem types of a node that ended the session itself, and can say whom it blames."""
_Checked = TypeVar("_Checked")


class NodeCaller(Protocol):
    """What the ceremonies need from `custody.coordinator.client.NodeClient`: one checked call to one node."""

    async def call(
        self, node: Any, method: str, path: str, body: BaseModel | None, answer: type[AnswerT]
    ) -> AnswerT:
        """Send `body` to `node`; the parsed answer, or a NodeCallError."""
        ...


class RelayedMessage(RootModel[dict[str, Any]]):
    """A node's answer that is one signed broadcast, whose shape the coordinator checks itself."""


@dataclass(frozen=True)
class KeyInfo:
    """The public outcome of a ceremony: the key id and the group's public key package."""

    key_id: str
    public_key_package: PublicKeyPackage

    @property
    def group_public_key(self) -> Point:
        """The group key the contracts verify signatures under."""
        return self.public_key_package.group_public_key

    @property
    def threshold(self) -> int:
        """How many nodes must sign."""
        assert self.public_key_package.min_signers is not None
        return self.public_key_package.min_signers

    @property
    def holders(self) -> list[int]:
        """The nodes holding a share."""
        return list(self.public_key_package.verifying_shares)


@dataclass
class CeremonySession:
    """One session of one ceremony, relayed to a fixed set of nodes; records what every node did."""

    caller: NodeCaller
    roster: Roster
    audit: AuditLog
    ceremony: str
    key_id: str
    session_id: str
    nodes: list[int]
    failures: dict[int, NodeFailure] = field(default_factory=dict)
    culprits: set[int] = field(default_factory=set)
    rejected: dict[int, str] = field(default_factory=dict)
    """Accusations refused for want of valid evidence, by accuser, with the reason."""

    async def round(
        self,
        path: str,
        bodies: Mapping[int, BaseModel],
        answer: type[AnswerT],
        check: Callable[[int, AnswerT], _Checked],
        *,
        final: bool = False,
    ) -> dict[int, _Checked]:
        """POST each node its body concurrently; each answer passed through `check`. Any failure ends the
        session (KeyCeremonyFailed, after telling every node to abort), except in a `final` round, whose
        failures are left in `failures` for the caller to weigh against what the others answered."""
        node_ids = sorted(bodies)
        answers = await asyncio.gather(
            *(
                self.caller.call(self.roster.node(node), "POST", path, bodies[node], answer)
                for node in node_ids
            ),
            return_exceptions=True,
        )
        checked: dict[int, _Checked] = {}
        for node, result in zip(node_ids, answers, strict=True):
            try:
                if isinstance(result, BaseException):
                    raise result
                checked[node] = check(node, result)
            except NodeCallError as error:
                self._record(node, error)
            except (EnvelopeError, FrostError, ValueError, KeyError, TypeError) as error:
                self._record(node, NodeMisbehaved(node, f"sent an unacceptable answer to {path}: {error}"))
        if self.failures:
            aborted = [node for node, failure in self.failures.items() if failure.problem_type in _ABORTS]
            for blamed in await asyncio.gather(*(self._accusation(node) for node in aborted)):
                self.culprits.update(blamed)
            if not final:
                await self.fail()
        return checked

    def broadcast(self, sender: int, raw: Mapping[str, Any], round_name: str) -> dict[str, Any]:
        """`raw`, to relay unchanged, once it parses as a broadcast bound to `sender` and this session's
        round. Its signature is left to the recipients, which must check it anyway."""
        expected = Binding(self.ceremony, self.session_id, round_name, sender)
        if SignedBroadcast.from_json(dict(raw)).binding != expected:
            raise MisboundMessage(sender, "a broadcast bound to another place than expected")
        return dict(raw)

    def sealed(self, sender: int, raw: Mapping[str, Any], round_name: str, recipient: int) -> dict[str, Any]:
        """`raw`, to relay unchanged, once it parses as a sealed message bound from `sender` to `recipient`
        for this session's round. Its signature is left to the recipient, which must check it anyway."""
        expected = Binding(self.ceremony, self.session_id, round_name, sender, recipient)
        if SealedMessage.from_json(dict(raw)).binding != expected:
            raise MisboundMessage(sender, "a sealed message bound to another place than expected")
        return dict(raw)

    def statement(self, sender: int, raw: Mapping[str, Any]) -> PublicKeyPackage:
        """Check `raw` is `sender`'s signed statement of this key; the public key package it states."""
        return key_statement(self.roster, self.key_id, sender, raw)

    async def agreed(self, statements: Mapping[int, PublicKeyPackage]) -> KeyInfo:
        """The key every node stated, if they all state the same; else the session fails."""
        if len({package.to_bytes() for package in statements.values()}) != 1:
            await self.refuse_outcome(statements, "the nodes state different keys", blame=False)
        return KeyInfo(self.key_id, next(iter(statements.values())))

    async def refuse_outcome(self, nodes: Iterable[int], reason: str, *, blame: bool) -> None:
        """Fail the session because of what `nodes` stated at its end (naming them if `blame`)."""
        for node in nodes:
            self.failures[node] = NodeFailure("misbehaved", reason)
            if blame:
                self.culprits.add(node)
        await self.fail()

    async def complete(self, info: KeyInfo) -> KeyInfo:
        """Audit the ceremony's success; `info`."""
        await self.record("completed", {"group_public_key": info.group_public_key.to_bytes().hex()})
        return info

    async def settle(self, statements: Mapping[int, PublicKeyPackage]) -> KeyInfo:
        """The outcome of a final round: the key, if every node stated it. If only some did, but at least
        its threshold (so the key is in use), KeyCeremonyIncomplete; with fewer, KeyCeremonyFailed."""
        if not statements:
            await self.fail()
        info = await self.agreed(statements)
        if self.failures:
            await self.fail(info if len(statements) >= info.threshold else None)
        return info

    async def fail(self, in_use: KeyInfo | None = None, *, abort: bool = True) -> NoReturn:
        """Tell every node to abort the session (unless not to `abort`: a committed refresh is never rolled
        back), audit the failure, raise KeyCeremonyFailed (or, when the key came out `in_use` all the same,
        KeyCeremonyIncomplete)."""
        if abort:
            await asyncio.gather(*(self.abort(node) for node in self.nodes))
        await self.record(
            "failed" if in_use is None else "incomplete",
            {
                "failures": {str(node): failure.to_json() for node, failure in sorted(self.failures.items())},
                "culprits": sorted(self.culprits),
                "rejected_accusations": {str(node): why for node, why in sorted(self.rejected.items())},
            },
        )
        failed = KeyCeremonyFailed(self.ceremony, self.key_id, self.session_id, self.failures, self.culprits)
        raise failed if in_use is None else KeyCeremonyIncomplete(failed, in_use)

    async def record(self, outcome: str, details: Mapping[str, Any]) -> None:
        """Append ``keys.<ceremony>.<outcome>`` to the coordinator's audit log."""
        await record(
            self.audit,
            f"keys.{self.ceremony}.{outcome}",
            f"session:{self.session_id}",
            {"key_id": self.key_id, "nodes": self.nodes, **details},
        )

    def _record(self, node: int, error: NodeCallError) -> None:
        self.failures[node] = NodeFailure.of(error)
        if isinstance(error, NodeMisbehaved):
            self.culprits.add(node)

    async def _accusation(self, node: int) -> list[int]:
        """The culprits `node` names, in its signed account of how this session ended on it."""
        try:
            answer = await self.caller.call(
                self.roster.node(node), "GET", f"/v1/keys/sessions/{self.session_id}", None, RelayedMessage
            )
            message = SignedBroadcast.from_json(answer.root)
            binding = Binding("session", self.session_id, "outcome", node)
            account = _json_object(verify_broadcast(message, binding, self.roster.node(node).keys))
        except (NodeCallError, EnvelopeError, ValueError):
            return []
        culprits = account.get("culprits")
        if account.get("phase") != "aborted" or not isinstance(culprits, list):
            return []
        if "evidence" in account:
            return self._weigh_evidence(node, account["evidence"])
        return [culprit for culprit in culprits if culprit in self.roster]

    def _weigh_evidence(self, accuser: int, evidence: Any) -> list[int]:
        """Whom `accuser`'s evidenced accusations of bad shares blame: each accused the evidence convicts,
        the accuser itself if the evidence clears the accused; evidence that proves nothing is rejected."""
        blamed: list[int] = []
        for item in evidence if isinstance(evidence, list) else [None]:
            try:
                if not isinstance(item, dict) or item.get("accuser") != accuser:
                    raise InvalidEvidence(f"node {accuser} sent evidence that is not its own")
                proven = check_share_accusation(self.roster, self.ceremony, self.session_id, item)
            except InvalidEvidence as error:
                self.rejected[accuser] = str(error)
                continue
            blamed.append(item["accused"] if proven else accuser)
        return blamed

    async def abort(self, node: int) -> bool:
        """Tell `node` to abort the session (rolling back a refresh it prepared); whether it answered.

        Best effort: a node that cannot be told expires an open session after its time to live, and keeps a
        prepared refresh until a coordinator drives its end (`custody.coordinator.refresh`)."""
        try:
            await self.caller.call(
                self.roster.node(node),
                "POST",
                "/v1/keys/abort",
                AbortBody(session_id=self.session_id),
                AbortAnswer,
            )
        except NodeCallError:
            return False
        return True


def key_statement(roster: Roster, key_id: str, sender: int, raw: Mapping[str, Any]) -> PublicKeyPackage:
    """The public key package `sender` states for `key_id` in its signed statement `raw`."""
    stated = stated_key(roster, key_id, sender, raw)
    return PublicKeyPackage.from_bytes(bytes.fromhex(stated["public_key_package"]))


def stated_key(roster: Roster, key_id: str, sender: int, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The whole payload of `sender`'s signed statement `raw` of `key_id`, once its signature verifies
    (`custody.node.ceremonies.messages.Participant.describe_key`: the active generation, and a prepared
    one)."""
    message = SignedBroadcast.from_json(dict(raw))
    payload = verify_broadcast(message, Binding("key", key_id, "info", sender), roster.node(sender).keys)
    return _json_object(payload)


def _json_object(payload: bytes) -> dict[str, Any]:
    value = json.loads(payload)
    if not isinstance(value, dict):
        raise ValueError("a payload is a JSON object")
    return value
