"""Voided anchors on the devnet, across restarts: the anchorer's read position in the `Voided` events is
kept in the database with the batches it voided, so a restarted anchorer reads on from there (not from
the deployment block); killed between voiding the batches and cutting their trades again, in-process or
`python -m relay.settlement` with SIGKILL, every voided trade is anchored again exactly once."""

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from web3 import Web3

from api.db import make_engine
from chain.anchor import SettlementAnchor
from chain.deployments import Deployments
from chain.dev_accounts import dev_accounts
from matching.engine import Kind, Place, Side
from matching.markets import TPW_TUSD
from matching.settlement import batches as batches_module
from matching.settlement.batches import unfinished
from matching.settlement.schema import settlement_cursor_blocks, settlement_trades
from matching.spot.market import SpotMarket
from relay.settlement import anchorer as anchorer_module
from relay.settlement.anchorer import Anchorer
from scripts._support.anvil import AnvilNode
from scripts._support.stack.owners import owners_call
from tests.api.merchants.conftest import Onboarded
from tests.api.settlement.anchorer_process import anchorer_env, batches_in, start_anchorer
from tests.api.settlement.test_anchor_devnet import (  # noqa: F401  (fixtures)
    KIND,
    anchor,
    anchorer,
    app,
    group,
    last_seq,
    proof_of,
    registry,
    settings,
    signer_client,
    verify_on_chain,
    w3,
)
from tests.devnet.conftest import deploy_config, deployments_dir, l1_anvil  # noqa: F401  (fixtures)
from tests.helpers.api_process import ApiProcess
from tests.helpers.custody_nodes import CustodyGroup
from tests.helpers.waiting import wait_until
from tests.matching.spot.ledger_view import fund as fund_trader

pytestmark = pytest.mark.devnet


def void_from(chain: Web3, deployed: Deployments, contract: SettlementAnchor, seq: int) -> int:
    """The treasury owners (their real 2-of-3 path) void anchor `seq` and every later one; the block."""
    void = contract.contract.functions.void(KIND, seq)
    owners_call(chain, deployed.get("MultisigTreasury").address, void, dev_accounts()[8])
    assert contract.is_voided(KIND, seq)
    return int(chain.eth.block_number)


def batch_members(engine: Engine) -> dict[str, int | None]:
    """Every settled trade's batch id."""
    with engine.connect() as connection:
        rows = connection.execute(select(settlement_trades.c.id, settlement_trades.c.batch_id)).all()
    return {row.id: row.batch_id for row in rows}


def test_a_restarted_anchorer_reads_voids_on_from_its_stored_position(
    traded: list[str],
    merchant_a: Onboarded,
    anchorer: Anchorer,  # noqa: F811
    anchor: SettlementAnchor,  # noqa: F811
    engine: Engine,
    w3: Web3,  # noqa: F811
    registry: Deployments,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert anchorer.run_once() == 1
    seq = int(proof_of(merchant_a, traded[0])["seq"])
    voided_in = void_from(w3, registry, anchor, seq)
    assert anchorer.run_once() == 1  # voided, cut again and anchored as the next seq
    with engine.connect() as connection:
        stored = connection.scalars(select(settlement_cursor_blocks.c.number)).all()
    assert max(stored) >= voided_in

    read_from: list[int] = []
    voids = anchor.voids

    def recording(kind: int, from_block: int, to_block: int) -> list[tuple[int, int]]:
        read_from.append(from_block)
        return voids(kind, from_block, to_block)

    monkeypatch.setattr(anchor, "voids", recording)
    restarted = Anchorer(engine, anchor, anchorer.sign, dev_accounts()[6], anchorer.policy)
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]  # one block to read past the position
    assert restarted.run_once() == 0
    assert read_from, "the restarted anchorer read no Voided events"
    assert min(read_from) > max(stored)  # on from the stored position, not from the deployment block
    assert {batch_members(engine)[trade_id] for trade_id in traded} == {2}
    assert verify_on_chain(anchor, proof_of(merchant_a, traded[1]))


