"""Key-ceremony sessions on a signer node: their secret state between rounds, and each id used only once.

A DKG, refresh or repair keeps what it must remember between rounds (its secret polynomial, then its
pending key package) in key-store record ``dkg/<session_id>``, sealed at rest like every share. When the
ceremony ends — finished, aborted or expired — the record is overwritten durably by a tombstone without
any secret, so the secret state is gone and the session id can never be opened again (a coordinator cannot
replay old, validly signed messages into a reused session).

At most one ceremony runs per key on a node; which session holds each key is kept in memory (so the lock
costs no durable write). No ceremony outlives the process that ran it: sessions a previous process left
open are aborted when the store is opened, as the coordinator has given up on them anyway. A session left
open longer than its time to live (the coordinator died) is expired — tombstoned, its key released — when
the next ceremony request arrives, or when it is touched again.
"""

import contextlib
import enum
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from custody.errors import RecordExists, RecordNotFound
from custody.frost import CulpritError, FrostError, UnusableGroupKey
from custody.keystore import KeyStore
from custody.protocol.errors import (
    CeremonyAborted,
    GroupKeyUnusable,
    KeyBusy,
    MalformedRequest,
    NodeError,
    SessionConflict,
    SessionExists,
    SessionExpired,
    SessionUsed,
    UnknownSession,
)

SESSION_PREFIX: Final = "dkg/"
CEREMONY_TTL_SECONDS: Final = 300
"""How long a ceremony may wait between two rounds before its secret state is deleted."""

_SESSION_ID_RE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+-]{0,127}")


class Phase(enum.StrEnum):
    """Where a session stands; the first three are open, the others closed for good."""

    ROUND1 = "round1"
    ROUND2 = "round2"
    PENDING = "pending"
    FINISHED = "finished"
    ABORTED = "aborted"
    EXPIRED = "expired"

    @property
    def is_open(self) -> bool:
        """True while the session may still advance."""
        return self in (Phase.ROUND1, Phase.ROUND2, Phase.PENDING)


def require_session_id(session_id: Any) -> str:
    """`session_id` if it is 1-128 characters of [A-Za-z0-9._:=+-] starting with a letter or digit."""
    if not isinstance(session_id, str) or not _SESSION_ID_RE.fullmatch(session_id):
        raise MalformedRequest(f"a session id is 1-128 characters matching {_SESSION_ID_RE.pattern}")
    return session_id


@dataclass(frozen=True)
class Session:
    """A ceremony session as stored: while open, `state` is secret; once closed, it is the public report."""

    session_id: str
    kind: str
    key_id: str
    phase: Phase
    created: int
    state: dict[str, Any] = field(repr=False)


