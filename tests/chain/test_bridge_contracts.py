"""chain.bridge.contracts against both bridges on plain web3 (py-evm), as the relay drives them: routes read
from the contracts, deposit -> attest -> claim, withdraw -> attest -> window -> claim, claim_many and what it
did read from its logs, the messages each bridge sent read back from its events, and a batch for the wrong
bridge refused before it is sent."""

import dataclasses
import itertools
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_tester import EthereumTester
from web3.contract import Contract

from chain import artifacts
from chain.bridge.batch import ZERO_ROOT, Batch
from chain.bridge.contracts import MAX_CLAIMS, BridgeL1, BridgeL2, claims_per_transaction
from chain.bridge.message import BridgeError
from chain.pipeline import Mined
from chain.transactions import send_call
from tests.helpers.frost_signing import Key, fixed_key, sign_with_key
from tests.helpers.py_evm import fresh_chain

pytestmark = pytest.mark.chain

WINDOW = 600
LIMIT = 10**12
USER_NUMBERS = itertools.count()


@dataclasses.dataclass
class Pair:
    tester: EthereumTester
    l1: BridgeL1
    l2: BridgeL2
    token: Contract
    bridged: Contract
    user: LocalAccount
    key: Key

    def attest(
        self, bridge: BridgeL1 | BridgeL2, batch: Batch, seq: int, prev_root: bytes = ZERO_ROOT
    ) -> None:
        signature = sign_with_key(self.key, batch.digest(seq, prev_root)).onchain()
        assert bridge.attest(self.user, batch, seq, prev_root, signature)["status"] == 1


@pytest.fixture
def pair(compiled_manifest: Any) -> Pair:
    tester, w3, owner, user = fresh_chain(f"tpwallet bridge face test user {next(USER_NUMBERS)}")
    key = fixed_key(1414)
    x, y = key[1].group_public_key.coordinates()
    chain_id = int(w3.eth.chain_id)

    def deploy(name: str, *args: Any) -> Contract:
        address, _ = artifacts.deploy(w3, name, *args, sender=owner)
        return artifacts.contract(w3, name, address)

    def transact(call: Any) -> None:
        assert w3.eth.wait_for_transaction_receipt(call.transact({"from": owner}))["status"] == 1

    l1 = deploy("BridgeL1", owner, chain_id, x, y, WINDOW, 3600)
    l2 = deploy("BridgeL2", owner, chain_id, x, y, 0, 3600)
    token = deploy("Token", "TPWallet USD", "tUSD", 6)
    bridged = deploy("BridgedToken", "TPWallet USD (bridged)", "tUSD.b", 6, l2.address)
    transact(l1.functions.initialize(l2.address))
    transact(l2.functions.initialize(l1.address))
    transact(l1.functions.set_token(token.address, bridged.address, LIMIT))
    transact(l2.functions.set_token(bridged.address, token.address, LIMIT))
    transact(token.functions.set_minter(owner, True))
    transact(token.functions.mint(user.address, 1_000 * 10**6))
    face_l1, face_l2 = BridgeL1(w3, l1.address), BridgeL2(w3, l2.address)
    pair = Pair(tester, face_l1, face_l2, token, bridged, user, key)
    send_call(w3, user, token.functions.approve(l1.address, LIMIT))
    return pair


def test_routes_come_from_the_contracts(pair: Pair) -> None:
    assert pair.l1.inbound() == pair.l2.outbound()
    assert pair.l2.inbound() == pair.l1.outbound()
    assert (pair.l2.inbound().src_bridge, pair.l2.inbound().dst_bridge) == (pair.l1.address, pair.l2.address)
    assert pair.l1.remote()[1] == pair.l2.address


def test_a_round_trip_through_the_face(pair: Pair) -> None:
    user = pair.user.address
    pair.l1.deposit(pair.user, pair.token.address, 70 * 10**6, user)
    pair.l1.deposit(pair.user, pair.token.address, 30 * 10**6, user)
    deposits = pair.l1.sent()
    assert [(m.nonce, m.amount, m.dst_token) for m in deposits] == [
        (1, 70 * 10**6, pair.bridged.address),
        (2, 30 * 10**6, pair.bridged.address),
    ]
    batch = Batch(pair.l2.inbound(), deposits)
    with pytest.raises(BridgeError, match="not for this bridge"):
        pair.l1.attest(pair.user, batch, 1, ZERO_ROOT, (1, 1, 1))
    pair.attest(pair.l2, batch, 1)
    assert pair.l2.record(1).deadline > 0
    for message in deposits:
        assert pair.l2.claim(pair.user, 1, batch, message)["status"] == 1
        assert pair.l2.is_consumed(message.nonce)
    assert pair.bridged.functions.balanceOf(user).call() == 100 * 10**6

    pair.l2.withdraw(pair.user, pair.bridged.address, 40 * 10**6, user)
    (withdrawal,) = pair.l2.sent()
    assert (withdrawal.nonce, withdrawal.dst_token, withdrawal.amount) == (1, pair.token.address, 40 * 10**6)
    back = Batch(pair.l1.inbound(), [withdrawal])
    pair.attest(pair.l1, back, 1)
    pair.tester.time_travel(pair.l1.record(1).deadline)
    before = pair.token.functions.balanceOf(user).call()
    assert pair.l1.claim(pair.user, 1, back, withdrawal)["status"] == 1
    assert pair.token.functions.balanceOf(user).call() == before + 40 * 10**6


def mined(receipt: Any) -> Mined:
    """A web3 receipt as `chain.pipeline` reports one."""
    logs = tuple(
        (str(log["address"]).lower(), tuple("0x" + bytes(topic).hex() for topic in log["topics"]))
        for log in receipt["logs"]
    )
    return Mined("0x" + bytes(receipt["transactionHash"]).hex(), receipt["status"] == 1, frozenset(), logs)


def test_claim_many_through_the_face_and_what_it_did(pair: Pair) -> None:
    user = pair.user.address
    for amount in (5, 6, 7):
        pair.l1.deposit(pair.user, pair.token.address, amount * 10**6, user)
    deposits = pair.l1.sent()
    batch = Batch(pair.l2.inbound(), deposits)
    pair.attest(pair.l2, batch, 1)
    pair.l2.claim(pair.user, 1, batch, deposits[1])  # claimed alone first: claim_many skips it
    receipt = pair.l2.claim_many(pair.user, 1, batch, deposits)
    assert pair.l2.claim_outcomes(mined(receipt)) == {1: "claimed", 3: "claimed"}
    assert [pair.l2.is_consumed(nonce) for nonce in (1, 2, 3, 4)] == [True, True, True, False]
    assert pair.bridged.functions.balanceOf(user).call() == 18 * 10**6
    call = pair.l2.claim_many_call(1, batch, deposits)
    assert (call.to, call.description) == (pair.l2.address, "claim_many()")


def test_claims_per_transaction_follow_the_gas_budget() -> None:
    assert claims_per_transaction(5_000_000) == 100
    assert claims_per_transaction(10) == 1
    assert claims_per_transaction(10**9) == MAX_CLAIMS
