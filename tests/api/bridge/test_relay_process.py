"""`python -m relay.bridge` against the API process and a real custody group on two anvils: killed with
SIGKILL twice mid-flow and restarted, and two of them at once on a paused bridge that is then unpaused;
either way every deposit is minted on L2 exactly once (one `Claimed` event per nonce, the balance the sum of
the deposits), every batch attested once at its own seq. Batches hold two deposits, claimed together in one
`claim_many`."""

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from chain.dev_accounts import dev_accounts
from chain.transactions import send_call
from payments.bridge.schema import bridge_batches, bridge_messages
from scripts._support.processes import ManagedProcess
from tests.helpers.api_process import ApiProcess
from tests.helpers.bridge_pair import USERS, Bridges, mine, relay_environment
from tests.helpers.custody_nodes import CustodyGroup
from tests.helpers.waiting import wait_until

pytestmark = [pytest.mark.devnet, pytest.mark.slow]

DEPOSITS = 8
PER_BATCH = 2
BATCHES = DEPOSITS // PER_BATCH


def claimed(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.scalar(
                select(func.count()).select_from(bridge_messages).where(bridge_messages.c.status == "claimed")
            )
            or 0
        )


def all_delivered(engine: Engine) -> bool:
    """Every deposit claimed and every batch recorded delivered (a batch closes just after its last claim
    is recorded)."""
    with engine.connect() as connection:
        where = bridge_batches.c.status == "delivered"
        batches = int(connection.scalar(select(func.count()).select_from(bridge_batches).where(where)) or 0)
    return claimed(engine) >= DEPOSITS and batches >= BATCHES


def relay_env(tmp_path: Path, bridges: Bridges, api: ApiProcess, database_url: str) -> dict[str, str]:
    """The environment of a relay process on these bridges, this API and database: two messages a batch,
    one `claim_many` of both per batch, one batch's claims in flight, 2-second leases, rounds every 50 ms."""
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("TPW_")}
    return inherited | relay_environment(
        bridges,
        database_url,
        api.url,
        tmp_path,
        api.token,
        confirmations="2",
        max_messages=str(PER_BATCH),
        claims_in_flight=str(PER_BATCH),
        lease_seconds="2",
        poll_interval_seconds="0.05",
    )


def start_relay(name: str, env: dict[str, str], log_path: Path) -> ManagedProcess:
    return ManagedProcess(name, [sys.executable, "-m", "relay.bridge"], log_path=log_path, env=env).start()


def deposit_all(bridges: Bridges, tmp_path: Path) -> list[int]:
    """Alice's DEPOSITS deposits, mined at the relay's depth, and the API's directory made; the amounts."""
    alice = dev_accounts()[USERS[0]]
    amounts = [1_000_000 * (n + 1) for n in range(DEPOSITS)]
    for amount in amounts:
        bridges.deposit(alice, amount)
    mine(bridges.l1_node, 2)
    (tmp_path / "api").mkdir()
    return amounts


def assert_each_deposit_minted_once(bridges: Bridges, engine: Engine, amounts: list[int]) -> None:
    alice = dev_accounts()[USERS[0]]
    assert bridges.bridged_balance(alice.address) == sum(amounts)
    events = bridges.l2.contract.events.Claimed.get_logs(from_block=bridges.l2.from_block, to_block="latest")
    assert sorted(int(event["args"]["nonce"]) for event in events) == list(range(1, len(amounts) + 1))
    attested = bridges.l2.contract.events.BatchAttested.get_logs(
        from_block=bridges.l2.from_block, to_block="latest"
    )
    assert sorted(int(event["args"]["seq"]) for event in attested) == list(range(1, BATCHES + 1))
    with engine.connect() as connection:
        seqs = connection.execute(select(bridge_batches.c.seq, bridge_batches.c.status)).all()
    assert sorted(seqs) == [(seq, "delivered") for seq in range(1, BATCHES + 1)]
    claims = bridges.l2.contract.events.Claimed.get_logs(from_block=bridges.l2.from_block, to_block="latest")
    by_tx: dict[bytes, int] = {}
    for event in claims:
        by_tx[bytes(event["transactionHash"])] = by_tx.get(bytes(event["transactionHash"]), 0) + 1
    assert max(by_tx.values()) == PER_BATCH  # claimed together, in one claim_many


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_relay_killed_mid_flow_delivers_each_deposit_once(
    tmp_path: Path, group: CustodyGroup, bridges: Bridges, engine: Engine, database_url: str
) -> None:
    amounts = deposit_all(bridges, tmp_path)
    with ApiProcess(tmp_path / "api", group, database_url) as api:
        env = relay_env(tmp_path, bridges, api, database_url)

        def relay() -> ManagedProcess:
            return start_relay("bridge-relay", env, tmp_path / "relay.log")

        def claimed_at_least(count: int) -> Callable[[], bool]:
            return lambda: claimed(engine) >= count

        for target in (2, 5):  # killed once a few are through, wherever the next one stands
            process = relay()
            assert wait_until(claimed_at_least(target), 120, interval=0.02)
            process.kill()
        process = relay()
        assert wait_until(lambda: all_delivered(engine), 180), process.log_tail(80)
        process.stop()
        assert claimed(engine) == DEPOSITS, process.log_tail()
    assert_each_deposit_minted_once(bridges, engine, amounts)
    for seq in range(1, BATCHES + 1):
        assert bridges.l2.record(seq).fingerprint != bytes(32)
    assert bridges.l2.record(BATCHES + 1).fingerprint == bytes(32)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_relays_at_once_on_a_paused_bridge_deliver_each_batch_once(
    tmp_path: Path, group: CustodyGroup, bridges: Bridges, engine: Engine, database_url: str
) -> None:
    """Both relays find the batches while the guardian has paused L2: each attempt is refused and logged,
    nothing is lost; unpaused, of the two only a batch's lease holder delivers it."""
    guardian = dev_accounts()[5]
    send_call(bridges.l2.w3, guardian, bridges.l2.contract.functions.pause())
    amounts = deposit_all(bridges, tmp_path)
    with ApiProcess(tmp_path / "api", group, database_url) as api:
        env = relay_env(tmp_path, bridges, api, database_url)
        relays = [start_relay(f"bridge-relay-{n}", env, tmp_path / f"relay-{n}.log") for n in (1, 2)]
        try:
            assert wait_until(lambda: any("bridge: paused" in r.log_tail(50) for r in relays), 120)
            assert claimed(engine) == 0
            send_call(bridges.l2.w3, guardian, bridges.l2.contract.functions.unpause())
            assert wait_until(lambda: all_delivered(engine), 180), relays[0].log_tail()
        finally:
            for process in relays:
                process.stop()
    assert claimed(engine) == DEPOSITS
    assert_each_deposit_minted_once(bridges, engine, amounts)
