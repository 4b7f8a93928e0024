"""`KeyCoordinator`: new group keys (DKG), refreshed shares and repaired shares across the signer nodes,
with the coordinator only relaying what the nodes sign and seal to each other.

A DKG and a refresh run the same four relayed rounds (`custody.node.ceremonies.sharing`): round 1 collects
every node's signed broadcast, round 2 hands each node all of them and collects its shares sealed per
recipient, round 3 hands each node the shares sealed to it and collects signed confirmations, confirm hands
every node all confirmations and collects each node's signed statement of the key it now holds. A DKG whose
group key the contracts cannot take (x >= N) is aborted by every node and run again in a new session. A
refresh's confirm round only prepares the new shares; it ends in a separate commit or abort
(`custody.coordinator.refresh`), which `refresh` first drives for any refresh a crashed coordinator left
undecided. Repairs are in `custody.coordinator.repair`.

`public_keys` maps key ids to public key packages: pass the same mapping to the signing `SigningCoordinator`,
and every ceremony that leaves a key in use updates it (a refresh changes every verifying share). If some
nodes fail the confirm round while at least the threshold store the key, the key is in use all the same:
KeyCeremonyIncomplete names the lagging nodes, to be repaired (`KeyCoordinator.repair`).
"""

import asyncio
import hashlib
import re
import secrets
from collections.abc import MutableMapping, Sequence
from typing import Any, Final

from pydantic import BaseModel

from custody.audit import AuditLog
from custody.coordinator.ceremony import CeremonySession, KeyInfo, NodeCaller, RelayedMessage, key_statement
from custody.coordinator.errors import (
    KeyCeremonyFailed,
    KeyCeremonyIncomplete,
    KeyDisagreement,
    NodeCallError,
)
from custody.coordinator.refresh import finish_refresh, resume_refresh
from custody.coordinator.repair import relay_repair
from custody.envelope import EnvelopeError
from custody.frost import PublicKeyPackage
from custody.frost.errors import FrostError
from custody.protocol.ceremonies import (
    ConfirmBody,
    DkgRound1Body,
    RefreshRound1Body,
    Round2Body,
    Round3Body,
    SealedShares,
)
from custody.protocol.errors import GroupKeyUnusable
from custody.protocol.ids import KEY_ID_PATTERN, key_version
from custody.roster import Roster

DKG_ATTEMPTS: Final = 3
"""New sessions a DKG may take when the group key comes out unusable on-chain (probability ~2^-128 each)."""


