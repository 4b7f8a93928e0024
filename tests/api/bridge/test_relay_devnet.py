"""The bridge relay on two real anvils with a real custody group: deposits on L1 read at the depth, batched,
the batch signed by the custody group through the API and attested on L2 by a relayer, each message claimed
once. A crash at every step resumes to one mint per message; of two relays only the lease holder delivers,
and a dead one's lease expires; a reorg shallower than the depth mints nothing twice; a deposit over the rate
limit is queued and released once, by the relay or by anyone else."""

import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest
from eth_typing import HexStr
from sqlalchemy import Engine, select

from chain import pipeline
from chain.bridge.batch import Batch
from chain.dev_accounts import dev_accounts
from chain.transactions import TransactionFailed, send_call
from payments.bridge.lease import take_lease
from payments.bridge.schema import bridge_batches, bridge_messages
from payments.bridge.store import BatchPolicy, cut_batch, message_of, queued_messages
from relay.bridge.delivery import Deliverer, Signer, now_us
from relay.bridge.watcher import BridgeWatcher
from scripts._support.anvil import rpc_call
from tests.helpers.bridge_pair import QUEUE_DELAY, USERS, Bridges, mine

pytestmark = pytest.mark.devnet

RELAYER = dev_accounts()[6]
CONFIRMATIONS = 2


def relay(bridges: Bridges, engine: Engine, sign: Signer, holder: str = "relay-1", **extra: Any) -> Deliverer:
    policy = BatchPolicy(max_messages=10, max_age_us=0)
    return Deliverer(engine, bridges.l2, sign, RELAYER, policy, holder, **extra)


def statuses(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(bridge_messages.c.nonce, bridge_messages.c.status).order_by(
                bridge_messages.c.nonce, bridge_messages.c.src_chain_id
            )
        ).all()
    return [(int(nonce), str(status)) for nonce, status in rows]


def seen(bridges: Bridges, engine: Engine) -> int:
    mine(bridges.l1_node, CONFIRMATIONS)
    return BridgeWatcher(bridges.l1, engine, CONFIRMATIONS).run_once()


def test_deposits_cross_to_l2_once(bridges: Bridges, engine: Engine, sign: Signer) -> None:
    alice, bob = dev_accounts()[USERS[0]], dev_accounts()[USERS[1]]
    bridges.deposit(alice, 5_000_000)
    bridges.deposit(alice, 2_500_000, bob.address)
    deliverer = relay(bridges, engine, sign)
    assert deliverer.run_once() == 0  # nothing read yet
    assert seen(bridges, engine) == 2
    assert deliverer.run_once() == 2
    assert (bridges.bridged_balance(alice.address), bridges.bridged_balance(bob.address)) == (
        5_000_000,
        2_500_000,
    )
    assert statuses(engine) == [(1, "claimed"), (2, "claimed")]
    assert deliverer.run_once() == 0
    assert bridges.bridged_balance(alice.address) == 5_000_000

    bridges.deposit(bob, 1_000_000)  # the next batch chains to the first
    assert seen(bridges, engine) == 1
    assert deliverer.run_once() == 1
    assert bridges.bridged_balance(bob.address) == 3_500_000
    with engine.connect() as connection:
        batches = connection.execute(
            select(
                bridge_batches.c.seq,
                bridge_batches.c.root,
                bridge_batches.c.prev_root,
                bridge_batches.c.status,
            ).order_by(bridge_batches.c.seq)
        ).all()
    assert [(seq, status) for seq, _, _, status in batches] == [(1, "delivered"), (2, "delivered")]
    assert batches[1][2] == batches[0][1]
    assert bridges.l2.record(2).fingerprint != bytes(32)


def test_a_withdrawal_is_released_on_l1_after_the_challenge_window(
    bridges: Bridges, engine: Engine, sign: Signer, sign_l1: Signer
) -> None:
    alice = dev_accounts()[USERS[0]]
    bridges.deposit(alice, 5_000_000)
    assert seen(bridges, engine) == 1
    assert relay(bridges, engine, sign).run_once() == 1
    guardian = dev_accounts()[5]
    send_call(bridges.l1.w3, guardian, bridges.l1.contract.functions.set_challenge_window(3600))
    before = int(bridges.tusd.functions.balanceOf(alice.address).call())
    bridges.l2.withdraw(alice, bridges.bridged.address, 2_000_000, alice.address)
    assert bridges.bridged_balance(alice.address) == 3_000_000
    mine(bridges.l2_node, CONFIRMATIONS)
    assert BridgeWatcher(bridges.l2, engine, CONFIRMATIONS).run_once() == 1
    back = Deliverer(engine, bridges.l1, sign_l1, RELAYER, BatchPolicy(10, 0), "relay-1")
    assert back.run_once() == 0  # attested; the guardian's window is open
    assert statuses(engine) == [(1, "claimed"), (1, "attested")]
    assert bridges.l1.record(1).deadline > int(bridges.l1.w3.eth.get_block("latest")["timestamp"])
    assert int(bridges.tusd.functions.balanceOf(alice.address).call()) == before
    rpc_call(bridges.l1_node.url, "evm_increaseTime", [3601])
    mine(bridges.l1_node, 1)
    assert back.run_once() == 1
    assert back.run_once() == 0
    assert int(bridges.tusd.functions.balanceOf(alice.address).call()) == before + 2_000_000
    assert statuses(engine) == [(1, "claimed"), (1, "claimed")]


