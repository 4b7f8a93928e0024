"""The delivery lease on SQLite and PostgreSQL: one holder at a time, renewals by the holder, expiry, and a
dropped lease free at once."""

from sqlalchemy import Engine

from payments.bridge.lease import drop_lease, take_lease

SECOND = 1_000_000


def test_one_holder_at_a_time_until_the_lease_expires(engine: Engine) -> None:
    assert take_lease(engine, "bridge-batch:1", "a", 0, 10 * SECOND)
    assert not take_lease(engine, "bridge-batch:1", "b", 5 * SECOND, 10 * SECOND)
    assert take_lease(engine, "bridge-batch:1", "a", 5 * SECOND, 10 * SECOND)  # renewed to 15 s
    assert not take_lease(engine, "bridge-batch:1", "b", 14 * SECOND, 10 * SECOND)
    assert take_lease(engine, "bridge-batch:2", "b", 14 * SECOND, 10 * SECOND)  # another batch is free
    assert take_lease(engine, "bridge-batch:1", "b", 15 * SECOND, 10 * SECOND)  # a's expired
    assert not take_lease(engine, "bridge-batch:1", "a", 16 * SECOND, 10 * SECOND)
    drop_lease(engine, "bridge-batch:1", "a")  # not a's to drop: nothing changes
    assert not take_lease(engine, "bridge-batch:1", "a", 16 * SECOND, 10 * SECOND)
    drop_lease(engine, "bridge-batch:1", "b")
    assert take_lease(engine, "bridge-batch:1", "a", 16 * SECOND, 10 * SECOND)
