"""chain.pipeline on a real anvil: calls from one key sent back to back take consecutive nonces and share a
block; estimation stops at the first call that would revert, so only the calls before it are sent and the
refusal names the contract's reason; a call mined reverted is reported as failed, not raised."""

from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from chain.artifacts import contract, deploy
from chain.client import make_web3
from chain.dev_accounts import dev_accounts
from chain.pipeline import Call, FunctionEncoder, estimate, send, send_in_waves, wait_for_all
from chain.transactions import send_call
from scripts._support.anvil import AnvilNode, rpc_call
from tests.devnet.conftest import l1_anvil  # noqa: F401  (fixture)

pytestmark = pytest.mark.devnet

SENDER = dev_accounts()[4]


@pytest.fixture
def token(l1_anvil: AnvilNode) -> Any:  # noqa: F811
    """A fresh tUSD on the anvil, of which `SENDER` holds 100 units."""
    w3 = make_web3(l1_anvil.url)
    deployer = dev_accounts()[0]
    address, _ = deploy(w3, "Token", "Test USD", "tUSD", 6, sender=deployer.address)
    token = contract(w3, "Token", address)
    send_call(w3, deployer, token.functions.set_minter(deployer.address, True))
    send_call(w3, deployer, token.functions.mint(SENDER.address, 100))
    return token


def transfers(token: Any, amounts: list[int]) -> list[Call]:
    encode = FunctionEncoder(token, "transfer")
    return [
        Call(token.address, encode(dev_accounts()[9].address, amount), "transfer()") for amount in amounts
    ]


def test_calls_sent_together_share_a_block(l1_anvil: AnvilNode, token: Any) -> None:  # noqa: F811
    w3: Web3 = token.w3
    calls = transfers(token, [1, 2, 3, 4])
    limits, refusal = estimate(w3, SENDER, calls)
    assert refusal is None
    assert len(limits) == 4
    rpc_call(l1_anvil.url, "evm_setAutomine", [False])
    try:
        hashes = send(w3, SENDER, calls, limits)
        rpc_call(l1_anvil.url, "evm_mine")
    finally:
        rpc_call(l1_anvil.url, "evm_setAutomine", [True])
    mined = wait_for_all(w3, SENDER, hashes)
    assert [receipt.succeeded for receipt in mined] == [True] * 4
    receipts = [w3.eth.get_transaction_receipt(tx_hash) for tx_hash in hashes]  # type: ignore[arg-type]
    assert len({receipt["blockNumber"] for receipt in receipts}) == 1
    nonces = [w3.eth.get_transaction(tx_hash)["nonce"] for tx_hash in hashes]  # type: ignore[arg-type]
    assert nonces == list(range(nonces[0], nonces[0] + 4))
    transfer_topic = str(token.events.Transfer.topic).lower()
    assert all(transfer_topic in receipt.topics for receipt in mined)
    assert int(token.functions.balanceOf(dev_accounts()[9].address).call()) >= 10


def test_estimation_stops_at_the_first_refusal(token: Any) -> None:
    w3: Web3 = token.w3
    calls = transfers(token, [1, 10**9, 1])  # the second is more than the sender holds
    limits, refusal = estimate(w3, SENDER, calls)
    assert len(limits) == 1
    assert refusal is not None
    assert "transfer()" in str(refusal)
    before = w3.eth.get_transaction_count(SENDER.address)
    mined = wait_for_all(w3, SENDER, send(w3, SENDER, calls[: len(limits)], limits))
    assert [receipt.succeeded for receipt in mined] == [True]
    assert w3.eth.get_transaction_count(SENDER.address) == before + 1


@pytest.mark.parametrize("workers", [2, 3, 8])
def test_estimates_asked_in_parallel_batches_keep_the_order_and_stop_at_the_first_refusal(
    token: Any, workers: int
) -> None:
    """Calls of different costs (a transfer to a fresh address writes a new balance slot, one to the
    holder does not), each named, so an answer given to the wrong call shows."""
    w3: Web3 = token.w3
    encode = FunctionEncoder(token, "transfer")
    fresh = [Account.create().address for _ in range(4)]
    holder = dev_accounts()[9].address
    send_call(w3, SENDER, token.functions.transfer(holder, 1))
    recipients = [fresh[0], holder, fresh[1], holder, fresh[2], holder, fresh[3]]
    calls = [
        Call(token.address, encode(recipient, 10**9 if index == 5 else 1), f"transfer #{index}")
        for index, recipient in enumerate(recipients)
    ]  # the sixth is more than the sender holds
    one_by_one = [estimate(w3, SENDER, [call])[0] for call in calls[:5]]
    assert all(one_by_one[index] != one_by_one[index + 1] for index in range(4))  # the costs alternate
    limits, refusal = estimate(w3, SENDER, calls, workers=workers)
    assert limits == [limit for (limit,) in one_by_one]
    assert refusal is not None
    assert "transfer #5" in str(refusal)


def test_a_call_mined_reverted_is_reported_failed(token: Any) -> None:
    w3: Web3 = token.w3
    (call,) = transfers(token, [10**9])
    (mined,) = wait_for_all(w3, SENDER, send(w3, SENDER, [call], [100_000]))
    assert not mined.succeeded


def test_calls_go_in_waves_that_each_fit_a_block(token: Any) -> None:
    """Gas limits of 12M against anvil's 30M block: two calls a wave, the second wave sent only once the first
    is mined, every call mined in order with consecutive nonces."""
    w3: Web3 = token.w3
    calls = transfers(token, [1, 1, 1, 1, 1])
    capacity = int(w3.eth.get_block("latest")["gasLimit"])
    limit = capacity * 2 // 5
    mined = send_in_waves(w3, SENDER, calls, [limit] * len(calls))
    assert [receipt.succeeded for receipt in mined] == [True] * 5
    receipts = [w3.eth.get_transaction_receipt(receipt.tx_hash) for receipt in mined]  # type: ignore[arg-type]
    blocks = [int(receipt["blockNumber"]) for receipt in receipts]
    assert blocks == sorted(blocks)
    # a wave is mined before the next is sent
    assert blocks[2] > blocks[1]
    assert blocks[4] > blocks[3]
    nonces = [w3.eth.get_transaction(receipt.tx_hash)["nonce"] for receipt in mined]  # type: ignore[arg-type]
    assert nonces == list(range(nonces[0], nonces[0] + 5))
    transfer_topic = str(token.events.Transfer.topic).lower()
    assert all(token.address.lower() == emitter for receipt in mined for emitter, _ in receipt.logs)
    assert all(transfer_topic == topics[0] for receipt in mined for _, topics in receipt.logs)
