"""`python -m relay.bridge` against the API process and a real custody group on two anvils, killed with
SIGKILL twice mid-flow and restarted: every deposit is minted on L2 exactly once (one `Claimed` event per
nonce, the balance the sum of the deposits), every batch attested once at its own seq."""

import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from chain.dev_accounts import dev_accounts
from payments.bridge.schema import bridge_batches, bridge_messages
from scripts._support.processes import ManagedProcess
from tests.helpers.api_process import ApiProcess
from tests.helpers.bridge_pair import USERS, Bridges, mine, relay_environment
from tests.helpers.custody_nodes import CustodyGroup
from tests.helpers.waiting import wait_until

pytestmark = [pytest.mark.devnet, pytest.mark.slow]

DEPOSITS = 8


def claimed(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.scalar(
                select(func.count()).select_from(bridge_messages).where(bridge_messages.c.status == "claimed")
            )
            or 0
        )


def delivered(engine: Engine) -> int:
    """Batches recorded delivered: a batch closes just after its last claim is recorded."""
    with engine.connect() as connection:
        where = bridge_batches.c.status == "delivered"
        return int(connection.scalar(select(func.count()).select_from(bridge_batches).where(where)) or 0)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_relay_killed_mid_flow_delivers_each_deposit_once(
    tmp_path: Path, group: CustodyGroup, bridges: Bridges, engine: Engine, database_url: str
) -> None:
    alice = dev_accounts()[USERS[0]]
    amounts = [1_000_000 * (n + 1) for n in range(DEPOSITS)]
    for amount in amounts:
        bridges.deposit(alice, amount)
    mine(bridges.l1_node, 2)
    (tmp_path / "api").mkdir()
    with ApiProcess(tmp_path / "api", group, database_url) as api:
        inherited = {name: value for name, value in os.environ.items() if not name.startswith("TPW_")}
        env = inherited | relay_environment(
            bridges,
            database_url,
            api.url,
            tmp_path,
            api.token,
            confirmations="2",
            max_messages="1",
            claims_in_flight="1",
            lease_seconds="2",
            poll_interval_seconds="0.05",
        )

        def relay() -> ManagedProcess:
            argv = [sys.executable, "-m", "relay.bridge"]
            return ManagedProcess("bridge-relay", argv, log_path=tmp_path / "relay.log", env=env).start()

        def claimed_at_least(count: int) -> Callable[[], bool]:
            return lambda: claimed(engine) >= count

        for target in (2, 5):  # killed once a few are through, wherever the next one stands
            process = relay()
            assert wait_until(claimed_at_least(target), 120, interval=0.02)
            process.kill()
        process = relay()
        assert wait_until(lambda: claimed(engine) >= DEPOSITS and delivered(engine) >= DEPOSITS, 180)
        process.stop()
        assert claimed(engine) == DEPOSITS, process.log_tail()
    assert bridges.bridged_balance(alice.address) == sum(amounts)
    events = bridges.l2.contract.events.Claimed.get_logs(from_block=bridges.l2.from_block, to_block="latest")
    assert sorted(int(event["args"]["nonce"]) for event in events) == list(range(1, DEPOSITS + 1))
    with engine.connect() as connection:
        seqs = connection.execute(select(bridge_batches.c.seq, bridge_batches.c.status)).all()
    assert sorted(seqs) == [(seq, "delivered") for seq in range(1, DEPOSITS + 1)]
    for seq in range(1, DEPOSITS + 1):
        assert bridges.l2.record(seq).fingerprint != bytes(32)
    assert bridges.l2.record(DEPOSITS + 1).fingerprint == bytes(32)
