"""The custody coordinator the API process hosts: roster, mutual-TLS client, key and signing coordinators.

The API holds the coordinator's client certificate and the group roster (settings `custody_*`). It is opened
once when the app starts (the custody router's lifespan, `api.custody.router.custody_lifespan`) and closed
when it stops: one `NodeClient` keeps its TLS connections to the nodes open, and one `SigningCoordinator`
remembers which nodes failed or cheated.
The audit log's index (`custody.audit.index`) is verified against the log here, and rebuilt if they
disagree, so that audit pages never parse the whole log.
While no roster file is at `custody_roster_path`, custody is off and its routes answer 503; a roster or TLS
material that is present but unusable stops the start, loudly.

Each sign request is attempted by one coroutine at a time (`attempt_lock`), so an approval arriving while
an attempt runs waits and then tries again with every approval stored, instead of racing it.
"""

import asyncio
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anyio import to_thread

from api.settings import ApiSettings
from custody.audit import AuditLog
from custody.audit.index import AuditIndex
from custody.coordinator.client import NodeClient
from custody.coordinator.keys import KeyCoordinator
from custody.coordinator.signing import SigningCoordinator
from custody.coordinator.state_book import load_statements, save_statements
from custody.frost import PublicKeyPackage
from custody.policy.config import load_policy
from custody.protocol.signing import StateStatement
from custody.roster import Roster
from custody.tls import client_context


@dataclass
class CustodyRuntime:
    """Everything a custody route needs to reach the nodes; one per app."""

    roster: Roster
    client: NodeClient
    audit: AuditLog
    audit_index: AuditIndex
    public_keys: dict[str, PublicKeyPackage]
    keys: KeyCoordinator
    signing: SigningCoordinator
    policy_path: Path
    states_path: Path
    """Where the coordinator keeps the nodes' latest state statements (`custody.coordinator.state_book`)."""
    _saved_states: dict[int, StateStatement] = field(default_factory=dict)
    _states_lock: threading.Lock = field(default_factory=threading.Lock)
    _attempt_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = field(
        default_factory=weakref.WeakValueDictionary
    )

    @classmethod
    def open(cls, settings: ApiSettings) -> "CustodyRuntime | None":
        """The runtime for `settings`, or None while no roster file exists."""
        if not settings.custody_roster_path.exists():
            return None
        roster = Roster.load(settings.custody_roster_path)
        client = NodeClient(
            client_context(settings.custody_tls_paths()), timeout=settings.custody_timeout_seconds
        )
        settings.custody_audit_path.parent.mkdir(parents=True, exist_ok=True)
        audit = AuditLog.open_file(settings.custody_audit_path)
        audit_index = AuditIndex.open(settings.custody_audit_path)  # verified against the log, or rebuilt
        public_keys: dict[str, PublicKeyPackage] = {}
        states_path = settings.custody_audit_path.with_name("node-states.json")
        states = load_statements(states_path, roster)
        keys = KeyCoordinator(roster, client, audit=audit, public_keys=public_keys)
        return cls(
            roster=roster,
            client=client,
            audit=audit,
            audit_index=audit_index,
            public_keys=public_keys,
            keys=keys,
            signing=SigningCoordinator(
                roster, client, public_keys, audit=audit, states=states, key_statements=keys.stated_key
            ),
            policy_path=settings.custody_policy_path or settings.custody_roster_path.with_name("policy.yaml"),
            states_path=states_path,
            _saved_states=dict(states),
        )

    def operators(self) -> frozenset[str]:
        """The addresses of the operators the nodes' policy names (read anew each time: an operator change
        is a policy change, made while the API runs); none while there is no policy file."""
        if not self.policy_path.exists():
            return frozenset()
        return frozenset(load_policy(self.policy_path).operators.values())

    def save_states(self) -> None:
        """Write the nodes' state statements if a signing call taught the coordinator a newer one (blocking:
        run it in a worker thread). Serialised, so a slower writer never puts back an older set."""
        with self._states_lock:
            statements = self.signing.state_statements
            if statements != self._saved_states:
                self._saved_states = save_statements(self.states_path, statements, self.roster)

    async def record(self, actor: str, action: str, subject: str, details: dict[str, Any]) -> None:
        """Append a record to the audit log, in a worker thread (the log writes and syncs a file)."""
        await to_thread.run_sync(
            lambda: self.audit.append(actor=actor, action=action, subject=subject, details=details)
        )

    def attempt_lock(self, request_id: str) -> asyncio.Lock:
        """The lock that serialises signing attempts of `request_id` in this process."""
        lock = self._attempt_locks.get(request_id)
        if lock is None:
            lock = self._attempt_locks[request_id] = asyncio.Lock()
        return lock

    async def aclose(self) -> None:
        """Close the connections to the nodes."""
        await self.client.aclose()
