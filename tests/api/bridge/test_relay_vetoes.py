"""The guardian's veto through the relay, on two real anvils with a real custody group: withdrawal batches
attested on L1 and one vetoed inside its challenge window (by the treasury owners through the
`MultisigTreasury` that guards L1, as in production) are noticed at the depth, the vetoed one and every
later one recorded vetoed, their messages cut again into new seqs chained to the last batch not vetoed, and
released once after the window; the API shows each step. A reorg of L1 deeper than the depth that took away a
deposit already attested on L2 orphans it and names the batch to veto; after the veto only the deposit the
final chain holds is minted, once. Had the batch only been cut, the relay drops it itself."""

import logging
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, select
from web3 import Web3

from chain.bridge.batch import ZERO_ROOT
from chain.bridge.contracts import Bridge
from chain.dev_accounts import dev_accounts
from payments.bridge.schema import bridge_batches, bridge_messages
from payments.bridge.store import BatchPolicy, cut_batch, to_hex
from relay.bridge.delivery import Deliverer, Signer, now_us
from relay.bridge.vetoes import VetoWatcher
from relay.bridge.watcher import BridgeWatcher
from scripts._support.anvil import AnvilNode, rpc_call
from tests.api.bridge.test_relay_devnet import CONFIRMATIONS, RELAYER, relay, seen
from tests.api.merchants.conftest import Caller, operator, session  # noqa: F401  (fixtures)
from tests.helpers.bridge_pair import (
    USERS,
    Bridges,
    Guardian,
    account_guardian,
    deploy_test_bridges,
    mine,
    treasury_guardian,
)

pytestmark = pytest.mark.devnet

WINDOW = 3600
BRIDGE = "/v1/bridge"


def treasury_guards_l1(w1: Web3, w2: Web3) -> tuple[Guardian, Guardian]:
    return treasury_guardian(w1), account_guardian(w2, dev_accounts()[5])


@pytest.fixture
def bridges(l1_anvil: AnvilNode, l2_anvil: AnvilNode) -> Bridges:
    """The bridges with L1 guarded by a MultisigTreasury (two of three owners sign), L2 by dev account 5."""
    return deploy_test_bridges(l1_anvil, l2_anvil, treasury_guards_l1)


def batches_into(engine: Engine, chain_id: int) -> list[tuple[int, str, str, str]]:
    """(seq, status, root, prev_root) of the batches attested on `chain_id`, by seq."""
    columns = bridge_batches.c
    with engine.connect() as connection:
        rows = connection.execute(
            select(columns.seq, columns.status, columns.root, columns.prev_root)
            .where(columns.dst_chain_id == chain_id)
            .order_by(columns.seq)
        )
        return [(int(seq), str(status), str(root), str(prev)) for seq, status, root, prev in rows]


def message_ids(engine: Engine, src_chain_id: int) -> list[str]:
    """The ids of the messages sent on `src_chain_id`, by nonce then amount."""
    columns = bridge_messages.c
    with engine.connect() as connection:
        query = select(columns.id).where(columns.src_chain_id == src_chain_id)
        return list(connection.scalars(query.order_by(columns.nonce, columns.amount)))


def claimed_nonces(bridge: Bridge) -> list[int]:
    """The nonces the bridge paid out, one per `Claimed` event."""
    events = bridge.contract.events.Claimed.get_logs(from_block=bridge.from_block, to_block="latest")
    return sorted(int(event["args"]["nonce"]) for event in events)


