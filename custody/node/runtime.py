"""Everything a running node holds open: key store, policy engine and history, session book, audit log.

The session book is a table of the spend history's database (``state.sqlite``), so that each signing round
commits its session, nonce and policy bookkeeping in one transaction.

The node's identity key (key-store record ``identity``) signs a checkpoint of the audit log's head
(`NodeRuntime.checkpoint`): the app's lifespan does so every ``audit_checkpoint_seconds`` while the log
grows, and `NodeRuntime.close` once more after recording the stop, so a log cut back or rewritten after a
shutdown no longer matches a signature only the node can make.

`open_runtime` opens them once at start (the only scrypt run of the process, when a passphrase seals the
store) and fails with one clear error if any is missing or wrong, before the node listens. The app's
lifespan calls `NodeRuntime.start` (abandon what a previous process left open) and `NodeRuntime.close`.
"""

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from custody.audit import AuditLog, AuditRecord
from custody.audit.head import HeadStatement, state_head
from custody.envelope import NodeIdentity
from custody.keystore import KeyStore, Unlocker
from custody.node.chain_witness import ChainWitness
from custody.node.records.identity import NoIdentity, load_identity
from custody.node.records.shares import SHARE_PREFIX
from custody.node.settings import NodeSettings
from custody.node.signing.service import SigningService
from custody.node.signing.sessions import SessionBook
from custody.policy.config import load_policy
from custody.policy.engine import PolicyEngine, unix_now
from custody.policy.history import SpendHistory
from custody.protocol.errors import NodeNotEnrolled
from custody.roster import Roster, RosterError
from custody.tls import node_common_name


@dataclass
class NodeRuntime:
    """One node's open resources and its signing service."""

    settings: NodeSettings
    keystore: KeyStore
    audit: AuditLog
    policy: PolicyEngine
    history: SpendHistory
    sessions: SessionBook
    signing: SigningService
    clock: Callable[[], int]
    identity: NodeIdentity | None = None
    """The node's identity keys (None for a node never enrolled: it then signs no checkpoints)."""
    coordinator_tls_sha256: str | None = None
    """The fingerprint of the one certificate allowed to drive signing and ceremonies (from the roster)."""

    @property
    def actor(self) -> str:
        """The node's own name in its audit log (its certificate's common name)."""
        return node_common_name(self.settings.node_id)

    def key_ids(self) -> list[str]:
        """The key ids this node holds shares of."""
        return [name[len(SHARE_PREFIX) :] for name in self.keystore.list(SHARE_PREFIX)]

    def start(self) -> None:
        """Abandon the sessions a previous process left open, and record the start."""
        abandoned = self.signing.abandon_all(self.actor)
        self.audit.append(
            actor=self.actor,
            action="node.started",
            subject=f"node:{self.settings.node_id}",
            details={
                "policy_hash": self.policy.policy_hash,
                "keys": self.key_ids(),
                "abandoned_sessions": len(abandoned),
            },
        )

    def checkpoint(self) -> AuditRecord | None:
        """Sign the audit log's head with the node's identity key, unless the head is a checkpoint already
        (or the node has no identity); the checkpoint record, or None."""
        if self.identity is None:
            return None
        return self.audit.checkpoint(self.identity.signing_key, actor=self.actor, if_changed=True)

    def head_statement(self) -> HeadStatement:
        """A signed statement of the audit log's current head, to keep off this machine."""
        if self.identity is None:
            raise NodeNotEnrolled("this node has no identity to sign its audit head with")
        return state_head(self.audit, self.identity.signing_key, self.settings.node_id)

    def close(self) -> None:
        """Record the stop, checkpoint the log, and close everything (the key store forgets its data key)."""
        with contextlib.suppress(Exception):
            self.audit.append(
                actor=self.actor, action="node.stopped", subject=f"node:{self.settings.node_id}"
            )
            self.checkpoint()
        self.history.close()
        self.keystore.close()


def open_runtime(
    settings: NodeSettings, unlocker: Unlocker, *, clock: Callable[[], int] = unix_now
) -> NodeRuntime:
    """Open the node's key store, policy, spend history, session book and audit log."""
    with contextlib.ExitStack() as undo:
        config = load_policy(settings.policy_file)
        keystore = KeyStore.open(settings.keystore_dir, unlocker)
        undo.callback(keystore.close)
        history = SpendHistory.open(settings.state_path)
        undo.callback(history.close)
        sessions = SessionBook(history)
        audit = AuditLog.open_file(settings.audit_path)
        policy = PolicyEngine(config, history, clock)
        try:
            identity: NodeIdentity | None = load_identity(keystore)
        except NoIdentity:  # signs all the same, without state statements (see state_guard)
            identity = None
        roster = Roster.load(settings.roster_path)
        signing = SigningService(
            node_id=settings.node_id,
            keystore=keystore,
            sessions=sessions,
            policy=policy,
            audit=audit,
            nonce_ttl_seconds=settings.nonce_ttl_seconds,
            clock=clock,
            group_size=len(roster),
            identity=identity,
            witness=ChainWitness(
                settings.witness_rpc_urls,
                timeout_seconds=settings.witness_timeout_seconds,
                from_blocks=settings.witness_from_blocks,
                log_window=settings.witness_log_window_blocks,
            )
            if settings.witness_rpc_urls
            else None,
        )
        runtime = NodeRuntime(settings, keystore, audit, policy, history, sessions, signing, clock)
        runtime.identity = identity
        runtime.coordinator_tls_sha256 = roster.coordinator_tls_sha256
        if runtime.coordinator_tls_sha256 is None:
            raise RosterError(
                f"the roster {settings.roster_path} pins no coordinator certificate (a version 1 roster); "
                "provision the group again to get a version 2 roster"
            )
        undo.pop_all()
    return runtime