class KeyCoordinator:
    """Runs key ceremonies over the roster's nodes; holds no share and cannot read one."""

    def __init__(
        self,
        roster: Roster,
        client: NodeCaller,
        *,
        audit: AuditLog,
        public_keys: MutableMapping[str, PublicKeyPackage] | None = None,
        dkg_attempts: int = DKG_ATTEMPTS,
    ) -> None:
        self.roster = roster
        self.client = client
        self.audit = audit
        self.public_keys: MutableMapping[str, PublicKeyPackage] = {} if public_keys is None else public_keys
        self.dkg_attempts = dkg_attempts

    async def create_key(
        self, threshold: int, participants: Sequence[int] | None = None, *, key_id: str | None = None
    ) -> KeyInfo:
        """A new `threshold`-of-`participants` key (default: every roster node) under `key_id` (default:
        a random one). Raises KeyCeremonyFailed naming the culprits if the nodes cannot complete it."""
        nodes = self.roster.require_members(self.roster.node_ids if participants is None else participants)
        if not 2 <= threshold <= len(nodes):
            raise ValueError(f"the threshold must be in [2, {len(nodes)}]")
        key_id = key_id or f"key-{secrets.token_hex(8)}"
        if not re.fullmatch(KEY_ID_PATTERN, key_id):
            raise ValueError(f"a key id matches {KEY_ID_PATTERN}")
        for attempt in range(1, self.dkg_attempts + 1):
            session = self._session("dkg", key_id, nodes)
            start = DkgRound1Body(
                session_id=session.session_id, key_id=key_id, threshold=threshold, participants=nodes
            )
            try:
                return await self._share(session, start)
            except KeyCeremonyFailed as failure:
                if attempt < self.dkg_attempts and failure.problem_types == {GroupKeyUnusable.problem_type()}:
                    continue
                raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def refresh(self, key_id: str, participants: Sequence[int] | None = None) -> KeyInfo:
        """New shares of the same group key among `participants` (default: every holder); holders left
        out are dropped from the key. Old shares stay in use until the threshold of participants have
        prepared the new ones and the coordinator commits them (`custody.coordinator.refresh`)."""
        resumed = await self.resume_refresh(key_id)
        current = resumed.public_key_package if resumed is not None else await self.public_key(key_id)
        holders = list(current.verifying_shares)
        nodes = self.roster.require_members(holders if participants is None else participants)
        session = self._session("refresh", key_id, nodes)
        start = RefreshRound1Body(
            session_id=session.session_id,
            key_id=key_id,
            key_version=key_version(current),
            participants=nodes,
        )
        try:
            info = await finish_refresh(session, current, await self._rounds(session, start))
        except KeyCeremonyIncomplete as incomplete:
            self.public_keys[key_id] = incomplete.info.public_key_package
            raise
        self.public_keys[key_id] = info.public_key_package
        return info

    async def resume_refresh(self, key_id: str) -> KeyInfo | None:
        """Commit or roll back a refresh of `key_id` a coordinator left prepared on some nodes (it crashed
        or lost them): the key committed, or None if none was pending or it rolled back. See
        `custody.coordinator.refresh.resume_refresh`."""
        try:
            info = await resume_refresh(self.client, self.roster, self.audit, key_id)
        except KeyCeremonyIncomplete as incomplete:
            self.public_keys[key_id] = incomplete.info.public_key_package
            raise
        if info is not None:
            self.public_keys[key_id] = info.public_key_package
        return info

    async def repair(self, key_id: str, lost_node: int, helpers: Sequence[int] | None = None) -> KeyInfo:
        """Rebuild `lost_node`'s share of `key_id` (after it lost its key record) with `helpers`
        (default: the threshold's worth of other holders, lowest ids first)."""
        key = KeyInfo(key_id, await self.public_key(key_id))
        if lost_node not in key.holders:
            raise ValueError(f"node {lost_node} holds no share of key {key_id!r}")
        others = [node for node in key.holders if node != lost_node]
        chosen = self.roster.require_members(others[: key.threshold] if helpers is None else helpers)
        session = self._session("repair", key_id, [*chosen, lost_node])
        return await relay_repair(session, key, lost_node, chosen)

    async def public_key(self, key_id: str) -> PublicKeyPackage:
        """The key's public key package: the one this coordinator knows, else what the nodes state."""
        known = self.public_keys.get(key_id)
        if known is None:
            known = (await self.fetch_key(key_id)).public_key_package
            self.public_keys[key_id] = known
        return known

    async def stated_key(self, key_id: str) -> PublicKeyPackage:
        """The key the nodes state now (`fetch_key`), remembered in `public_keys`: what the signing
        `SigningCoordinator` reads before blaming nodes whose shares fail against its copy of the key."""
        stated = (await self.fetch_key(key_id)).public_key_package
        self.public_keys[key_id] = stated
        return stated

    async def fetch_key(self, key_id: str) -> KeyInfo:
        """Ask every node for its signed statement of `key_id`; the key, if every holder that answers states
        the same one and at least the threshold do. KeyDisagreement otherwise."""
        answers = await asyncio.gather(
            *(
                self.client.call(node, "GET", f"/v1/keys/{key_id}", None, RelayedMessage)
                for node in self.roster
            ),
            return_exceptions=True,
        )
        statements: dict[int, bytes] = {}
        for node, answer in zip(self.roster.node_ids, answers, strict=True):
            if isinstance(answer, NodeCallError):
                continue
            if isinstance(answer, BaseException):
                raise answer
            try:
                stated = key_statement(self.roster, key_id, node, answer.root)
            except (EnvelopeError, FrostError, ValueError, KeyError, TypeError):
                continue
            if node in stated.verifying_shares:  # only a holder of the package it states speaks for it
                statements[node] = stated.to_bytes()
        stated_by: dict[bytes, list[int]] = {}
        for node, package_bytes in statements.items():
            stated_by.setdefault(package_bytes, []).append(node)
        if len(stated_by) != 1:
            groups = "; ".join(
                f"nodes {nodes} state package sha256:{hashlib.sha256(package).hexdigest()[:16]}"
                for package, nodes in stated_by.items()
            )
            raise KeyDisagreement(
                f"the nodes state different keys for {key_id!r} (e.g. a missed refresh): {groups}"
            )
        package = PublicKeyPackage.from_bytes(next(iter(statements.values())))
        if len(statements) < (package.min_signers or 0):
            raise KeyDisagreement(f"only {len(statements)} nodes state key {key_id!r}, below its threshold")
        return KeyInfo(key_id, package)

    def _session(self, ceremony: str, key_id: str, nodes: list[int]) -> CeremonySession:
        return CeremonySession(
            self.client, self.roster, self.audit, ceremony, key_id, secrets.token_hex(16), sorted(nodes)
        )

    async def _share(self, session: CeremonySession, start: BaseModel) -> KeyInfo:
        """The four relayed rounds of a DKG among `session.nodes`; the key it made is recorded in
        `public_keys` if it is in use, even by only some nodes."""
        statements = await self._rounds(session, start)
        if statements:
            stated = await session.agreed(statements)
            if stated.holders != session.nodes:
                await session.refuse_outcome(
                    statements, "they state another key than the one made", blame=True
                )
        try:
            info = await session.settle(statements)
        except KeyCeremonyIncomplete as incomplete:
            self.public_keys[session.key_id] = incomplete.info.public_key_package
            raise
        self.public_keys[session.key_id] = info.public_key_package
        return await session.complete(info)

    async def _rounds(self, session: CeremonySession, start: BaseModel) -> dict[int, PublicKeyPackage]:
        """The four relayed rounds of a DKG or refresh among `session.nodes`; the key each node that
        answered the last (confirm) round states (a DKG's is active there, a refresh's prepared)."""
        prefix = f"/v1/keys/{session.ceremony}"
        nodes = session.nodes
        round1 = await session.round(
            f"{prefix}/round1",
            dict.fromkeys(nodes, start),
            RelayedMessage,
            lambda node, answer: session.broadcast(node, answer.root, "round1"),
        )

        def check_shares(sender: int, answer: SealedShares) -> dict[int, dict[str, Any]]:
            expected = set(nodes) - {sender}
            if set(answer.sealed) != expected:
                raise ValueError(f"shares for {sorted(answer.sealed)}, not for its peers {sorted(expected)}")
            return {peer: session.sealed(sender, raw, "round2", peer) for peer, raw in answer.sealed.items()}

        sealed = await session.round(
            f"{prefix}/round2",
            dict.fromkeys(nodes, Round2Body(session_id=session.session_id, round1=round1)),
            SealedShares,
            check_shares,
        )
        confirmations = await session.round(
            f"{prefix}/round3",
            {
                node: Round3Body(
                    session_id=session.session_id,
                    round2={sender: shares[node] for sender, shares in sealed.items() if sender != node},
                )
                for node in nodes
            },
            RelayedMessage,
            lambda node, answer: session.broadcast(node, answer.root, "confirm"),
        )
        return await session.round(
            f"{prefix}/confirm",
            dict.fromkeys(nodes, ConfirmBody(session_id=session.session_id, confirmations=confirmations)),
            RelayedMessage,
            lambda node, answer: session.statement(node, answer.root),
            final=True,
        )