def read(reader: Caller, path: str) -> Any:
    response = reader.get(BRIDGE + path)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_vetoed_withdrawal_is_cut_again_and_released_once(
    bridges: Bridges,
    engine: Engine,
    sign: Signer,
    sign_l1: Signer,
    operator: Callable[..., Caller],  # noqa: F811
) -> None:
    reader = operator("custody:read")
    alice = dev_accounts()[USERS[0]]
    bridges.deposit(alice, 9_000_000)
    assert seen(bridges, engine) == 1
    assert relay(bridges, engine, sign).run_once() == 1
    bridges.l1_guardian.run(bridges.l1.contract.functions.set_challenge_window(WINDOW))
    before = int(bridges.tusd.functions.balanceOf(alice.address).call())
    for amount in (1_000_000, 2_000_000, 3_000_000):
        bridges.l2.withdraw(alice, bridges.bridged.address, amount, alice.address)
    mine(bridges.l2_node, CONFIRMATIONS)
    assert BridgeWatcher(bridges.l2, engine, CONFIRMATIONS).run_once() == 3
    back = Deliverer(engine, bridges.l1, sign_l1, RELAYER, BatchPolicy(1, 0), "relay-1")
    vetoes = VetoWatcher(bridges.l1, engine, CONFIRMATIONS)
    assert back.run_once() == 0  # seqs 1, 2, 3 attested; their windows are open
    root_1 = batches_into(engine, 31337)[0][2]

    bridges.l1_guardian.run(bridges.l1.contract.functions.veto(2))
    assert vetoes.run_once() == 0  # not at the depth yet
    mine(bridges.l1_node, CONFIRMATIONS)
    assert vetoes.run_once() == 2
    assert vetoes.run_once() == 0
    listed = [
        (b["seq"], b["status"]) for b in read(reader, "/batches")["data"] if b["dst_chain_id"] == "31337"
    ]
    assert sorted(listed) == [("1", "attested"), ("2", "vetoed"), ("3", "vetoed")]
    first, second, third = message_ids(engine, 31338)
    assert (
        read(reader, f"/messages/{second}")["status"],
        read(reader, f"/messages/{second}")["batch_seq"],
    ) == (
        "seen",
        None,
    )

    assert back.run_once() == 0  # cut again as seqs 4 and 5, chained to seq 1, attested
    rows = batches_into(engine, 31337)
    assert [(seq, status) for seq, status, _, _ in rows] == [
        (1, "attested"),
        (2, "vetoed"),
        (3, "vetoed"),
        (4, "attested"),
        (5, "attested"),
    ]
    assert rows[3][3] == root_1
    assert rows[4][3] == rows[3][2]
    again = read(reader, f"/messages/{second}")
    assert (again["status"], again["batch_seq"]) == ("attested", "4")
    assert int(bridges.tusd.functions.balanceOf(alice.address).call()) == before

    rpc_call(bridges.l1_node.url, "evm_increaseTime", [WINDOW + 1])
    mine(bridges.l1_node, 1)
    assert back.run_once() == 3
    assert back.run_once() == 0
    assert int(bridges.tusd.functions.balanceOf(alice.address).call()) == before + 6_000_000
    assert claimed_nonces(bridges.l1) == [1, 2, 3]
    assert [read(reader, f"/messages/{id_}")["status"] for id_ in (first, second, third)] == ["claimed"] * 3
    assert [bridges.l1.record(seq).vetoed for seq in range(1, 6)] == [False, True, True, False, False]


