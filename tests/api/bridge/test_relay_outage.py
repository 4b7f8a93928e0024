"""An RPC outage of either chain mid-flow, survived: the relay's round (`relay.bridge.rounds.RelayRound`)
talks to each anvil through a TCP proxy the test cuts, as a node that went down. L2 goes away after the
custody group signed a batch of deposits and before the attestation was sent; L1 goes away after a batch of
withdrawals was attested there and before the relay read it back. Each failed step is logged, the others go
on, and once the node is back every message is delivered exactly once (one attestation per batch, one
`Claimed` per nonce)."""

import logging
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from chain.bridge.contracts import BatchRecord, Bridge, BridgeL1, BridgeL2, OnchainSignature
from chain.bridge.message import Message
from chain.client import make_web3
from chain.dev_accounts import dev_accounts
from chain.intents import BridgeBatch
from payments.bridge.store import BatchPolicy
from relay.bridge.delivery import Deliverer
from relay.bridge.rounds import RelayRound
from relay.bridge.vetoes import VetoWatcher
from relay.bridge.watcher import BridgeWatcher
from tests.api.bridge.conftest import signer_for
from tests.api.bridge.test_relay_devnet import CONFIRMATIONS, RELAYER, statuses
from tests.helpers.bridge_pair import USERS, Bridges, mine
from tests.helpers.tcp_proxy import TcpProxy

pytestmark = pytest.mark.devnet


@pytest.fixture
def links(bridges: Bridges) -> Iterator[tuple[TcpProxy, TcpProxy]]:
    """A proxy in front of each anvil: (L1's, L2's)."""
    with TcpProxy(bridges.l1_node.config.port) as l1, TcpProxy(bridges.l2_node.config.port) as l2:
        yield l1, l2


class CutAfterAttesting(BridgeL1):
    """L1 as the relay sees it through `link`, which goes down right after an attestation landed: the relay
    builds the attestation (`attest_call`), sends it and awaits its receipt, then reads the batch back
    (`record`), and that read finds L1 gone."""

    link: TcpProxy
    armed = False

    def attest_call(self, *args: Any) -> Any:
        self.armed = True
        return super().attest_call(*args)

    def record(self, seq: int) -> BatchRecord:
        if self.armed:
            self.armed = False
            self.link.cut()
        return super().record(seq)


def attested_seqs(bridge: Bridge) -> list[int]:
    events = bridge.contract.events.BatchAttested.get_logs(from_block=bridge.from_block, to_block="latest")
    return sorted(int(event["args"]["seq"]) for event in events)


def claimed_nonces(bridge: Bridge) -> list[int]:
    events = bridge.contract.events.Claimed.get_logs(from_block=bridge.from_block, to_block="latest")
    return sorted(int(event["args"]["nonce"]) for event in events)


def test_an_rpc_outage_of_either_chain_is_survived(
    bridges: Bridges,
    engine: Engine,
    signer_client: TestClient,
    links: tuple[TcpProxy, TcpProxy],
    caplog: pytest.LogCaptureFixture,
) -> None:
    l1_link, l2_link = links
    alice = dev_accounts()[USERS[0]]
    l1 = CutAfterAttesting(make_web3(l1_link.url), bridges.l1.address, from_block=bridges.l1.from_block)
    l1.link = l1_link
    l2 = BridgeL2(make_web3(l2_link.url), bridges.l2.address, from_block=bridges.l2.from_block)
    sign_l2 = signer_for(signer_client, l2)

    def signed_then_l2_went_away(
        intent: BridgeBatch, messages: Sequence[Message], key: str
    ) -> OnchainSignature:
        signature = sign_l2(intent, messages, key)
        l2_link.cut()
        return signature

    policy = BatchPolicy(max_messages=10, max_age_us=0)
    to_l2 = Deliverer(engine, l2, signed_then_l2_went_away, RELAYER, policy, "relay-1")
    to_l1 = Deliverer(engine, l1, signer_for(signer_client, l1), RELAYER, policy, "relay-1")
    relay = RelayRound(
        watchers=[BridgeWatcher(l1, engine, CONFIRMATIONS), BridgeWatcher(l2, engine, CONFIRMATIONS)],
        veto_watchers=[VetoWatcher(l2, engine, CONFIRMATIONS), VetoWatcher(l1, engine, CONFIRMATIONS)],
        deliverers=[to_l2, to_l1],
    )

    bridges.deposit(alice, 4_000_000)
    bridges.deposit(alice, 6_000_000)
    mine(bridges.l1_node, CONFIRMATIONS)
    with caplog.at_level(logging.WARNING, logger="relay.bridge"):
        assert relay.run_once() == 1  # read on L1; signed; L2 gone before the attestation was sent
        assert relay.run_once() == 3  # L2's watcher, veto watcher and deliverer
    assert caplog.text.count("round failed, retrying") == 4
    assert statuses(engine) == [(1, "batched"), (2, "batched")]
    assert attested_seqs(bridges.l2) == []
    l2_link.restore()
    to_l2.sign = sign_l2
    assert relay.run_once() == 0
    assert statuses(engine) == [(1, "claimed"), (2, "claimed")]

    bridges.l2.withdraw(alice, bridges.bridged.address, 3_000_000, alice.address)
    mine(bridges.l2_node, CONFIRMATIONS)
    before = int(bridges.tusd.functions.balanceOf(alice.address).call())
    assert relay.run_once() == 1  # read on L2, attested on L1, then L1 gone
    assert attested_seqs(bridges.l1) == [1]
    assert relay.run_once() == 3  # L1's watcher, veto watcher and deliverer
    l1_link.restore()
    assert relay.run_once() == 0  # found attested (not sent again), then released
    assert relay.run_once() == 0
    assert attested_seqs(bridges.l1) == [1]
    assert attested_seqs(bridges.l2) == [1]
    assert claimed_nonces(bridges.l1) == [1]
    assert claimed_nonces(bridges.l2) == [1, 2]
    assert int(bridges.tusd.functions.balanceOf(alice.address).call()) == before + 3_000_000
    assert bridges.bridged_balance(alice.address) == 7_000_000
