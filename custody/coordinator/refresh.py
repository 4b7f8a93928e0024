"""The end of a refresh, two-phase: commit the refreshed shares only once at least the threshold of nodes
prepared them, else roll every node back; and drive that end again after the coordinator crashed.

After the confirm round every node that confirmed holds the refreshed share *prepared* next to its old one
(`custody.node.ceremonies.refresh`), and can sign with either. The coordinator then decides once:
  commit  if at least the threshold acknowledged the same prepared generation: each node makes it active and
          drops the old share; a node that misses the commit keeps it prepared (and is committed later) or,
          if it never prepared, is left stale and repaired (`KeyCeremonyIncomplete` names it);
  abort   otherwise: each node deletes what it prepared and keeps signing with the old share.
Whatever message is lost, and whenever the coordinator stops, at least the threshold of nodes hold shares of
one generation: before a commit every node still holds the old one; a commit is only sent when the threshold
hold the new one, and nodes never drop a prepared share on their own (no time-out, no restart ends it).

`resume_refresh` drives a refresh a coordinator left undecided, from the nodes' signed key statements (which
name a prepared generation): commit if any node committed it or the threshold hold it; abort only when every
participant answered and fewer hold it (a silent node might have committed). The rule never aborts a refresh
some node committed, so a decision taken before the crash and the one taken after agree.
"""

import asyncio
from collections.abc import Mapping
from typing import Any

from custody.audit import AuditLog
from custody.coordinator.ceremony import CeremonySession, KeyInfo, NodeCaller, RelayedMessage, stated_key
from custody.coordinator.errors import KeyCeremonyFailed, NodeCallError, NodeFailure, NodeRefused
from custody.envelope import EnvelopeError
from custody.frost import PublicKeyPackage
from custody.frost.errors import FrostError
from custody.protocol.ceremonies import CommitBody
from custody.protocol.errors import UnknownKey
from custody.protocol.ids import key_version
from custody.roster import Roster

COMMIT_PATH = "/v1/keys/refresh/commit"


async def finish_refresh(
    session: CeremonySession, current: PublicKeyPackage, prepared: Mapping[int, PublicKeyPackage]
) -> KeyInfo:
    """Commit the generation the nodes in `prepared` state they prepared, if at least the threshold did and
    it is a refresh of `current`; else abort the session everywhere (KeyCeremonyFailed)."""
    if not prepared or len(prepared) < (current.min_signers or 0):
        await session.fail()
    stated = await session.agreed(prepared)
    if stated.holders != session.nodes or stated.group_public_key != current.group_public_key:
        await session.refuse_outcome(prepared, "they state another key than the one made", blame=True)
    return await commit(session, stated)


async def commit(session: CeremonySession, info: KeyInfo) -> KeyInfo:
    """Tell every participant to commit `info`'s generation (recorded first, so the decision is on file);
    KeyCeremonyIncomplete naming the nodes that did not commit it, which is never rolled back."""
    version = key_version(info.public_key_package)
    await session.record("commit", {"key_version": version})
    body = CommitBody(session_id=session.session_id, key_id=session.key_id, key_version=version)
    committed = await session.round(
        COMMIT_PATH,
        dict.fromkeys(session.nodes, body),
        RelayedMessage,
        lambda node, answer: session.statement(node, answer.root),
        final=True,
    )
    for node, package in committed.items():
        session.failures.pop(node, None)  # it failed to acknowledge the prepare, but has committed
        if package != info.public_key_package:
            session.failures[node] = NodeFailure("misbehaved", "states another key than the one committed")
            session.culprits.add(node)
    if session.failures:
        await session.fail(info, abort=False)
    return await session.complete(info)


async def resume_refresh(caller: NodeCaller, roster: Roster, audit: AuditLog, key_id: str) -> KeyInfo | None:
    """Drive to its end every refresh of `key_id` some node holds prepared (see the module docstring).

    The key it committed (None if it rolled back or nothing was prepared); KeyCeremonyIncomplete if some
    nodes did not commit; KeyCeremonyFailed when it cannot decide yet (nodes that might have committed are
    silent: run it again once they are back).
    """
    accounts = await _accounts(caller, roster, key_id)
    pending: dict[tuple[str, str], PublicKeyPackage] = {}
    for account in accounts.values():
        prepared = account.get("prepared") if account else None
        if isinstance(prepared, dict):
            package = PublicKeyPackage.from_bytes(bytes.fromhex(prepared["public_key_package"]))
            pending[(prepared["ceremony"], key_version(package))] = package
    outcome = None
    for (session_id, version), package in sorted(pending.items(), key=lambda item: item[0]):
        nodes = sorted(package.verifying_shares)
        session = CeremonySession(caller, roster, audit, "refresh", key_id, session_id, nodes)
        holding = [node for node, account in accounts.items() if _holds(account, session_id, version)]
        committed = [
            node
            for node, account in accounts.items()
            if account and account.get("ceremony") == session_id and account.get("key_version") == version
        ]
        await session.record("resume", {"key_version": version, "holding": holding, "committed": committed})
        if committed or len(holding) >= (package.min_signers or 0):
            outcome = await commit(session, KeyInfo(key_id, package))
            continue
        silent = [node for node in nodes if node not in accounts]
        if silent:
            unknown = NodeFailure("unavailable", "silent: it may have committed")
            raise KeyCeremonyFailed("refresh", key_id, session_id, dict.fromkeys(silent, unknown), ())
        await asyncio.gather(*(session.abort(node) for node in nodes))
        await session.record("rolled-back", {"key_version": version})
    return outcome


def _holds(account: Mapping[str, Any] | None, session_id: str, version: str) -> bool:
    """Whether a node's statement shows it holds generation `version` of refresh `session_id`."""
    if not account:
        return False
    if account.get("ceremony") == session_id and account.get("key_version") == version:
        return True
    prepared = account.get("prepared")
    return isinstance(prepared, dict) and (prepared.get("ceremony"), prepared.get("key_version")) == (
        session_id,
        version,
    )


async def _accounts(caller: NodeCaller, roster: Roster, key_id: str) -> dict[int, dict[str, Any] | None]:
    """Every answering node's verified statement of `key_id` (None for a node that holds no share of it);
    nodes that do not answer, or answer with anything unverifiable, are left out."""
    answers = await asyncio.gather(
        *(caller.call(node, "GET", f"/v1/keys/{key_id}", None, RelayedMessage) for node in roster),
        return_exceptions=True,
    )
    accounts: dict[int, dict[str, Any] | None] = {}
    for node, answer in zip(roster.node_ids, answers, strict=True):
        if isinstance(answer, NodeRefused) and answer.problem_type == UnknownKey.problem_type():
            accounts[node] = None
        elif isinstance(answer, NodeCallError):
            continue
        elif isinstance(answer, BaseException):
            raise answer
        else:
            try:
                accounts[node] = stated_key(roster, key_id, node, answer.root)
            except (EnvelopeError, FrostError, ValueError, KeyError, TypeError):
                continue
    return accounts