def queued_deposit(bridges: Bridges, engine: Engine, sign: Signer) -> Deliverer:
    """L2's limit lowered to 1 tUSD a day by the guardian, alice's 3 tUSD deposit delivered and queued on L2;
    the deliverer that did it."""
    limit = bridges.l2.contract.functions.set_token(bridges.bridged.address, bridges.tusd.address, 1_000_000)
    bridges.l2_guardian.run(limit)
    bridges.deposit(dev_accounts()[USERS[0]], 3_000_000)
    assert seen(bridges, engine) == 1
    deliverer = relay(bridges, engine, sign)
    assert deliverer.run_once() == 1
    assert statuses(engine) == [(1, "queued")]
    return deliverer


def test_over_the_rate_limit_a_deposit_is_queued_and_released_once(
    bridges: Bridges, engine: Engine, sign: Signer
) -> None:
    alice = dev_accounts()[USERS[0]]
    deliverer = queued_deposit(bridges, engine, sign)
    assert bridges.bridged_balance(alice.address) == 0
    assert deliverer.run_once() == 0  # the delay is not over
    rpc_call(bridges.l2_node.url, "evm_increaseTime", [QUEUE_DELAY + 1])
    mine(bridges.l2_node, 1)
    assert deliverer.run_once() == 1
    assert statuses(engine) == [(1, "released")]
    assert deliverer.run_once() == 0
    assert bridges.bridged_balance(alice.address) == 3_000_000


