"""Kill switches per market and per account: while one is engaged, no new order of that market or
account is taken; engaging it is also the moment the API cancels what rests there (`api.orders.pretrade`).

Engaging and releasing are operator actions: each is chained onto the risk audit log in the same
transaction as the switch's row (`risk.audit.append`), so the log and the switches never disagree. A switch
is engaged at most once (engaging it again changes nothing and records nothing); releasing one that is not
engaged is answered False.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sqlalchemy import Connection, and_, delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite

from risk.audit import append
from risk.pretrade.schema import pretrade_kill_switches

ENGAGED: Final = "risk.kill_switch.engaged"
RELEASED: Final = "risk.kill_switch.released"


class SwitchKind(StrEnum):
    MARKET = "market"
    ACCOUNT = "account"


@dataclass(frozen=True, slots=True)
class KillSwitch:
    kind: SwitchKind
    target: str
    """A market id, or a merchant id (the account: its orders in every mode)."""
    reason: str
    engaged_by: str
    engaged_at: int


def _subject(kind: SwitchKind, target: str) -> str:
    return f"kill-switch:{kind.value}:{target}"


def _switch(row: object) -> KillSwitch:
    return KillSwitch(
        SwitchKind(row.kind),  # type: ignore[attr-defined]
        row.target,  # type: ignore[attr-defined]
        row.reason,  # type: ignore[attr-defined]
        row.engaged_by,  # type: ignore[attr-defined]
        row.engaged_at,  # type: ignore[attr-defined]
    )


def engage(
    connection: Connection, kind: SwitchKind, target: str, *, actor: str, reason: str, now: int
) -> tuple[KillSwitch, bool]:
    """Engage the switch (audited); the switch as it stands and whether this call engaged it."""
    values = {"kind": kind.value, "target": target, "reason": reason, "engaged_by": actor, "engaged_at": now}
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    inserted = connection.execute(
        dialect.insert(pretrade_kill_switches)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(pretrade_kill_switches.c.kind)
    ).first()
    if inserted is not None:
        append(
            connection,
            actor=actor,
            action=ENGAGED,
            subject=_subject(kind, target),
            details={"kind": kind.value, "target": target, "reason": reason},
            now=now,
        )
    found = get(connection, kind, target)
    assert found is not None  # just inserted, or there already
    return found, inserted is not None


def release(connection: Connection, kind: SwitchKind, target: str, *, actor: str, now: int) -> bool:
    """Release the switch (audited); False when it was not engaged."""
    table = pretrade_kill_switches
    removed = connection.execute(
        delete(table).where(table.c.kind == kind.value, table.c.target == target).returning(table.c.kind)
    ).first()
    if removed is None:
        return False
    append(
        connection,
        actor=actor,
        action=RELEASED,
        subject=_subject(kind, target),
        details={"kind": kind.value, "target": target},
        now=now,
    )
    return True


def get(connection: Connection, kind: SwitchKind, target: str) -> KillSwitch | None:
    table = pretrade_kill_switches
    row = connection.execute(
        select(table).where(table.c.kind == kind.value, table.c.target == target)
    ).first()
    return None if row is None else _switch(row)


def engaged(connection: Connection) -> list[KillSwitch]:
    """Every engaged switch, markets first, then by target."""
    table = pretrade_kill_switches
    rows = connection.execute(select(table).order_by(table.c.kind.desc(), table.c.target))
    return [_switch(row) for row in rows]


def blocking(connection: Connection, market: str, account: str) -> Sequence[KillSwitch]:
    """The engaged switches that stop an order of `account` (a merchant id) in `market`."""
    table = pretrade_kill_switches
    rows = connection.execute(
        select(table)
        .where(
            or_(
                and_(table.c.kind == SwitchKind.MARKET.value, table.c.target == market),
                and_(table.c.kind == SwitchKind.ACCOUNT.value, table.c.target == account),
            )
        )
        .order_by(table.c.kind.desc())
    )
    return [_switch(row) for row in rows]
