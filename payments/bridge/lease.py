"""Database leases: of several relay processes, only the holder of a batch's lease delivers it.

A lease is a row (name, holder, expiry). Taking it succeeds when no row exists (an insert: of two racing
inserts the primary key lets one commit), when it expired, or when the taker holds it already (a renewal);
the update is conditional on exactly that, so two relays racing for an expired lease cannot both win. A relay
killed while holding a lease blocks the batch only until the lease expires.
"""

from sqlalchemy import Engine, insert, or_, update
from sqlalchemy.exc import IntegrityError

from payments.bridge.schema import bridge_leases


def take_lease(engine: Engine, name: str, holder: str, now_us: int, ttl_us: int) -> bool:
    """Whether `holder` now holds lease `name` until `now_us + ttl_us`."""
    columns = bridge_leases.c
    with engine.begin() as connection:
        taken = connection.execute(
            update(bridge_leases)
            .where(columns.name == name, or_(columns.holder == holder, columns.expires_us <= now_us))
            .values(holder=holder, expires_us=now_us + ttl_us)
        )
        if taken.rowcount == 1:
            return True
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(bridge_leases).values(name=name, holder=holder, expires_us=now_us + ttl_us)
            )
    except IntegrityError:
        return False  # another holder's lease, still running
    return True


def drop_lease(engine: Engine, name: str, holder: str) -> None:
    """Give up lease `name` if `holder` holds it (a finished delivery frees it at once)."""
    columns = bridge_leases.c
    with engine.begin() as connection:
        connection.execute(
            update(bridge_leases).where(columns.name == name, columns.holder == holder).values(expires_us=0)
        )
