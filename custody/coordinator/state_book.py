"""The coordinator's durable copy of each node's latest signed state statement.

A node finds out that its state database was restored from a backup only when it is shown a state counter
it signed itself that is above its own (`custody.node.signing.state_guard`). The coordinator holds those
statements; kept in memory only, they would be lost with every restart of the API, and a node restored while
the API also restarted would sign its forgotten spends again. So the coordinator writes them here after
every signing call that taught it a newer one (`write_atomic`: the old file or the new one, never a torn
one; merged under a lock with what other API processes wrote), and a new coordinator starts from this file.

Nothing in the file has to be trusted: every statement is signed by its node's identity key and is checked
against the roster when it is read; one that does not verify (tampered, or from a node since re-enrolled)
is dropped with a warning. Deleting the file only loses the alarm, as a coordinator that never saw the node
sign would; it cannot make an intact node refuse.
"""

import fcntl
import json
import logging
from collections.abc import Mapping
from pathlib import Path

from pydantic import ValidationError

from chain.files import write_atomic
from custody.protocol.signing import StateStatement
from custody.protocol.state import statement_verifies
from custody.roster import Roster, RosterError

log = logging.getLogger("custody.coordinator")


def load_statements(path: Path, roster: Roster) -> dict[int, StateStatement]:
    """The statements stored at `path` that verify against `roster` (none if the file is missing)."""
    try:
        raw = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        log.warning("state statements unreadable, starting without them", extra={"error": str(error)})
        return {}
    kept: dict[int, StateStatement] = {}
    for item in raw if isinstance(raw, list) else []:
        try:
            statement = StateStatement.model_validate(item)
            verifies = statement_verifies(statement, roster.node(statement.node_id).keys)
        except (ValidationError, RosterError):
            verifies = False
        if not verifies:
            log.warning("a stored state statement does not verify: dropped", extra={"statement": item})
            continue
        known = kept.get(statement.node_id)
        if known is None or statement.counter > known.counter:
            kept[statement.node_id] = statement
    return kept


def save_statements(
    path: Path, statements: Mapping[int, StateStatement], roster: Roster
) -> dict[int, StateStatement]:
    """Merge `statements` into the file at `path` (the higher counter of each node wins), atomically and
    durably, and return what it now holds. Several API processes may share the file: under a lock, each
    reads what the others wrote first, so none puts back an older statement over a newer one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.with_name(path.name + ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        merged = load_statements(path, roster)
        for node_id, statement in statements.items():
            known = merged.get(node_id)
            if known is None or statement.counter > known.counter:
                merged[node_id] = statement
        body = [merged[node_id].model_dump(mode="json") for node_id in sorted(merged)]
        write_atomic(path, json.dumps(body, indent=1).encode() + b"\n")
    return merged
