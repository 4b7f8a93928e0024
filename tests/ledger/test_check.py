"""The audit finds nothing on a ledger that only the ledger wrote, and names every kind of tampering."""

import time

import pytest
from sqlalchemy import Engine, text

from ledger.__main__ import main
from ledger.check import FindingKind, verify
from ledger.model import AccountFlags, TransferFlags, TransferSpec
from ledger.transfers import create_transfers
from tests.ledger.conftest import OpenAccount


def _tamper(engine: Engine, *statements: tuple[str, dict[str, int]]) -> None:
    """Edit the tables behind the ledger's back, as a bug or an intruder would."""
    with engine.begin() as connection:
        for sql, parameters in statements:
            connection.execute(text(sql), parameters)


@pytest.fixture
def busy(engine: Engine, open_account: OpenAccount) -> tuple[int, int, int]:
    """Posted, pending, posted-pending and voided transfers between a treasury and a customer."""
    treasury, customer = open_account(), open_account(flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
    other = open_account("USD")
    pending = TransferFlags.PENDING
    outcomes = create_transfers(
        engine,
        [
            TransferSpec("fund", treasury, customer, 1000, "EUR"),
            TransferSpec("hold-1", customer, treasury, 100, "EUR", id=11, flags=pending),
            TransferSpec("hold-2", customer, treasury, 200, "EUR", id=12, flags=pending),
            TransferSpec("hold-3", customer, treasury, 300, "EUR", flags=pending),
            TransferSpec("post", amount=60, flags=TransferFlags.POST_PENDING, pending_id=11),
            TransferSpec("void", flags=TransferFlags.VOID_PENDING, pending_id=12),
        ],
    )
    assert all(outcome.ok for outcome in outcomes)
    return treasury, customer, other


def test_a_ledger_written_by_the_ledger_is_clean(engine: Engine, busy: tuple[int, int, int]):
    assert verify(engine) == []


def test_a_tampered_total_is_found(engine: Engine, busy: tuple[int, int, int]):
    _, customer, _ = busy
    _tamper(engine, ("UPDATE ledger_accounts SET credits_posted = 2000 WHERE id = :id", {"id": customer}))
    kinds = {(finding.kind, finding.subject) for finding in verify(engine)}
    assert kinds == {(FindingKind.TOTAL_DISAGREES, str(customer)), (FindingKind.CURRENCY_UNBALANCED, "EUR")}


def test_a_broken_constraint_is_found(engine: Engine, busy: tuple[int, int, int]):
    treasury, customer, _ = busy
    _tamper(  # both sides edited alike: balanced, agreeing with nothing
        engine,
        ("UPDATE ledger_accounts SET debits_posted = 5000 WHERE id = :id", {"id": customer}),
        ("UPDATE ledger_accounts SET credits_posted = 5000 WHERE id = :id", {"id": treasury}),
    )
    kinds = {finding.kind for finding in verify(engine)}
    assert kinds == {FindingKind.TOTAL_DISAGREES, FindingKind.CONSTRAINT_BROKEN}


def test_a_transfer_across_currencies_and_an_oversized_post_are_found(
    engine: Engine, busy: tuple[int, int, int]
):
    other = busy[2]
    _tamper(
        engine,
        ("UPDATE ledger_transfers SET credit_account_id = :id WHERE reference = 'fund'", {"id": other}),
        ("UPDATE ledger_transfers SET amount = 150 WHERE reference = 'post'", {}),
    )
    kinds = {finding.kind for finding in verify(engine)}
    assert {FindingKind.TRANSFER_CROSSES_LEDGERS, FindingKind.POST_EXCEEDS_PENDING} <= kinds


def test_the_command_line_exits_1_on_findings(
    engine: Engine, database_url: str, busy: tuple[int, int, int], capsys: pytest.CaptureFixture[str]
):
    assert main(["check", "--database-url", database_url]) == 0
    assert capsys.readouterr().out.startswith("ok: 3 accounts and 6 transfers agree")
    _tamper(engine, ("UPDATE ledger_accounts SET debits_pending = debits_pending + 1", {}))
    assert main(["check", "--database-url", database_url]) == 1
    assert "total_disagrees" in capsys.readouterr().out


def test_the_command_line_expires_what_timed_out(
    engine: Engine, database_url: str, open_account: OpenAccount, capsys: pytest.CaptureFixture[str]
):
    treasury, customer = open_account(), open_account()
    hold = TransferSpec("hold", treasury, customer, 5, "EUR", flags=TransferFlags.PENDING, timeout_seconds=1)
    assert [outcome.ok for outcome in create_transfers(engine, [hold])] == [True]
    assert main(["expire", "--database-url", database_url]) == 0
    assert capsys.readouterr().out.startswith("expired 0 ")
    time.sleep(1.1)
    assert main(["expire", "--database-url", database_url]) == 0
    assert capsys.readouterr().out.startswith("expired 1 ")
    assert verify(engine) == []