def test_a_deposit_a_deep_reorg_took_away_is_orphaned_and_never_minted(
    bridges: Bridges,
    engine: Engine,
    sign: Signer,
    operator: Callable[..., Caller],  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    reader = operator("custody:read")
    vanishing, staying = dev_accounts()[USERS[0]], dev_accounts()[USERS[1]]
    recipient = dev_accounts()[9].address
    bridges.l2_guardian.run(bridges.l2.contract.functions.set_challenge_window(WINDOW))
    watcher = BridgeWatcher(bridges.l1, engine, CONFIRMATIONS)
    deliverer = relay(bridges, engine, sign)
    vetoes = VetoWatcher(bridges.l2, engine, CONFIRMATIONS)
    snapshot = rpc_call(bridges.l1_node.url, "evm_snapshot")
    # sent without the nonce tracker: the revert takes the nonce back
    call = bridges.l1.contract.functions.deposit(bridges.tusd.address, 1_000_000, recipient)
    bridges.l1.w3.eth.wait_for_transaction_receipt(call.transact({"from": vanishing.address}))
    mine(bridges.l1_node, CONFIRMATIONS)
    assert watcher.run_once() == 1
    assert deliverer.run_once() == 0  # attested on L2 as seq 1; the window is open

    assert rpc_call(bridges.l1_node.url, "evm_revert", [snapshot]) is True
    bridges.deposit(staying, 2_000_000, recipient)  # takes nonce 1 on the new chain
    mine(bridges.l1_node, CONFIRMATIONS + 2)  # longer than the old chain: deeper than the depth
    with caplog.at_level(logging.CRITICAL, logger="relay.bridge"):
        assert watcher.run_once() == 1
    assert "guardian: veto batch seqs ['1 (attested)']" in caplog.text
    vanished, staying_id = message_ids(engine, 31337)  # nonce 1 both, 1 tUSD then 2 tUSD
    assert read(reader, f"/messages/{vanished}")["status"] == "orphaned"

    with caplog.at_level(logging.ERROR, logger="relay.bridge"):
        assert deliverer.run_once() == 0  # the new deposit cut as seq 2 after seq 1, attested
    assert "holds messages [1] a reorg took away" in caplog.text
    bridges.l2_guardian.run(bridges.l2.contract.functions.veto(1))
    mine(bridges.l2_node, CONFIRMATIONS)
    assert vetoes.run_once() == 1  # seqs 1 and 2 vetoed; only the deposit that exists returns
    assert deliverer.run_once() == 0  # cut again as seq 3, after no batch
    assert [(seq, status, prev) for seq, status, _, prev in batches_into(engine, 31338)] == [
        (1, "vetoed", to_hex(ZERO_ROOT)),
        (2, "vetoed", batches_into(engine, 31338)[0][2]),
        (3, "attested", to_hex(ZERO_ROOT)),
    ]

    rpc_call(bridges.l2_node.url, "evm_increaseTime", [WINDOW + 1])
    mine(bridges.l2_node, 1)
    assert deliverer.run_once() == 1
    assert deliverer.run_once() == 0
    assert bridges.bridged_balance(recipient) == 2_000_000
    assert claimed_nonces(bridges.l2) == [1]
    assert read(reader, f"/messages/{vanished}")["status"] == "orphaned"
    assert read(reader, f"/messages/{staying_id}")["status"] == "claimed"


def test_a_cut_batch_a_deep_reorg_took_a_message_from_is_dropped_before_it_is_attested(
    bridges: Bridges, engine: Engine, sign: Signer, caplog: pytest.LogCaptureFixture
) -> None:
    """Cut but not attested (a relay died before signing): no veto is needed, the relay drops the batch and
    every batch cut after it, and cuts the surviving deposit again."""
    vanishing, staying = dev_accounts()[USERS[0]], dev_accounts()[USERS[1]]
    recipient = dev_accounts()[9].address
    watcher = BridgeWatcher(bridges.l1, engine, CONFIRMATIONS)
    snapshot = rpc_call(bridges.l1_node.url, "evm_snapshot")
    call = bridges.l1.contract.functions.deposit(bridges.tusd.address, 1_000_000, recipient)
    bridges.l1.w3.eth.wait_for_transaction_receipt(call.transact({"from": vanishing.address}))
    mine(bridges.l1_node, CONFIRMATIONS)
    assert watcher.run_once() == 1
    assert cut_batch(engine, bridges.l2.inbound(), BatchPolicy(10, 0), now_us()) is not None

    assert rpc_call(bridges.l1_node.url, "evm_revert", [snapshot]) is True
    bridges.deposit(staying, 2_000_000, recipient)
    mine(bridges.l1_node, CONFIRMATIONS + 2)
    with caplog.at_level(logging.CRITICAL, logger="relay.bridge"):
        assert watcher.run_once() == 1
    assert "guardian: veto batch seqs ['1 (cut)']" in caplog.text
    deliverer = relay(bridges, engine, sign)
    assert deliverer.run_once() == 0  # the new deposit cut as seq 2 after seq 1; both dropped
    assert batches_into(engine, 31338) == []
    assert deliverer.run_once() == 1  # cut again as seq 1 after no batch, attested, minted
    assert [(seq, status, prev) for seq, status, _, prev in batches_into(engine, 31338)] == [
        (1, "delivered", to_hex(ZERO_ROOT))
    ]
    assert bridges.bridged_balance(recipient) == 2_000_000
    assert claimed_nonces(bridges.l2) == [1]
    with engine.connect() as connection:
        orphaned = connection.execute(
            select(bridge_messages.c.amount, bridge_messages.c.batch_id).where(
                bridge_messages.c.status == "orphaned"
            )
        ).all()
    assert [(str(amount), batch_id) for amount, batch_id in orphaned] == [("1000000", None)]
