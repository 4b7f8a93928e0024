"""Fault tests of signing with real nodes: a node with a wrong share, a coordinator killed mid-session.

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
from custody.coordinator.client import NodeClient, NodeRefused
from custody.coordinator.signing import SigningFailed
from custody.frost import Signature, verify_signature
from custody.node.schemas import Commitment, Round1Request, Round2Request
from tests.helpers.custody_nodes import (
    HELD_SESSION_MARK,
    TEST_KEY_ID,
    CustodyGroup,
    Key,
    anchor_intent,
    request_id,
)

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


def test_a_node_with_a_wrong_share_is_named_and_nothing_it_signed_is_released(
    fault_group: CustodyGroup,
) -> None:
    coordinator_log = fault_group.root / "coordinator" / "audit.jsonl"
    intent = anchor_intent()

    async def sign_twice() -> tuple[SigningFailed, Signature, frozenset[int]]:
        async with fault_group.coordinator() as coordinator:
            with fault_group.revived():
                fault_group.kill(3)  # only nodes 1 and 2 remain: the cheater must take part
                with pytest.raises(SigningFailed) as failure:
                    await coordinator.sign(TEST_KEY_ID, request_id(), intent)
            signature = await coordinator.sign(TEST_KEY_ID, request_id(), intent)
            return failure.value, signature, coordinator.suspects

    before = len(audit_actions(fault_group.nodes[CHEATER].audit_path))
    failure, signature, suspects = asyncio.run(sign_twice())

    assert failure.culprits == [CHEATER]
    assert failure.failures[CHEATER].kind == "invalid-share"
    assert suspects == {CHEATER}
    actions = audit_actions(coordinator_log)
    named = [details for action, _, details in actions if action == "sign.invalid-share"]
    assert named[-1]["nodes"] == [CHEATER]
    completed = [details for action, _, details in actions if action == "sign.completed"]
    assert len(completed) == 1
    assert completed[0]["signers"] == [1, 3]
    _, public = fault_group.keys[TEST_KEY_ID]
    assert verify_signature(public.group_public_key, intent.decode()[1], signature)
    cheater_log = audit_actions(fault_group.nodes[CHEATER].audit_path)[before:]
    assert [action for action, _, _ in cheater_log] == ["sign.round1", "sign.round2"]


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_coordinator_killed_mid_session_leaves_no_usable_nonce(fault_group: CustodyGroup) -> None:
    session, request, intent = secrets.token_hex(16), request_id(), anchor_intent()
    body = Round1Request(session_id=session, key_id=TEST_KEY_ID, request_id=request, intent=intent)
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
        round2 = Round2Request(
            session_id=session, key_id=TEST_KEY_ID, request_id=request, intent=intent, commitments=held
        )
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
