"""Recording what a watcher read, on SQLite and PostgreSQL: a window of many messages is recorded in a few
statements, each message once however often it is read (twice in one window, or again in a later one), and
an orphaned message read again is revived, not recorded twice."""

import pytest
from eth_utils import to_checksum_address
from sqlalchemy import Engine, select, update

from chain.bridge.message import Message, Route
from payments.bridge.schema import bridge_messages
from payments.bridge.store import KEYS_PER_LOOKUP, Found, MessageKey, record_messages

ROUTE = Route(31337, 31338, to_checksum_address("0x" + "b1" * 20), to_checksum_address("0x" + "b2" * 20))
TOKEN = to_checksum_address("0x" + "70" * 20)


def found(nonce: int, log_index: int = 0) -> Found:
    message = Message(ROUTE, nonce, TOKEN, TOKEN, TOKEN, TOKEN, 10 * nonce)
    key: MessageKey = (ROUTE.src_chain_id, "0x" + f"{nonce:064x}", log_index)
    return message, key, (nonce, "0x" + "00" * 32)


def statuses(engine: Engine) -> dict[int, str]:
    with engine.connect() as connection:
        rows = connection.execute(select(bridge_messages.c.nonce, bridge_messages.c.status)).all()
    return {int(nonce): str(status) for nonce, status in rows}


def test_a_window_larger_than_one_lookup_is_recorded_once(engine: Engine) -> None:
    window = [found(nonce) for nonce in range(1, KEYS_PER_LOOKUP + 50)]
    with engine.begin() as connection:
        assert record_messages(connection, [*window, window[3]], now_us=1) == len(window)
    with engine.begin() as connection:
        assert record_messages(connection, [*window[-10:], found(KEYS_PER_LOOKUP + 50)], now_us=2) == 1
    assert statuses(engine) == dict.fromkeys(range(1, KEYS_PER_LOOKUP + 51), "seen")
    with engine.connect() as connection:
        rows = connection.execute(select(bridge_messages.c.nonce, bridge_messages.c.amount)).all()
    assert all(int(amount) == 10 * int(nonce) for nonce, amount in rows)


def test_an_orphaned_message_read_again_is_revived(engine: Engine) -> None:
    with engine.begin() as connection:
        assert record_messages(connection, [found(1), found(2)], now_us=1) == 2
        connection.execute(
            update(bridge_messages).where(bridge_messages.c.nonce == 2).values(status="orphaned")
        )
    with engine.begin() as connection:
        assert record_messages(connection, [found(1), found(2), found(2)], now_us=2) == 1
    assert statuses(engine) == {1: "seen", 2: "seen"}


def test_messages_of_two_source_chains_at_once_are_refused(engine: Engine) -> None:
    message, (_, tx_hash, log_index), block = found(1)
    with engine.begin() as connection, pytest.raises(ValueError, match="one source chain"):
        record_messages(connection, [found(2), (message, (31338, tx_hash, log_index), block)], now_us=1)
    assert statuses(engine) == {}