def test_a_crash_between_voiding_and_cutting_again_anchors_the_trades_once(
    traded: list[str],
    merchant_a: Onboarded,
    anchorer: Anchorer,  # noqa: F811
    anchor: SettlementAnchor,  # noqa: F811
    engine: Engine,
    w3: Web3,  # noqa: F811
    registry: Deployments,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert anchorer.run_once() == 1
    seq = int(proof_of(merchant_a, traded[0])["seq"])
    void_from(w3, registry, anchor, seq)

    def killed(*_: object, **__: object) -> None:
        raise KeyboardInterrupt("killed after the void was recorded, before the next cut")

    monkeypatch.setattr(anchorer_module, "cut_batch", killed)
    with pytest.raises(KeyboardInterrupt):
        anchorer.run_once()
    monkeypatch.undo()
    assert unfinished(engine) is None
    assert {batch_members(engine)[trade_id] for trade_id in traded} == {None}  # let go, none lost
    assert batches_in(engine, "voided") == 1

    restarted = Anchorer(engine, anchor, anchorer.sign, dev_accounts()[6], anchorer.policy)
    assert restarted.run_once() == 1
    assert restarted.run_once() == 0
    assert last_seq(anchor) == seq + 1  # anchored again once, as the next seq
    assert {batch_members(engine)[trade_id] for trade_id in traded} == {2}
    for trade_id in traded:
        assert verify_on_chain(anchor, proof_of(merchant_a, trade_id))


# -- the anchorer process killed with SIGKILL around a void ----------------------------------------------

TRADES, FIRST_VOIDED = 6, 3


@pytest.mark.slow
def test_the_anchorer_process_killed_after_a_void_anchors_each_voided_trade_again_once(
    tmp_path: Path,
    group: CustodyGroup,  # noqa: F811
    database_url: str,
    deployments_dir: Path,  # noqa: F811
    l1_anvil: AnvilNode,  # noqa: F811
    anchor: SettlementAnchor,  # noqa: F811
    w3: Web3,  # noqa: F811
    registry: Deployments,  # noqa: F811
) -> None:
    """Six batches of one trade anchored; the owners void the third (and with it every later one). The
    process is killed with SIGKILL once it has voided them and before it may cut again (it runs with a
    batch policy that cuts nothing then), restarted and killed again while it anchors them anew, and
    restarted: each of the four voided trades ends in exactly one new anchored batch, the contract's head
    moved by exactly 6 + 4, and every proof verifies on-chain."""
    (tmp_path / "api").mkdir()
    with ApiProcess(tmp_path / "api", group, database_url) as api:
        engine = make_engine(database_url)
        spot = SpotMarket.open(TPW_TUSD, tmp_path / "book", engine)
        for trader in (1, 2):
            fund_trader(engine, TPW_TUSD, trader, tpw=1_000, tusd=100_000)
        for n in range(TRADES):
            spot.place(Place(0, 2 * n + 1, 1, Side.BUY, Kind.LIMIT, 1, 200))
            spot.place(Place(0, 2 * n + 2, 2, Side.SELL, Kind.LIMIT, 1, 200))
        spot.close()
        cutting = anchorer_env(tmp_path, l1_anvil.url, deployments_dir, api, max_trades="1")
        holding = {**cutting, "TPW_SETTLEMENT_MAX_TRADES": "1000", "TPW_SETTLEMENT_MAX_AGE_SECONDS": "3600"}
        before = last_seq(anchor)

        def at_least(status: str, count: int) -> Callable[[], bool]:
            return lambda: batches_in(engine, status) >= count

        process = start_anchorer(tmp_path, cutting)
        assert wait_until(at_least("anchored", TRADES), 120, interval=0.02), process.log_tail()
        process.kill()
        members = batch_members(engine)
        voided_trades = {trade for trade, batch_id in members.items() if (batch_id or 0) >= FIRST_VOIDED}
        assert len(voided_trades) == TRADES - FIRST_VOIDED + 1
        third = batches_module.load_batch(engine, FIRST_VOIDED)
        assert third is not None
        assert third.anchor_seq is not None
        void_from(w3, registry, anchor, third.anchor_seq)

        process = start_anchorer(tmp_path, holding)  # voids, then may not cut: killed in between
        assert wait_until(at_least("voided", len(voided_trades)), 120, interval=0.02), process.log_tail()
        process.kill()
        assert unfinished(engine) is None
        assert {t for t, batch_id in batch_members(engine).items() if batch_id is None} == voided_trades

        process = start_anchorer(tmp_path, cutting)  # killed again while it anchors them anew
        assert wait_until(at_least("anchored", FIRST_VOIDED + 1), 120, interval=0.02), process.log_tail()
        process.kill()
        process = start_anchorer(tmp_path, cutting)
        assert wait_until(at_least("anchored", TRADES), 180), process.log_tail()
        process.stop()

        assert batches_in(engine, "anchored") == TRADES, process.log_tail()  # the two kept and four new
        assert batches_in(engine, "voided") == len(voided_trades)
        assert last_seq(anchor) == before + TRADES + len(
            voided_trades
        )  # each voided trade anchored once more
        members = batch_members(engine)
        new_batches = {members[trade_id] for trade_id in voided_trades}
        assert len(new_batches) == len(voided_trades)  # one new batch each, none shared, none left out
        assert all(batch_id is not None and batch_id > TRADES for batch_id in new_batches)
        for batch_id in set(members.values()):
            assert batch_id is not None
            batch = batches_module.load_batch(engine, batch_id)
            assert batch is not None
            assert (batch.status, batch.anchor_seq is not None) == ("anchored", True)
            assert batch.anchor_seq is not None
            tree = batches_module.batch_tree(engine, batch)
            assert anchor.verify(KIND, batch.anchor_seq, tree.leaves[0], [])
        engine.dispose()
