"""The kill switches (engaged once, each change on the hash-chained risk audit) and the liquidation log
(the perpetual's interface: durable, the latest time kept), on SQLite and PostgreSQL."""

from sqlalchemy import Engine

from risk.audit import records, verify
from risk.pretrade import killswitch
from risk.pretrade.cooldown import LiquidationLog, cooling_until, last_liquidation
from risk.pretrade.killswitch import SwitchKind

T0 = 1_800_000_000


def test_a_switch_is_engaged_once_released_once_and_every_change_is_audited(engine: Engine) -> None:
    with engine.begin() as connection:
        switch, engaged = killswitch.engage(
            connection, SwitchKind.MARKET, "TPW-tUSD", actor="api-key:op", reason="halt", now=T0
        )
        again, engaged_again = killswitch.engage(
            connection, SwitchKind.MARKET, "TPW-tUSD", actor="api-key:other", reason="twice", now=T0 + 1
        )
    assert (engaged, engaged_again) == (True, False)
    assert again == switch  # the first engagement stands
    with engine.begin() as connection:
        killswitch.engage(connection, SwitchKind.ACCOUNT, "mer_1", actor="api-key:op", reason="x", now=T0 + 2)
        assert [s.target for s in killswitch.blocking(connection, "TPW-tUSD", "mer_1")] == [
            "TPW-tUSD",
            "mer_1",
        ]
        assert [s.target for s in killswitch.blocking(connection, "OTHER", "mer_2")] == []
        assert killswitch.release(connection, SwitchKind.MARKET, "TPW-tUSD", actor="api-key:op", now=T0 + 3)
        assert not killswitch.release(
            connection, SwitchKind.MARKET, "TPW-tUSD", actor="api-key:op", now=T0 + 4
        )
        assert [s.kind for s in killswitch.engaged(connection)] == [SwitchKind.ACCOUNT]
        logged = records(connection)
        assert [(r.action, r.subject, r.actor) for r in logged] == [
            (killswitch.ENGAGED, "kill-switch:market:TPW-tUSD", "api-key:op"),
            (killswitch.ENGAGED, "kill-switch:account:mer_1", "api-key:op"),
            (killswitch.RELEASED, "kill-switch:market:TPW-tUSD", "api-key:op"),
        ]
        assert logged[0].details == {"kind": "market", "target": "TPW-tUSD", "reason": "halt"}
        assert verify(connection).ok


def test_a_recorded_liquidation_is_durable_and_keeps_the_latest_time(engine: Engine) -> None:
    LiquidationLog(engine).record_liquidation(7, "TPW-PERP", T0)
    log = LiquidationLog(engine)  # another process's log over the same database
    log.record_liquidation(7, "TPW-PERP", T0 - 100)  # an older report changes nothing
    with engine.connect() as connection:
        assert last_liquidation(connection, 7, "TPW-PERP") == T0
        assert cooling_until(connection, 7, "TPW-PERP", 300) == T0 + 300
        assert cooling_until(connection, 7, "TPW-tUSD", 300) is None
        assert cooling_until(connection, 8, "TPW-PERP", 300) is None
    log.record_liquidation(7, "TPW-PERP", T0 + 50)
    with engine.connect() as connection:
        assert last_liquidation(connection, 7, "TPW-PERP") == T0 + 50
