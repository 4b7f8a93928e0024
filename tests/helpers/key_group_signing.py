"""Signing through real node code for in-process key groups: each node's `SigningService` over the key store
its ceremonies wrote (policy, spend history, session book and audit log of its own), driven by the real
signing `SigningCoordinator`. A node's refusal reaches the coordinator as `NodeRefused` with the node's
problem type, as it would over HTTP (`custody.node.http.problems.NODE_PROBLEMS`).
"""

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from custody.audit import AuditLog
from custody.coordinator.errors import NodeRefused
from custody.coordinator.signing import SigningCoordinator
from custody.frost import PublicKeyPackage, Signature, verify_signature
from custody.node.signing.service import SigningService
from custody.node.signing.sessions import SessionBook
from custody.policy.config import parse_policy
from custody.policy.engine import PolicyEngine
from custody.policy.history import SpendHistory
from custody.protocol.errors import NodeError
from custody.protocol.signing import Round1Request, Round1Response, Round2Request, Round2Response
from custody.roster import RosterNode
from tests.helpers.custody_nodes import TEST_POLICY, anchor_intent, request_id
from tests.helpers.key_group import KeyGroup

COORDINATOR = "tpw-coordinator"


class ServiceCalls:
    """The coordinator's two signing calls, made on in-process signing services."""

    def __init__(self, services: dict[int, SigningService]) -> None:
        self.services = services

    async def round1(self, node: RosterNode, request: Round1Request) -> Round1Response:
        try:
            return self.services[node.node_id].round1(request, COORDINATOR)
        except NodeError as refusal:
            raise _refused(node, refusal) from None

    async def round2(self, node: RosterNode, request: Round2Request) -> Round2Response:
        try:
            return self.services[node.node_id].round2(request, COORDINATOR)
        except NodeError as refusal:
            raise _refused(node, refusal) from None


def _refused(node: RosterNode, refusal: NodeError) -> NodeRefused:
    problem = {"type": refusal.problem_type(), "detail": refusal.detail, **refusal.extensions}
    return NodeRefused(node.node_id, refusal.status, problem)


@contextmanager
def signing_services(
    group: KeyGroup, root: Path, policy_text: str = TEST_POLICY
) -> Iterator[dict[int, SigningService]]:
    """One signing service per node of `group`, over its key store, with state under `root`."""
    config = parse_policy(policy_text)
    clock = lambda: int(group.now)  # noqa: E731 - the group's settable clock, in whole seconds
    with ExitStack() as stack:
        services = {}
        for node_id, keystore in group.keystores.items():
            directory = root / f"node-{node_id}"
            directory.mkdir(parents=True, exist_ok=True)
            history = SpendHistory.open(directory / "state.sqlite")
            stack.callback(history.close)
            services[node_id] = SigningService(
                node_id=node_id,
                keystore=keystore,
                sessions=SessionBook(history),
                policy=PolicyEngine(config, history, clock),
                audit=AuditLog.open_file(directory / "audit.jsonl"),
                nonce_ttl_seconds=60,
                clock=clock,
                group_size=len(group.roster),
            )
        yield services


def sign_through_nodes(
    group: KeyGroup, services: dict[int, SigningService], key_id: str, public: PublicKeyPackage
) -> Signature:
    """A signature of a fresh Anchor intent by the nodes' own signing code, coordinated under `public`
    (nodes holding no share of that generation refuse and are replaced); checked against the group key."""
    intent = anchor_intent()
    audit = AuditLog.open_file(group.root / "signing-coordinator.jsonl")
    coordinator = SigningCoordinator(group.roster, ServiceCalls(services), {key_id: public}, audit=audit)
    signature = asyncio.run(coordinator.sign(key_id, request_id(), intent))
    assert verify_signature(public.group_public_key, intent.decode()[1], signature)
    return signature
