"""Undoing batches in the relay's records, on SQLite and PostgreSQL: a veto ends the vetoed batches and
drops the unattested ones chained through them, their messages cut again into new seqs chained to the last
batch not vetoed; an orphaned message is never cut again and comes back when its event does."""

import pytest
from eth_utils import to_checksum_address
from sqlalchemy import Engine, select

from chain.bridge.batch import ZERO_ROOT
from chain.bridge.message import Message, Route
from payments.bridge.schema import bridge_batches, bridge_messages
from payments.bridge.store import BatchPolicy, MessageKey, cut_batch, record_message, set_batch, to_hex
from payments.bridge.vetoes import apply_veto, drop_batches_from, orphan_messages

ROUTE = Route(31338, 31337, to_checksum_address("0x" + "b2" * 20), to_checksum_address("0x" + "b1" * 20))
ONE_EACH = BatchPolicy(max_messages=1, max_age_us=0)
TOKEN = to_checksum_address("0x" + "70" * 20)


def key(nonce: int) -> MessageKey:
    return (ROUTE.src_chain_id, "0x" + f"{nonce:064x}", 0)


def send(engine: Engine, *nonces: int) -> None:
    with engine.begin() as connection:
        for nonce in nonces:
            message = Message(ROUTE, nonce, TOKEN, TOKEN, TOKEN, TOKEN, 1_000 * nonce)
            assert record_message(connection, message, key(nonce), (nonce, "0x" + "00" * 32), 0)


def cut_one_each(engine: Engine) -> list[int]:
    ids = []
    while (batch_id := cut_batch(engine, ROUTE, ONE_EACH, 1)) is not None:
        ids.append(batch_id)
    return ids


def attest(engine: Engine, *batch_ids: int) -> None:
    for batch_id in batch_ids:
        set_batch(engine, batch_id, 1, "attested", status="attested", deadline=100)


def batches(engine: Engine) -> list[tuple[int, str, str, str]]:
    """(seq, status, root, prev_root) by seq."""
    columns = bridge_batches.c
    with engine.connect() as connection:
        rows = connection.execute(
            select(columns.seq, columns.status, columns.root, columns.prev_root).order_by(columns.seq)
        )
        return [(int(seq), str(status), str(root), str(prev)) for seq, status, root, prev in rows]


def messages(engine: Engine) -> dict[int, tuple[str, int | None]]:
    """nonce -> (status, seq of its batch or None)."""
    columns = bridge_messages.c
    with engine.connect() as connection:
        rows = connection.execute(
            select(columns.nonce, columns.status, bridge_batches.c.seq)
            .select_from(bridge_messages.outerjoin(bridge_batches, columns.batch_id == bridge_batches.c.id))
            .order_by(columns.nonce)
        )
        return {int(nonce): (str(status), None if seq is None else int(seq)) for nonce, status, seq in rows}


def test_a_veto_ends_its_batches_and_drops_those_chained_through_them(engine: Engine) -> None:
    send(engine, 1, 2, 3, 4)
    ids = cut_one_each(engine)
    attest(engine, *ids[:3])  # seq 4 is cut, chained to seq 3, not attested
    root_1 = batches(engine)[0][2]
    with engine.begin() as connection:
        assert apply_veto(connection, ROUTE, 2, 3, 5) == 3  # 2 and 3 vetoed, 4 dropped
    assert [(seq, status) for seq, status, _, _ in batches(engine)] == [
        (1, "attested"),
        (2, "vetoed"),
        (3, "vetoed"),
    ]
    assert messages(engine) == {1: ("attested", 1), 2: ("seen", None), 3: ("seen", None), 4: ("seen", None)}
    with engine.begin() as connection:  # read again (a rewound cursor): nothing changes
        assert apply_veto(connection, ROUTE, 2, 3, 6) == 0
    cut_one_each(engine)
    recut = batches(engine)[3:]
    assert [seq for seq, _, _, _ in recut] == [4, 5, 6]  # new seqs; 2 and 3 never again
    assert recut[0][3] == root_1  # chained to the last batch not vetoed
    assert recut[1][3] == recut[0][2]
    assert {nonce: seq for nonce, (_, seq) in messages(engine).items()} == {1: 1, 2: 4, 3: 5, 4: 6}


def test_a_veto_of_the_first_batch_resumes_from_zero(engine: Engine) -> None:
    send(engine, 1)
    attest(engine, *cut_one_each(engine))
    with engine.begin() as connection:
        assert apply_veto(connection, ROUTE, 1, 1, 5) == 1
    cut_one_each(engine)
    assert [(seq, status, prev) for seq, status, _, prev in batches(engine)] == [
        (1, "vetoed", to_hex(ZERO_ROOT)),
        (2, "cut", to_hex(ZERO_ROOT)),
    ]


def test_an_orphaned_message_is_left_out_and_revived_when_its_event_returns(engine: Engine) -> None:
    send(engine, 1, 2)
    policy = BatchPolicy(max_messages=10, max_age_us=0)
    (batch_id,) = [cut_batch(engine, ROUTE, policy, 1)]
    assert batch_id is not None
    attest(engine, batch_id)
    with engine.begin() as connection:
        orphan_messages(connection, [key(2)], 5)
    with engine.begin() as connection:  # a veto returns only the message that still exists
        assert apply_veto(connection, ROUTE, 1, 1, 6) == 1
    assert messages(engine) == {1: ("seen", None), 2: ("orphaned", 1)}
    cut_batch(engine, ROUTE, policy, 7)
    assert messages(engine) == {1: ("batched", 2), 2: ("orphaned", 1)}
    send(engine, 2)  # the reorg is undone: the same event, read again, is cut again
    assert messages(engine)[2] == ("seen", None)


def test_only_unattested_batches_are_dropped(engine: Engine) -> None:
    send(engine, 1, 2)
    ids = cut_one_each(engine)
    attest(engine, ids[0])
    with engine.begin() as connection:
        orphan_messages(connection, [key(2)], 5)
    with engine.begin() as connection, pytest.raises(ValueError, match="attested"):
        drop_batches_from(connection, ROUTE, 1, 6)
    with engine.begin() as connection:
        assert drop_batches_from(connection, ROUTE, 2, 6) == 0  # its one message is orphaned
    assert [seq for seq, _, _, _ in batches(engine)] == [1]
    assert messages(engine) == {1: ("attested", 1), 2: ("orphaned", None)}
