"""relay.cursor: confirmed windows, positions that outlive a restart, pruning, and rewinding on a reorg."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from relay.cursor import (
    KEEP_BLOCKS,
    BlockRef,
    ChainCursor,
    CursorBlock,
    RelayBase,
    Window,
    block_ref,
    make_engine,
)
from tests.relay.conftest import InProcessChain


@pytest.fixture
def session(database_url: str) -> Session:
    engine = make_engine(database_url)
    RelayBase.metadata.create_all(engine)
    return Session(engine)


def head(chain: InProcessChain) -> int:
    return int(chain.w3.eth.block_number)


def test_windows_stop_at_the_confirmation_depth(tester_chain: InProcessChain, session: Session) -> None:
    cursor = ChainCursor("test:window")
    tester_chain.mine(10)
    latest = head(tester_chain)
    window = cursor.next_window(session, tester_chain.w3, start_block=1, confirmations=3, max_blocks=100)
    assert window == Window(1, block_ref(tester_chain.w3, latest - 3))
    cursor.advance(session, window.last)
    assert (
        cursor.next_window(session, tester_chain.w3, start_block=1, confirmations=3, max_blocks=100) is None
    )
    tester_chain.mine(1)
    window = cursor.next_window(session, tester_chain.w3, start_block=1, confirmations=3, max_blocks=100)
    assert window == Window(latest - 2, block_ref(tester_chain.w3, latest - 2))


def test_windows_hold_at_most_max_blocks(tester_chain: InProcessChain, session: Session) -> None:
    cursor = ChainCursor("test:max")
    tester_chain.mine(10)
    window = cursor.next_window(session, tester_chain.w3, start_block=2, confirmations=0, max_blocks=4)
    assert window is not None
    assert (window.first, window.last.number) == (2, 5)
    cursor.advance(session, window.last)
    window = cursor.next_window(session, tester_chain.w3, start_block=2, confirmations=0, max_blocks=4)
    assert window is not None
    assert (window.first, window.last.number) == (6, 9)


def test_position_survives_a_restart(tester_chain: InProcessChain, database_url: str) -> None:
    tester_chain.mine(5)
    engine = make_engine(database_url)
    RelayBase.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        ChainCursor("test:restart").advance(session, block_ref(tester_chain.w3, 4))
    engine.dispose()
    with Session(make_engine(database_url)) as session:
        assert ChainCursor("test:restart").position(session) == block_ref(tester_chain.w3, 4)
        assert ChainCursor("test:other").position(session) is None


def test_a_cursor_only_moves_forward(session: Session) -> None:
    cursor = ChainCursor("test:forward")
    cursor.advance(session, BlockRef(5, "0x" + "11" * 32))
    with pytest.raises(ValueError, match="is at block 5"):
        cursor.advance(session, BlockRef(5, "0x" + "22" * 32))
    with pytest.raises(ValueError, match="1 to 128 characters"):
        ChainCursor("")


def test_old_positions_are_forgotten(session: Session) -> None:
    cursor = ChainCursor("test:keep")
    for number in range(1, KEEP_BLOCKS + 11):
        cursor.advance(session, BlockRef(number, "0x" + f"{number:064x}"))
    count = session.scalar(
        select(func.count()).select_from(CursorBlock).where(CursorBlock.cursor == cursor.name)
    )
    oldest = session.scalar(select(func.min(CursorBlock.number)).where(CursorBlock.cursor == cursor.name))
    assert (count, oldest) == (KEEP_BLOCKS, 11)


def test_a_reorg_rewinds_to_the_last_canonical_block(tester_chain: InProcessChain, session: Session) -> None:
    cursor = ChainCursor("test:reorg")
    tester = tester_chain.tester
    tester_chain.mine(3)
    fork_point = block_ref(tester_chain.w3, head(tester_chain))
    snapshot = tester.take_snapshot()
    cursor.advance(session, fork_point)
    tester_chain.mine(2)
    replaced = block_ref(tester_chain.w3, fork_point.number + 1)
    cursor.advance(session, replaced)
    cursor.advance(session, block_ref(tester_chain.w3, fork_point.number + 2))
    tester.revert_to_snapshot(snapshot)  # the two later blocks are replaced by others
    tester_chain.increase_time(100)
    tester_chain.mine(3)
    assert block_ref(tester_chain.w3, replaced.number) != replaced
    window = cursor.next_window(session, tester_chain.w3, start_block=0, confirmations=0, max_blocks=100)
    assert cursor.position(session) == fork_point
    assert window is not None
    assert window.first == fork_point.number + 1


def test_a_reorg_past_every_remembered_block_starts_over(
    tester_chain: InProcessChain, session: Session
) -> None:
    cursor = ChainCursor("test:deep")
    cursor.advance(session, BlockRef(0, "0x" + "ab" * 32))  # not the genesis hash of this chain
    assert cursor.rewind_if_reorged(session, tester_chain.w3) is None
    assert cursor.position(session) is None


def test_bad_window_parameters_are_refused(tester_chain: InProcessChain, session: Session) -> None:
    with pytest.raises(ValueError, match="at least one block"):
        ChainCursor("test:bad").next_window(
            session, tester_chain.w3, start_block=0, confirmations=0, max_blocks=0
        )
