"""Transfers queued on a transaction (`ledger.deferred`): created as it commits, by its last statements,
or not at all."""

from collections.abc import Sequence

import pytest
from sqlalchemy import Connection, Engine, event, text

from ledger.accounts import lookup_accounts
from ledger.deferred import Accept, create_at_commit, queued
from ledger.journal import lookup_transfers
from ledger.model import AccountFlags, TransferSpec
from ledger.results import CreateTransferResult, TransferOutcome
from tests.ledger.conftest import OpenAccount


class Refused(Exception):
    pass


def _outcomes_into(seen: list[list[CreateTransferResult]]) -> Accept:
    def accept(_: Sequence[TransferSpec], outcomes: Sequence[TransferOutcome]) -> None:
        seen.append([outcome.result for outcome in outcomes])

    return accept


def _refuse_failures(_: Sequence[TransferSpec], outcomes: Sequence[TransferOutcome]) -> None:
    if any(outcome.result is not CreateTransferResult.OK for outcome in outcomes):
        raise Refused([str(outcome.result) for outcome in outcomes])


def test_queued_transfers_are_created_when_the_transaction_commits_and_only_then(
    engine: Engine, open_account: OpenAccount
) -> None:
    debit, credit = open_account(), open_account()
    seen: list[list[CreateTransferResult]] = []
    spec = TransferSpec("deferred-1", debit, credit, 500, "EUR", id=7001)
    with engine.begin() as connection:
        create_at_commit(connection, [spec], _outcomes_into(seen))
        assert queued(connection) == 1
        assert lookup_transfers(connection, [7001]) == {}, "nothing is written before the commit"
        assert seen == []
    assert seen == [[CreateTransferResult.OK]]
    assert lookup_transfers(engine, [7001])[7001].amount == 500
    assert lookup_accounts(engine, [credit])[credit].credits_posted == 500


def test_a_rollback_drops_the_queue(engine: Engine, open_account: OpenAccount) -> None:
    debit, credit = open_account(), open_account()
    with engine.connect() as connection:
        with connection.begin() as transaction:
            create_at_commit(
                connection, [TransferSpec("dropped", debit, credit, 5, "EUR", id=7002)], _refuse_failures
            )
            transaction.rollback()
        assert queued(connection) == 0
        with connection.begin():
            pass  # a later transaction on the same connection creates nothing left over
    assert lookup_transfers(engine, [7002]) == {}
    assert lookup_accounts(engine, [credit])[credit].credits_posted == 0


def test_a_refused_batch_fails_the_commit_and_nothing_of_the_transaction_stays(
    engine: Engine, open_account: OpenAccount
) -> None:
    limited = open_account(flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
    credit = open_account()
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE marker (id INTEGER)"))
    overdraft = TransferSpec("overdraft", limited, credit, 1, "EUR", id=7003)

    def overdraw() -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO marker VALUES (1)"))
            create_at_commit(connection, [overdraft], _refuse_failures)

    with pytest.raises(Refused, match="exceeds_credits"):
        overdraw()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM marker")).scalar_one() == 0
    assert lookup_transfers(engine, [7003]) == {}


def test_batches_are_created_in_the_order_they_were_queued(engine: Engine, open_account: OpenAccount) -> None:
    source, middle, sink = (
        open_account(),
        open_account(flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
        open_account(),
    )
    with engine.begin() as connection:
        create_at_commit(
            connection, [TransferSpec("fill", source, middle, 100, "EUR", id=7004)], _refuse_failures
        )
        create_at_commit(
            connection, [TransferSpec("drain", middle, sink, 100, "EUR", id=7005)], _refuse_failures
        )
    assert set(lookup_transfers(engine, [7004, 7005])) == {7004, 7005}


def test_the_accounts_are_locked_by_the_last_statements_before_the_commit(
    engine: Engine, open_account: OpenAccount
) -> None:
    """The point of deferring: whatever the transaction writes after queueing runs before the lock."""
    debit, credit = open_account(), open_account()
    statements: list[str] = []

    def record(_conn: Connection, _cursor: object, statement: str, *_: object) -> None:
        statements.append(" ".join(statement.split()))

    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE later_write (id INTEGER)"))
    event.listen(engine, "before_cursor_execute", record)
    try:
        with engine.begin() as connection:
            create_at_commit(
                connection, [TransferSpec("late", debit, credit, 1, "EUR", id=7006)], _refuse_failures
            )
            connection.execute(text("INSERT INTO later_write VALUES (1)"))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    later = next(index for index, statement in enumerate(statements) if "later_write" in statement)
    ledger = [index for index, statement in enumerate(statements) if "ledger_" in statement]
    assert ledger, statements
    assert min(ledger) > later, statements


def test_queueing_outside_a_transaction_is_refused(engine: Engine) -> None:
    with engine.connect() as connection, pytest.raises(RuntimeError, match="begin one first"):
        create_at_commit(connection, [], _refuse_failures)
