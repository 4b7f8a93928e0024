"""The keeper against a real anvil: each subscription charged exactly once per period as the chain's clock
moves, across restarts of the keeper object and of the `python -m relay.keeper` process (SIGTERM)."""

import itertools
import os
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hexbytes import HexBytes

from chain.client import make_web3
from chain.deployments import Deployments
from chain.dev_accounts import dev_accounts
from chain.paths import PROJECT_ROOT
from relay.cursor import make_engine
from relay.keeper import Keeper
from scripts._support.anvil import AnvilConfig, AnvilNode
from scripts._support.processes import ManagedProcess, free_port
from tests.helpers.subscription_world import PERIOD, World, build_world

pytestmark = pytest.mark.devnet

NETWORK = "keeperdevnet"
CHAIN_ID = 31337
PROCESS_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    """An anvil of this module's own: its clock moves, which no other test should see."""
    node = AnvilNode(AnvilConfig("keeper", free_port(), CHAIN_ID), log_dir=tmp_path_factory.mktemp("anvil"))
    node.start()
    yield node
    node.stop()


@pytest.fixture
def world(anvil: AnvilNode, compiled_manifest: Path) -> World:
    return build_world(make_web3(anvil.url), dev_accounts()[0].address)


def keeper_for(world: World, database_url: str) -> Keeper:
    return Keeper(world.manager, world.relayer, make_engine(database_url), confirmations=1, batch_size=2)


def charges(world: World) -> Counter[tuple[int, int]]:
    """How many `Charged` events each (subscription, paid-through time) has had on the chain."""
    events = world.manager.events(world.manager.from_block, int(world.w3.eth.block_number))
    return Counter(
        (event.args["subscription_id"], event.args["paid_through"])
        for event in events
        if event.event == "Charged"
    )


def assert_each_period_paid_once(world: World, ids: list[int], periods: int) -> None:
    counted = charges(world)
    assert set(counted.values()) == {1}
    for subscription_id in ids:
        paid = sorted(paid_through for sid, paid_through in counted if sid == subscription_id)
        assert len(paid) == periods
        assert all(later - earlier == PERIOD for earlier, later in itertools.pairwise(paid))
        assert world.manager.subscription(subscription_id).periods_paid == periods


def registry_for(world: World, directory: Path) -> None:
    """A deployments registry naming the world's manager, as the deploy script would write it."""
    receipts = [
        world.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
        for tx_hash in world.w3.eth.get_block(world.manager.from_block)["transactions"]
        if isinstance(tx_hash, bytes)
    ]
    creation = next(receipt for receipt in receipts if receipt["contractAddress"] == world.manager.address)
    registry = Deployments.create(NETWORK, CHAIN_ID, directory)
    registry.record(
        "SubscriptionManager",
        address=world.manager.address,
        tx_hash=bytes(creation["transactionHash"]),
        block_number=world.manager.from_block,
    )
    registry.save()


def test_keeper_charges_once_per_period_across_restarts(
    anvil: AnvilNode, world: World, database_url: str, tmp_path: Path
) -> None:
    ids = world.subscribe_all()  # period 1, paid when subscribing
    keeper = keeper_for(world, database_url)
    assert keeper.run_once().charged == []

    anvil.increase_time(PERIOD)
    assert keeper.run_once().charged == ids  # period 2
    assert keeper.run_once().charged == []
    assert keeper_for(world, database_url).run_once().charged == []  # a restarted keeper
    assert_each_period_paid_once(world, ids, 2)

    registry_for(world, tmp_path / "deployments")
    key_file = tmp_path / "relayer.key"
    key_file.write_text("0x" + bytes(world.relayer.key).hex())
    key_file.chmod(0o600)
    env = {
        **os.environ,
        "TPW_KEEPER_RPC_URL": anvil.url,
        "TPW_KEEPER_DEPLOYMENTS_NETWORK": NETWORK,
        "TPW_KEEPER_DEPLOYMENTS_DIR": str(tmp_path / "deployments"),
        "TPW_KEEPER_DATABASE_URL": database_url,
        "TPW_KEEPER_RELAYER_KEY_FILE": str(key_file),
        "TPW_KEEPER_CONFIRMATIONS": "1",
        "TPW_KEEPER_POLL_INTERVAL_SECONDS": "0.2",
        "TPW_KEEPER_LOG_LEVEL": "DEBUG",
    }
    log_path = tmp_path / "keeper.log"

    def rounds() -> int:
        return log_path.read_text(errors="replace").count(" round: ")

    argv = [sys.executable, "-m", "relay.keeper"]
    with ManagedProcess("keeper", argv, log_path=log_path, env=env, cwd=PROJECT_ROOT) as process:
        anvil.increase_time(PERIOD)
        # period 3, charged by the process
        process.wait_ready(lambda: sum(charges(world).values()) >= 3 * len(ids), timeout=PROCESS_TIMEOUT)
        charged_by = rounds()
        # Three more rounds of the process after the charge (each logs at DEBUG): none may charge again.
        process.wait_ready(lambda: rounds() >= charged_by + 3, timeout=PROCESS_TIMEOUT)
        process.stop(timeout=PROCESS_TIMEOUT)  # SIGTERM: the round in progress ends, then the loop
        assert process.returncode == 0, log_path.read_text()
    assert "keeper stopped" in log_path.read_text()
    assert_each_period_paid_once(world, ids, 3)

    assert keeper_for(world, database_url).run_once().charged == []  # back in process, same database
    anvil.increase_time(PERIOD)
    assert keeper_for(world, database_url).run_once().charged == ids  # period 4
    assert_each_period_paid_once(world, ids, 4)
