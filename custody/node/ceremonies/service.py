"""A signer node's key ceremonies (DKG, refresh, repair) as one service: one request at a time, each audited.

Ceremony steps are short (a few curve operations and key-store writes), so one lock serialising them costs
nothing and rules out two requests racing on the same session. Every step appends to the node's audit log,
refused ones too (with the problem type and the culprits named), with the coordinator as actor; before
each step, sessions waiting beyond their time to live are expired.
"""

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from custody.audit import AuditLog
from custody.envelope import NodeIdentity, SignedBroadcast
from custody.keystore import KeyStore
from custody.node.ceremonies.dkg import DkgScheme
from custody.node.ceremonies.messages import Participant, Step
from custody.node.ceremonies.refresh import RefreshScheme, commit_refresh, rollback_refresh
from custody.node.ceremonies.repair import KeyRepair
from custody.node.ceremonies.sessions import CEREMONY_TTL_SECONDS, SessionStore
from custody.node.ceremonies.sharing import KeySharing
from custody.node.records.shares import find_prepared, load_key
from custody.node.refusals import refusals
from custody.protocol.errors import NodeError, UnknownSession
from custody.roster import Roster
from custody.tls import node_common_name

_T = TypeVar("_T")


class KeyCeremonies:
    """The DKG, refresh and repair sessions of one node, over its key store, identity, roster, audit log."""

    def __init__(
        self,
        *,
        node_id: int,
        identity: NodeIdentity,
        roster: Roster,
        keystore: KeyStore,
        audit: AuditLog,
        clock: Callable[[], float] = time.time,
        ttl_seconds: int = CEREMONY_TTL_SECONDS,
    ) -> None:
        self._me = Participant(node_id, identity, roster)
        self._keystore = keystore
        self._audit = audit
        self._sessions = SessionStore(keystore, ttl_seconds=ttl_seconds, clock=clock)
        self.dkg = KeySharing(DkgScheme(), self._me, keystore, self._sessions)
        self.refresh = KeySharing(RefreshScheme(keystore), self._me, keystore, self._sessions)
        self.repair = KeyRepair(self._me, keystore, self._sessions)
        self._lock = threading.Lock()
        if self._sessions.abandoned:
            audit.append(
                actor=node_common_name(node_id),
                action="keys.abandoned",
                subject="restart",
                details={"sessions": self._sessions.abandoned},
            )

    def sharing(self, purpose: str) -> KeySharing[Any]:
        """The DKG or refresh sessions, by purpose (``"dkg"`` or ``"refresh"``)."""
        if purpose == self.dkg.purpose:
            return self.dkg
        if purpose == self.refresh.purpose:
            return self.refresh
        raise ValueError(f"no key-sharing ceremony {purpose!r}")

    def run(
        self, step: Callable[[], _T], actor: str, step_name: str, session_id: str, details: dict[str, Any]
    ) -> _T:
        """Run one step of ceremony session `session_id` alone; audit it as ``keys.<step_name>`` (e.g.
        ``keys.dkg.round1``), or ``keys.<step_name>.refused`` if it is refused, with `actor` and `details`."""
        action = f"keys.{step_name}"
        subject = f"session:{session_id}"
        with self._lock:
            self._expire_stale(actor)
            try:
                result = step()
            except NodeError as refusal:
                self._audit.append(
                    actor=actor,
                    action=f"{action}.refused",
                    subject=subject,
                    details={
                        **details,
                        **refusal.extensions,
                        "problem": refusal.problem,
                        "detail": refusal.detail,
                    },
                )
                raise
            self._audit.append(actor=actor, action=action, subject=subject, details=details)
            return result

    def abort(self, session_id: str) -> bool:
        """Close an open ceremony session the coordinator gave up on (its secret state is deleted), or roll
        back the share a refresh prepared (the old share stays active); whether there was either.
        SessionUsed for a refresh already committed here."""
        aborted = self._sessions.abort(session_id)
        session = self._sessions.find(session_id)
        if session.kind != self.refresh.purpose:
            return aborted
        return rollback_refresh(self._keystore, session.key_id, session_id) or aborted

    def commit(self, key_id: str, session_id: str, key_version: str) -> SignedBroadcast:
        """Make the share refresh `session_id` prepared active; this node's signed statement of the key.

        A node that prepared nothing for the session (UnknownSession) is left out of a refresh committed
        without it: its session, if still open, is closed now rather than holding the key until it expires,
        so the node can be repaired at once."""
        try:
            committed = commit_refresh(self._keystore, key_id, session_id, key_version)
        except UnknownSession:
            with contextlib.suppress(UnknownSession):
                self._sessions.abort(session_id)
            raise
        return self._me.describe_key(committed)

    def outcome(self, session_id: str) -> SignedBroadcast:
        """This node's signed account of a ceremony session: its phase and, if it aborted, whom it blames.

        Signed, so an accusation the coordinator reports can be checked against the accuser's roster key.
        """
        with self._lock:
            session = self._sessions.find(session_id)
        report = session.state if not session.phase.is_open else {}
        payload = {"kind": session.kind, "key_id": session.key_id, "phase": str(session.phase), **report}
        return self._me.broadcast(Step("session", session_id, "outcome"), payload)

    def describe(self, key_id: str) -> SignedBroadcast:
        """This node's signed statement of the public side of key `key_id` (UnknownKey if it holds none),
        with the refreshed generation it holds prepared, if any (what a coordinator re-driving a refresh
        after a crash decides on)."""
        with self._lock, refusals():
            active = load_key(self._keystore, key_id)
            prepared = find_prepared(self._keystore, key_id)
        return self._me.describe_key(active, prepared)

    def _expire_stale(self, actor: str) -> None:
        """Delete the secret state of ceremonies left waiting beyond their time to live (lock held)."""
        expired = self._sessions.expire_stale()
        if expired:
            self._audit.append(
                actor=actor, action="keys.expired", subject="sweep", details={"sessions": expired}
            )
