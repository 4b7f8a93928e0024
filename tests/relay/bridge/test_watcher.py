"""The bridge watchers on real anvils: messages read once, only at the confirmation depth, each under its
(chain, tx hash, log index); a reorg that replaced blocks already read is rewound in the same transaction and
the replacing chain's messages are recorded instead of the vanished ones; a batched message a deeper reorg
only moved to another block is kept."""

import logging

import pytest
from eth_typing import HexStr
from sqlalchemy import Engine, select
from web3.logs import DISCARD
from web3.types import TxParams

from chain.dev_accounts import dev_accounts
from payments.bridge.schema import bridge_cursor_blocks, bridge_messages
from payments.bridge.store import BatchPolicy, cut_batch, message_id
from relay.bridge.watcher import BridgeWatcher
from scripts._support.anvil import rpc_call
from tests.helpers.bridge_pair import USERS, Bridges, mine

pytestmark = pytest.mark.devnet


def messages(engine: Engine) -> list[tuple[str, int, str, str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                bridge_messages.c.tx_hash,
                bridge_messages.c.nonce,
                bridge_messages.c.amount,
                bridge_messages.c.status,
                bridge_messages.c.id,
            ).order_by(bridge_messages.c.nonce)
        ).all()
    return [
        (str(tx), int(nonce), str(amount), str(status), str(id_)) for tx, nonce, amount, status, id_ in rows
    ]


def test_deposits_are_read_at_the_depth_once(bridges: Bridges, engine: Engine) -> None:
    user = dev_accounts()[USERS[0]]
    watcher = BridgeWatcher(bridges.l1, engine, confirmations=2)
    first = bridges.deposit(user, 5_000_000)
    second = bridges.deposit(user, 7_000_000)
    assert watcher.run_once() == 0  # the second is not 2 blocks deep yet
    mine(bridges.l1_node, 1)
    assert watcher.run_once() == 1
    mine(bridges.l1_node, 1)
    assert watcher.run_once() == 1
    assert watcher.run_once() == 0
    assert [(tx, nonce, amount, status) for tx, nonce, amount, status, _ in messages(engine)] == [
        (first, 1, "5000000", "seen"),
        (second, 2, "7000000", "seen"),
    ]
    receipt = bridges.l1.w3.eth.get_transaction_receipt(HexStr(first))
    (deposited,) = bridges.l1.contract.events.Deposited().process_receipt(receipt, errors=DISCARD)
    assert messages(engine)[0][4] == message_id((31337, first, int(deposited["logIndex"])))
    # a second watcher on the same database (another relay, or this one restarted) records nothing again
    assert BridgeWatcher(bridges.l1, engine, confirmations=2).run_once() == 0
    assert len(messages(engine)) == 2


def test_a_reorg_of_blocks_already_read_is_rewound(bridges: Bridges, engine: Engine) -> None:
    """Depth 0 so that the reorg reaches what was read: the vanished deposit is dropped with the rewind and
    the one the new chain holds is recorded."""
    vanishing, staying = dev_accounts()[USERS[0]], dev_accounts()[USERS[1]]
    watcher = BridgeWatcher(bridges.l1, engine, confirmations=0)
    watcher.run_once()
    snapshot = rpc_call(bridges.l1_node.url, "evm_snapshot")
    # sent without the nonce tracker: the revert takes the nonce back
    call = bridges.l1.contract.functions.deposit(bridges.tusd.address, 1_000_000, vanishing.address)
    bridges.l1.w3.eth.wait_for_transaction_receipt(call.transact({"from": vanishing.address}))
    mine(bridges.l1_node, 2)
    assert watcher.run_once() == 1
    assert [amount for _, _, amount, _, _ in messages(engine)] == ["1000000"]
    assert rpc_call(bridges.l1_node.url, "evm_revert", [snapshot]) is True
    replacing = bridges.deposit(staying, 2_000_000)
    mine(bridges.l1_node, 3)  # the new chain is longer than the old
    assert watcher.run_once() == 1
    assert [(tx, nonce, amount) for tx, nonce, amount, _, _ in messages(engine)] == [
        (replacing, 1, "2000000")
    ]
    with engine.connect() as connection:
        stored = connection.execute(select(bridge_cursor_blocks.c.number, bridge_cursor_blocks.c.hash)).all()
    for number, block_hash in stored:  # every remembered block is the new chain's
        assert "0x" + bytes(bridges.l1.w3.eth.get_block(number)["hash"]).hex() == block_hash


def test_a_deep_reorg_that_only_moved_a_batched_message_keeps_it(
    bridges: Bridges, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    """The same signed deposit lands one block later on the replacing chain: the reorg reaches a message
    already batched, the watcher finds it by its transaction at the depth, records its new block and orphans
    nothing."""
    user = dev_accounts()[USERS[0]]
    w3 = bridges.l1.w3
    watcher = BridgeWatcher(bridges.l1, engine, confirmations=1)
    call = bridges.l1.contract.functions.deposit(bridges.tusd.address, 1_000_000, user.address)
    params: TxParams = {
        "from": user.address,
        "nonce": w3.eth.get_transaction_count(user.address),
        "chainId": 31337,
        "gas": 300_000,
    }
    tx = call.build_transaction(params)
    raw = user.sign_transaction(tx).raw_transaction  # type: ignore[arg-type]  # web3's TxParams is eth-account's dict
    snapshot = rpc_call(bridges.l1_node.url, "evm_snapshot")
    tx_hash = "0x" + bytes(w3.eth.send_raw_transaction(raw)).hex()
    mine(bridges.l1_node, 1)
    assert watcher.run_once() == 1
    assert cut_batch(engine, bridges.l1.outbound(), BatchPolicy(1, 0), 0) is not None
    old_block = int(w3.eth.get_transaction_receipt(HexStr(tx_hash))["blockNumber"])

    assert rpc_call(bridges.l1_node.url, "evm_revert", [snapshot]) is True
    mine(bridges.l1_node, 1)  # the deposit lands a block later than before
    assert "0x" + bytes(w3.eth.send_raw_transaction(raw)).hex() == tx_hash
    mine(bridges.l1_node, 2)
    with caplog.at_level(logging.WARNING, logger="relay.bridge"):
        assert watcher.run_once() == 0
    assert "reorg on chain 31337" in caplog.text
    assert "took away" not in caplog.text
    receipt = w3.eth.get_transaction_receipt(HexStr(tx_hash))
    assert int(receipt["blockNumber"]) == old_block + 1
    with engine.connect() as connection:
        row = connection.execute(select(bridge_messages)).mappings().one()
    assert (row["status"], row["block_number"], row["block_hash"]) == (
        "batched",
        old_block + 1,
        "0x" + bytes(receipt["blockHash"]).hex(),
    )