def test_a_crash_at_each_step_mints_once(
    bridges: Bridges, engine: Engine, sign: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = dev_accounts()[USERS[0]]
    bridges.deposit(alice, 4_000_000)
    bridges.deposit(alice, 6_000_000)
    assert seen(bridges, engine) == 2

    def dies(*_: object) -> Any:
        raise KeyboardInterrupt("killed")

    # 1. killed while the custody group signs: the batch is cut, nothing sent
    with pytest.raises(KeyboardInterrupt):
        relay(bridges, engine, dies).run_once()
    assert statuses(engine) == [(1, "batched"), (2, "batched")]
    assert bridges.l2.record(1).fingerprint == bytes(32)

    # 2. killed right after the attestation was sent and mined, before it was recorded
    send, wait_for_all = pipeline.send, pipeline.wait_for_all

    def attested_then_killed(w3: Any, sender: Any, calls: list[Any], gas_limits: list[int]) -> Any:
        assert [call.description for call in calls] == ["attest(1)"]
        wait_for_all(w3, sender, send(w3, sender, calls, gas_limits))
        raise KeyboardInterrupt("killed after sending")

    monkeypatch.setattr(pipeline, "send", attested_then_killed)
    with pytest.raises(KeyboardInterrupt):
        relay(bridges, engine, sign).run_once()
    monkeypatch.undo()
    assert statuses(engine) == [(1, "batched"), (2, "batched")]

    # 3. the next relay (the lease is the same holder's: a restart) finds it attested, signs nothing, and is
    #    killed after its first claim_many (of one message each here) landed, before it was recorded

    def first_claim_then_killed(w3: Any, sender: Any, calls: list[Any], gas_limits: list[int]) -> Any:
        wait_for_all(w3, sender, send(w3, sender, calls[:1], gas_limits[:1]))
        raise KeyboardInterrupt("killed after claiming")

    monkeypatch.setattr(pipeline, "send", first_claim_then_killed)
    with pytest.raises(KeyboardInterrupt):
        relay(bridges, engine, dies, claims_per_transaction=1).run_once()
    monkeypatch.undo()
    assert statuses(engine) == [(1, "claimable"), (2, "claimable")]
    assert bridges.bridged_balance(alice.address) == 4_000_000

    # 4. restarted: the landed claim is recognised (consumed on-chain), the other one made, each once
    assert relay(bridges, engine, dies).run_once() == 2
    assert statuses(engine) == [(1, "claimed"), (2, "claimed")]
    assert bridges.bridged_balance(alice.address) == 10_000_000


def test_a_chunk_partly_claimed_elsewhere_still_lands_and_pays_each_once(
    bridges: Bridges, engine: Engine, sign: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A user self-claims one message of the relay's `claim_many` after the relay checked what is consumed
    and before its transaction lands: the bridge skips that message, the chunk pays the others, and the
    relay records the skipped one claimed (by someone else: no tx hash of its own)."""
    alice = dev_accounts()[USERS[0]]
    for amount in (1_000_000, 2_000_000, 3_000_000):
        bridges.deposit(alice, amount)
    assert seen(bridges, engine) == 3
    consumed = bridges.l2.consumed

    def consumed_then_alice_claims(nonces: Sequence[int]) -> list[bool]:
        answer = consumed(nonces)
        batch = Batch(bridges.l2.inbound(), bridges.l1.sent())
        bridges.l2.claim(alice, 1, batch, batch.message(2))
        return answer

    monkeypatch.setattr(bridges.l2, "consumed", consumed_then_alice_claims)
    assert relay(bridges, engine, sign).run_once() == 3
    monkeypatch.undo()
    assert statuses(engine) == [(1, "claimed"), (2, "claimed"), (3, "claimed")]
    assert bridges.bridged_balance(alice.address) == 6_000_000
    events = bridges.l2.contract.events.Claimed.get_logs(from_block=bridges.l2.from_block, to_block="latest")
    assert sorted(int(event["args"]["nonce"]) for event in events) == [1, 2, 3]
    with engine.connect() as connection:
        rows = connection.execute(select(bridge_messages.c.nonce, bridge_messages.c.claim_tx_hash)).all()
    hashes = {int(nonce): tx_hash for nonce, tx_hash in rows}
    assert hashes[2] is None
    assert hashes[1] == hashes[3] is not None  # one claim_many
    assert relay(bridges, engine, sign).run_once() == 0


def test_only_the_lease_holder_delivers_and_a_dead_ones_lease_expires(
    bridges: Bridges, engine: Engine, sign: Signer
) -> None:
    alice = dev_accounts()[USERS[0]]
    bridges.deposit(alice, 3_000_000)
    assert seen(bridges, engine) == 1
    route = bridges.l2.inbound()
    clock = [now_us()]
    batch_id = cut_batch(engine, route, BatchPolicy(max_messages=10, max_age_us=0), clock[0])
    assert batch_id is not None
    # a relay that took the batch and died: its lease runs for another 1.5 s of the live relay's clock
    assert take_lease(engine, f"bridge-batch:{batch_id}", "relay-dead", clock[0], 1_500_000)
    live = relay(bridges, engine, sign, "relay-live", clock=lambda: clock[0])
    assert live.run_once() == 0
    clock[0] += 1_499_999
    assert live.run_once() == 0
    assert bridges.bridged_balance(alice.address) == 0
    assert statuses(engine) == [(1, "batched")]
    clock[0] += 1
    assert live.run_once() == 1
    assert relay(bridges, engine, sign, "relay-dead").run_once() == 0  # back from the dead: nothing to do
    assert bridges.bridged_balance(alice.address) == 3_000_000
    assert statuses(engine) == [(1, "claimed")]


def test_a_reorg_shallower_than_the_depth_mints_nothing_twice(
    bridges: Bridges, engine: Engine, sign: Signer
) -> None:
    """A deposit one block deep vanishes in a reorg and another takes its nonce: the relay, reading three
    blocks deep, delivers only the one the final chain holds."""
    vanishing, staying = dev_accounts()[USERS[0]], dev_accounts()[USERS[1]]
    recipient = dev_accounts()[9].address
    watcher = BridgeWatcher(bridges.l1, engine, confirmations=3)
    deliverer = relay(bridges, engine, sign)
    snapshot = rpc_call(bridges.l1_node.url, "evm_snapshot")
    # sent without the nonce tracker: the revert takes the nonce back
    call = bridges.l1.contract.functions.deposit(bridges.tusd.address, 1_000_000, recipient)
    bridges.l1.w3.eth.wait_for_transaction_receipt(call.transact({"from": vanishing.address}))
    mine(bridges.l1_node, 1)
    assert watcher.run_once() == 0
    assert deliverer.run_once() == 0
    assert rpc_call(bridges.l1_node.url, "evm_revert", [snapshot]) is True
    bridges.deposit(staying, 2_000_000, recipient)
    mine(bridges.l1_node, 3)
    assert watcher.run_once() == 1
    assert deliverer.run_once() == 1
    assert bridges.bridged_balance(recipient) == 2_000_000
    assert statuses(engine) == [(1, "claimed")]
    assert bridges.l2.is_consumed(1)
    assert not bridges.l2.is_consumed(2)


def test_a_queued_deposit_released_by_someone_else_is_recorded_not_paid_again(
    bridges: Bridges, engine: Engine, sign: Signer
) -> None:
    """`release` is anyone's to call: the relay finds the message no longer queued and records it released."""
    alice, bob = dev_accounts()[USERS[0]], dev_accounts()[USERS[1]]
    deliverer = queued_deposit(bridges, engine, sign)
    rpc_call(bridges.l2_node.url, "evm_increaseTime", [QUEUE_DELAY + 1])
    mine(bridges.l2_node, 1)
    (row,) = queued_messages(engine, bridges.l2.inbound())
    bridges.l2.release(bob, message_of(bridges.l2.inbound(), row))
    assert deliverer.run_once() == 1
    assert statuses(engine) == [(1, "released")]
    assert deliverer.run_once() == 0
    assert bridges.bridged_balance(alice.address) == 3_000_000


def test_claims_ride_in_the_block_that_attests_their_batch(
    bridges: Bridges, engine: Engine, sign: Signer
) -> None:
    """L2 has no challenge window, so a batch is claimable in the block that attests it: the relay sends
    the claims right behind the attestation (estimated on the pending state) and both land in one block.
    L2 mines here only once two transactions wait, or after 3 s with one: a relay that awaited the
    attestation's receipt before claiming would show two blocks."""
    alice = dev_accounts()[USERS[0]]
    for _ in range(3):
        bridges.deposit(alice, 1_000_000)
    assert seen(bridges, engine) == 3
    with MinedInPairs(bridges.l2_node.url):
        assert relay(bridges, engine, sign).run_once() == 3
    with engine.connect() as connection:
        attest_tx = HexStr(str(connection.scalar(select(bridge_batches.c.attest_tx_hash))))
        claim_txs = {HexStr(str(tx)) for tx in connection.scalars(select(bridge_messages.c.claim_tx_hash))}
    w3 = bridges.l2.w3
    attested_in = w3.eth.get_transaction_receipt(attest_tx)["blockNumber"]
    assert {w3.eth.get_transaction_receipt(tx)["blockNumber"] for tx in claim_txs} == {attested_in}
    assert statuses(engine) == [(1, "claimed"), (2, "claimed"), (3, "claimed")]
    assert bridges.bridged_balance(alice.address) == 3_000_000


def test_claims_wait_for_the_attestation_when_the_pending_state_lacks_it(
    bridges: Bridges, engine: Engine, sign: Signer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A node whose pending state does not show the attestation refuses the claims' estimate there: nothing
    is sent early, and the claims go out once the attestation is mined, in the same round."""
    estimate = pipeline.estimate
    asked: list[str] = []

    def no_pending_state(w3: Any, sender: Any, calls: Any, *, block: str = "latest", workers: int = 1) -> Any:
        asked.append(block)
        if block == "pending":
            return [], TransactionFailed("claim_many()", "execution reverted: bridge: batch is not attested")
        return estimate(w3, sender, calls, block=block, workers=workers)

    monkeypatch.setattr(pipeline, "estimate", no_pending_state)
    alice = dev_accounts()[USERS[0]]
    bridges.deposit(alice, 1_000_000)
    bridges.deposit(alice, 2_000_000)
    assert seen(bridges, engine) == 2
    assert relay(bridges, engine, sign).run_once() == 2
    assert "pending" in asked
    assert statuses(engine) == [(1, "claimed"), (2, "claimed")]
    assert bridges.bridged_balance(alice.address) == 3_000_000


class MinedInPairs:
    """Within the block, `url`'s anvil mines only when two transactions wait in its pool, or one has waited
    3 s (so a relay that sends one at a time still ends, and the test fails on its blocks instead)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._mine, daemon=True)
        self.failure: Exception | None = None

    def __enter__(self) -> None:
        rpc_call(self.url, "evm_setAutomine", [False])
        self.thread.start()

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()
        rpc_call(self.url, "evm_setAutomine", [True])
        if self.failure is not None:
            raise AssertionError(f"the mining thread failed: {self.failure!r}")

    def _mine(self) -> None:
        alone_since: float | None = None
        try:
            while not self.stop.wait(0.02):
                waiting = int(str(rpc_call(self.url, "txpool_status")["pending"]), 0)
                if waiting == 1 and alone_since is None:
                    alone_since = time.monotonic()
                if waiting >= 2 or (waiting == 1 and alone_since and time.monotonic() - alone_since > 3):
                    rpc_call(self.url, "anvil_mine", ["0x1"])
                    alone_since = None
        except Exception as error:  # mine as usual again, so the relay ends and the test fails here
            self.failure = error
            rpc_call(self.url, "evm_setAutomine", [True])
