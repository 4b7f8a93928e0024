"""Fault tests of signing with real nodes: a node with another share, a coordinator killed mid-session.

The module's group keeps nonces for a few seconds only, so an abandoned session visibly expires.
"""

import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from chain.paths import PROJECT_ROOT
from custody.audit import AuditLog
from custody.coordinator.client import NodeClient
from custody.coordinator.errors import NodeRefused, SigningFailed
from custody.frost import Signature, verify_signature
from custody.protocol.signing import Commitment
from tests.helpers.custody_nodes import (
    HELD_SESSION_MARK,
    TEST_KEY_ID,
    CustodyGroup,
    Key,
    anchor_intent,
    request_id,
)
from tests.helpers.sign_requests import round1_request, round2_request

NONCE_TTL_SECONDS = 2
CHEATER = 2


@pytest.fixture(scope="module")
def fault_group(tmp_path_factory: pytest.TempPathFactory, dealer_key: Key) -> Iterator[CustodyGroup]:
    """A 2-of-3 group with short-lived nonces whose node 2 holds a wrong share (it does not know)."""
    root = tmp_path_factory.mktemp("fault-group")
    with CustodyGroup(root, {TEST_KEY_ID: dealer_key}, nonce_ttl_seconds=NONCE_TTL_SECONDS) as group:
        group.corrupt_share(CHEATER)
        group.start()
        yield group


def audit_actions(path: Path) -> list[tuple[str, str, dict[str, Any]]]:
    return [(r.action, r.subject, r.details) for r in AuditLog.open_file(path).records()]


def test_a_node_with_another_share_refuses_its_key_version_is_not_blamed_and_releases_nothing(
    fault_group: CustodyGroup,
) -> None:
    """Node 2's share (and its copy of the key) is not the group's: it refuses every round one naming the
    group's key version with a typed refusal, so it is never asked for a share, never marked suspect, and
    the coordinator's re-read of the key statements (which disagree) does not make it sign anything."""
    coordinator_log = fault_group.root / "coordinator" / "audit.jsonl"
    intent = anchor_intent()

    async def sign_twice() -> tuple[SigningFailed, Signature, frozenset[int]]:
        async with fault_group.coordinator() as coordinator:
            with fault_group.revived():
                fault_group.kill(3)  # only nodes 1 and 2 remain: node 2 would have to take part
                with pytest.raises(SigningFailed) as failure:
                    await coordinator.sign(TEST_KEY_ID, request_id(), intent)
            signature = await coordinator.sign(TEST_KEY_ID, request_id(), intent)
            return failure.value, signature, coordinator.suspects

    before = len(audit_actions(fault_group.nodes[CHEATER].audit_path))
    failure, signature, suspects = asyncio.run(sign_twice())

    assert failure.culprits == []
    assert failure.failures[CHEATER].kind == "refused"
    assert failure.failures[CHEATER].problem_type == "urn:tpwallet:custody:key-version-mismatch"
    assert suspects == frozenset()
    actions = audit_actions(coordinator_log)
    assert not [action for action, _, _ in actions if action == "sign.invalid-share"]
    completed = [details for action, _, details in actions if action == "sign.completed"]
    assert completed[-1]["signers"] == [1, 3]
    _, public = fault_group.keys[TEST_KEY_ID]
    assert verify_signature(public.group_public_key, intent.decode()[1], signature)
    node_2_log = audit_actions(fault_group.nodes[CHEATER].audit_path)[before:]
    assert "sign.round2" not in [action for action, _, _ in node_2_log]


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_coordinator_killed_mid_session_leaves_no_usable_nonce(fault_group: CustodyGroup) -> None:
    session, request, intent = secrets.token_hex(16), request_id(), anchor_intent()
    body = round1_request(session, request, intent)
    env = {name: value for name, value in os.environ.items() if not name.startswith("TPW_")}
    coordinator = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from tests.helpers.custody_nodes import hold_session_after_round1 as hold; "
            "hold(sys.argv[1:])",
            str(fault_group.root),
            body.model_dump_json(),
            "1,3",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert coordinator.stdout is not None
        line = coordinator.stdout.readline()
    finally:
        coordinator.kill()
        coordinator.wait()
    assert line.startswith(HELD_SESSION_MARK)
    held = {
        int(node): Commitment(**wire) for node, wire in json.loads(line[len(HELD_SESSION_MARK) :]).items()
    }

    assert session in fault_group.stored_nonces(1)
    assert wait_until(
        lambda: fault_group.stored_nonces(1) == [] and fault_group.stored_nonces(3) == [],
        timeout=NONCE_TTL_SECONDS + 10,
    )

    new_intent = anchor_intent()

    async def finish_the_old_session_then_sign_anew() -> tuple[NodeRefused, Signature]:
        round2 = round2_request(session, request, intent, held)
        async with NodeClient(fault_group.client_context()) as client:
            with pytest.raises(NodeRefused) as refusal:
                await client.round2(fault_group.roster.node(1), round2)
        async with fault_group.coordinator() as fresh:
            return refusal.value, await fresh.sign(TEST_KEY_ID, request_id(), new_intent)

    refusal, signature = asyncio.run(finish_the_old_session_then_sign_anew())

    assert refusal.status == 409
    assert refusal.problem_type.endswith("session-used")
    expired = [
        details
        for action, _, details in audit_actions(fault_group.nodes[1].audit_path)
        if action == "sign.expired"
    ]
    assert any(session in details["sessions"] for details in expired)
    group_key = fault_group.public_keys()[TEST_KEY_ID].group_public_key
    assert verify_signature(group_key, new_intent.decode()[1], signature)
