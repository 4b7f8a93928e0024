"""A refresh never raises what the group may sign (issue 9, point 13, with point 12's two-phase refresh).

Budgets are t/n of the group's rolling limit, and n is the roster's size, not the number of holders of the
generation a request names: a refresh among fewer nodes (committed, or only prepared and signed with before
an abort) would otherwise give those nodes t/(n-1) of the limit while the others' spends in the window still
count, and a coordinator could sign past the limit with no node compromised.
"""

import asyncio
import contextlib
import itertools
from collections.abc import Sequence
from pathlib import Path

import pytest

from chain.intents import TreasuryTx
from custody.audit import AuditLog
from custody.coordinator.errors import KeyCeremonyIncomplete, NodeUnavailable, SigningFailed
from custody.coordinator.signing import SigningCoordinator
from custody.frost import PublicKeyPackage
from custody.node.records.shares import find_prepared
from custody.protocol.signing import (
    IntentEnvelope,
    Round1Request,
    Round1Response,
    Round2Request,
    Round2Response,
)
from custody.roster import RosterNode
from tests.custody.coordinator.test_refresh_cuts import CoordinatorCrashed, Cut, CuttingCaller, generations
from tests.helpers.custody_nodes import TEST_CHAIN_ID, TEST_CONTRACT, domain_policy, request_id
from tests.helpers.key_group import KeyGroup
from tests.helpers.key_group_signing import ServiceCalls, signing_services

KEY_ID = "treasury"
TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
PAYEE = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"
LIMIT = 300  # the group's rolling 24-hour limit: 200 a node in 2-of-3
POLICY = domain_policy(
    "TreasuryTx",
    f"""\
treasury_tx:
  destinations: any
  max_deadline_horizon_seconds: 86400
  velocity: {{max_signatures: 1000, window_seconds: 3600}}
  assets:
    "{TOKEN}":
      per_tx_limit: {LIMIT}
      rolling_24h_limit: {LIMIT}
""",
)
_nonces = itertools.count(1)


class Only(ServiceCalls):
    """The nodes' signing code, with every node outside `signers` unreachable: the coordinator's choice."""

    def __init__(self, calls: ServiceCalls, signers: Sequence[int]) -> None:
        super().__init__(calls.services)
        self.signers = set(signers)

    async def round1(self, node: RosterNode, request: Round1Request) -> Round1Response:
        if node.node_id not in self.signers:
            raise NodeUnavailable(node.node_id, "left out by the coordinator")
        return await super().round1(node, request)

    async def round2(self, node: RosterNode, request: Round2Request) -> Round2Response:
        return await super().round2(node, request)


def held(group: KeyGroup) -> list[PublicKeyPackage]:
    """Every generation of the key some node holds, active or prepared."""
    return [package for package, _ in generations(group).values()]


def transfer(group: KeyGroup, amount: int) -> IntentEnvelope:
    intent = TreasuryTx(
        to=PAYEE, token=TOKEN, amount=amount, data=b"", nonce=next(_nonces), deadline=int(group.now) + 3600
    )
    return IntentEnvelope.of(intent, TEST_CHAIN_ID, TEST_CONTRACT)


def signs(
    group: KeyGroup, calls: ServiceCalls, public: PublicKeyPackage, signers: Sequence[int], amount: int
) -> bool:
    audit = AuditLog.open_file(group.root / "signing-coordinator.jsonl")
    coordinator = SigningCoordinator(group.roster, Only(calls, signers), {KEY_ID: public}, audit=audit)
    try:
        asyncio.run(coordinator.sign(KEY_ID, request_id(), transfer(group, amount)))
    except SigningFailed:
        return False
    return True


@pytest.mark.parametrize("commit", [True, False], ids=["committed", "only-prepared"])
def test_a_refresh_among_fewer_nodes_does_not_let_the_group_pass_its_limit(
    tmp_path: Path, commit: bool
) -> None:
    group = KeyGroup(tmp_path / "group", 3)
    try:
        keys = group.coordinator()
        old = asyncio.run(keys.create_key(2, key_id=KEY_ID)).public_key_package
        with signing_services(group, tmp_path / "signing", POLICY) as services:
            calls = ServiceCalls(services)
            for pair in ((1, 2), (2, 3), (1, 3)):  # 100 each: every node has signed its 200, the group 300
                assert signs(group, calls, old, pair, 100)
            assert not signs(group, calls, old, (1, 2), 1)

            refresher = group.coordinator()
            if not commit:  # the commit never arrives: nodes 1 and 2 hold a prepared generation
                cut = Cut("commit", frozenset({1, 2}), "request", True)
                refresher.client = CuttingCaller(group.relay, cut)
            with contextlib.suppress(CoordinatorCrashed, KeyCeremonyIncomplete):
                asyncio.run(refresher.refresh(KEY_ID, participants=[1, 2]))  # node 3 left out
            [new] = [package for package in held(group) if sorted(package.verifying_shares) == [1, 2]]
            assert new.group_public_key == old.group_public_key
            assert (find_prepared(group.keystores[1], KEY_ID) is not None) == (not commit)
            assert not signs(group, calls, new, (1, 2), 100), "the group signed past its limit"
            assert not signs(group, calls, new, (1, 2), 1)
    finally:
        group.close()
