"""The coordinator collects each node's signed audit head and keeps it in its own log, off the node's machine.

A node's checkpoints prove the records before them; what proves that nothing was cut off or rewritten after
them is a head kept elsewhere (`custody.audit.head`). `collect_heads` asks every node of the roster for its
``GET /v1/audit/head`` statement, keeps only statements signed by that node's roster key and naming that
node, and appends them to the coordinator's audit log as one ``audit.heads`` record: an operator later checks
a node's log against them (``tpw-custody audit verify --head``). A node that cannot be reached, or answers
with a statement that does not verify, is listed as such in the same record.
"""

import asyncio
from typing import Any

from pydantic import RootModel

from custody.audit import AuditLog
from custody.audit.head import HeadStatement, InvalidHeadStatement
from custody.coordinator.auditing import record
from custody.coordinator.client import NodeClient
from custody.coordinator.errors import NodeCallError
from custody.roster import Roster, RosterNode

HEADS_ACTION = "audit.heads"


class _Answer(RootModel[dict[str, Any]]):
    """A node's head statement as JSON, checked here rather than by the client."""


async def _head_of(client: NodeClient, node: RosterNode) -> HeadStatement | str:
    """`node`'s verified head statement, or why there is none."""
    try:
        answer = await client.call(node, "GET", "/v1/audit/head", None, _Answer)
        statement = HeadStatement.from_json(answer.root)
        if statement.node_id != node.node_id:
            raise InvalidHeadStatement(f"it states node {statement.node_id}'s head")
        statement.verify(node.keys.verifying_key())
    except (NodeCallError, InvalidHeadStatement) as error:
        return str(error)
    return statement


async def collect_heads(client: NodeClient, roster: Roster, audit: AuditLog) -> dict[int, HeadStatement]:
    """Every reachable node's verified head statement, by node id, also recorded in `audit`."""
    results = await asyncio.gather(*(_head_of(client, node) for node in roster))
    heads = {n: r for n, r in zip(roster.node_ids, results, strict=True) if isinstance(r, HeadStatement)}
    missing = {str(n): r for n, r in zip(roster.node_ids, results, strict=True) if isinstance(r, str)}
    await record(
        audit,
        HEADS_ACTION,
        "nodes",
        {"heads": {str(n): h.to_json() for n, h in heads.items()}, "missing": missing},
    )
    return heads
