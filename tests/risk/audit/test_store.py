"""The risk audit stream: custody's chained records, stored in a table in the caller's transaction."""

from sqlalchemy import Engine, update

from custody.audit import GENESIS_HASH, FindingKind
from risk.audit import append, records, verify
from risk.audit.schema import risk_audit_log

T0 = 1_800_000_000


def test_records_chain_and_verify(engine: Engine) -> None:
    with engine.begin() as connection:
        first = append(
            connection, actor="op", action="risk.case.opened", subject="case_a", details={"n": 1}, now=T0
        )
        second = append(
            connection, actor="op", action="risk.case.claimed", subject="case_a", details={}, now=T0 + 1
        )
    assert (first.seq, first.prev_hash, second.seq, second.prev_hash) == (1, GENESIS_HASH, 2, first.hash)
    assert first.time == "2027-01-15T08:00:00.000000Z"
    with engine.connect() as connection:
        assert verify(connection).ok
        assert [record.action for record in records(connection, ["case_a"])] == [
            "risk.case.opened",
            "risk.case.claimed",
        ]
        assert records(connection, ["case_b"]) == []


def test_a_rolled_back_transaction_leaves_no_record(engine: Engine) -> None:
    with engine.connect() as connection, connection.begin() as transaction:
        append(connection, actor="op", action="risk.decision", subject="rd_a", details={}, now=T0)
        transaction.rollback()
    with engine.connect() as connection:
        assert records(connection) == []


def test_an_edited_record_breaks_the_chain(engine: Engine) -> None:
    with engine.begin() as connection:
        for number in range(3):
            append(connection, actor="op", action="risk.decision", subject=f"rd_{number}", details={}, now=T0)
        line = connection.scalar(
            risk_audit_log.select().with_only_columns(risk_audit_log.c.line).where(risk_audit_log.c.seq == 2)
        )
        assert line is not None
        connection.execute(
            update(risk_audit_log).where(risk_audit_log.c.seq == 2), {"line": line.replace("rd_1", "rd_9")}
        )
    with engine.connect() as connection:
        verdict = verify(connection)
    assert not verdict.ok
    assert verdict.findings[0].seq == 2
    assert verdict.findings[0].kind is FindingKind.EDITED