class SessionStore:
    """The ceremony sessions in one node's key store; not thread-safe (the caller serialises ceremonies)."""

    def __init__(
        self,
        store: KeyStore,
        *,
        ttl_seconds: int = CEREMONY_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._clock = clock
        self._holders: dict[str, str] = {}
        """key id -> the open session that holds it."""
        self.abandoned = self._abandon_open()
        """The sessions a previous process left open, now aborted."""

    def open(self, session_id: str, kind: str, key_id: str, phase: Phase, state: dict[str, Any]) -> Session:
        """Start a session holding `key_id`; SessionExists for a used id, KeyBusy for a held key."""
        self.expire_stale()
        name = _session_record(session_id)
        if self._store.exists(name):
            raise SessionExists(f"session {session_id!r} was already used on this node")
        if key_id in self._holders:
            raise KeyBusy(f"another ceremony on key {key_id!r} is still open on this node")
        session = Session(session_id, kind, key_id, phase, int(self._clock()), state)
        try:
            self._store.put_json(name, _to_json(session), replace=False)
        except RecordExists:
            raise SessionExists(f"session {session_id!r} was already used on this node") from None
        self._holders[key_id] = session_id
        return session

    def get(self, session_id: str, kind: str, phase: Phase) -> Session:
        """The open session `session_id` of `kind`, which must be at `phase`; expires it if it is stale."""
        session = self._load(session_id)
        if session is None:
            raise UnknownSession(f"no key ceremony {session_id!r} on this node")
        if session.kind != kind:
            raise SessionConflict(f"session {session_id!r} is a {session.kind}, not a {kind}")
        if not session.phase.is_open:
            raise SessionUsed(f"session {session_id!r} is {session.phase}")
        if self._is_stale(session):
            self.close(session, Phase.EXPIRED)
            raise SessionExpired(f"session {session_id!r} waited longer than {self._ttl} s and was deleted")
        if session.phase != phase:
            raise SessionConflict(f"session {session_id!r} is at {session.phase}; this request needs {phase}")
        return session

    def advance(self, session: Session, phase: Phase, state: dict[str, Any]) -> Session:
        """Replace the session's state durably (the previous secret state is overwritten)."""
        advanced = Session(session.session_id, session.kind, session.key_id, phase, session.created, state)
        self._store.put_json(_session_record(session.session_id), _to_json(advanced))
        return advanced

    def close(self, session: Session, outcome: Phase, report: dict[str, Any] | None = None) -> None:
        """Tombstone the session (deleting its secret state) and release its key.

        `report` (public: why an abort happened and whom it blames) stays in the tombstone.
        """
        if outcome.is_open:
            raise ValueError("a session closes as finished, aborted or expired")
        closed = Session(
            session.session_id, session.kind, session.key_id, outcome, session.created, report or {}
        )
        self._store.put_json(_session_record(session.session_id), _to_json(closed))
        if self._holders.get(session.key_id) == session.session_id:
            del self._holders[session.key_id]

    def find(self, session_id: str) -> Session:
        """Session `session_id` in whatever phase (a closed one holds only its public report)."""
        session = self._load(session_id)
        if session is None:
            raise UnknownSession(f"no key ceremony {session_id!r} on this node")
        return session

    def abort(self, session_id: str) -> bool:
        """Close session `session_id` as aborted if it is open (the coordinator gave up on it).

        Returns False when it had already ended; UnknownSession if this node never opened it.
        """
        session = self.find(session_id)
        if not session.phase.is_open:
            return False
        self.close(
            session, Phase.ABORTED, {"problem": "", "culprits": [], "reason": "the coordinator gave up"}
        )
        return True

    @contextlib.contextmanager
    def aborting(self, session: Session) -> Iterator[None]:
        """Close `session` as aborted if the ceremony fails inside; a FROST failure becomes CeremonyAborted.

        FROST errors name culprits and never carry secret values, so their messages pass on as they are.
        Any other refusal (e.g. KeyExists) closes the session too and keeps its own problem type.
        """
        try:
            try:
                yield
            except UnusableGroupKey:
                raise GroupKeyUnusable() from None
            except CulpritError as error:
                raise CeremonyAborted(error.culprits, str(error)) from None
            except FrostError as error:
                raise CeremonyAborted((), str(error)) from None
        except CeremonyAborted as abort:
            report = {"problem": abort.problem_type(), "culprits": abort.culprits, "reason": abort.reason}
            if abort.evidence:
                report["evidence"] = abort.evidence
            self.close(session, Phase.ABORTED, report)
            raise
        except NodeError as refusal:
            self.close(
                session,
                Phase.ABORTED,
                {"problem": refusal.problem_type(), "culprits": [], "reason": refusal.detail},
            )
            raise

    def expire_stale(self) -> list[str]:
        """Expire every open session older than the time to live; return their ids."""
        expired = []
        for key_id, session_id in list(self._holders.items()):
            session = self._load(session_id)
            if session is None or not session.phase.is_open:
                del self._holders[key_id]
            elif self._is_stale(session):
                self.close(session, Phase.EXPIRED)
                expired.append(session_id)
        return expired

    def _abandon_open(self) -> list[str]:
        abandoned = []
        for name in self._store.list(SESSION_PREFIX):
            session = self._load(name[len(SESSION_PREFIX) :])
            if session is not None and session.phase.is_open:
                report = {"problem": "", "culprits": [], "reason": "the node restarted during the ceremony"}
                self.close(session, Phase.ABORTED, report)
                abandoned.append(session.session_id)
        return abandoned

    def _load(self, session_id: str) -> Session | None:
        try:
            value = self._store.get_json(_session_record(session_id))
        except RecordNotFound:
            return None
        return Session(
            session_id,
            value["kind"],
            value["key_id"],
            Phase(value["phase"]),
            value["created"],
            value["state"],
        )

    def _is_stale(self, session: Session) -> bool:
        return self._clock() - session.created > self._ttl


def _session_record(session_id: str) -> str:
    return SESSION_PREFIX + require_session_id(session_id)


def _to_json(session: Session) -> dict[str, Any]:
    return {
        "kind": session.kind,
        "key_id": session.key_id,
        "phase": str(session.phase),
        "created": session.created,
        "state": session.state,
    }
