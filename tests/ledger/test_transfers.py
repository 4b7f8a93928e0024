"""Two-phase transfers (post, partial post, void, expiry), idempotent retries, the caller's transaction."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ledger import store
from ledger.accounts import lookup_account
from ledger.ids import new_id
from ledger.model import AccountFlags, Balances, TransferFlags, TransferSpec
from ledger.results import CreateTransferResult as R
from ledger.transfers import create_transfer, create_transfers, expire_pending
from tests.ledger.conftest import OpenAccount

T0 = datetime(2026, 12, 1, tzinfo=UTC)
PENDING, POST, VOID = TransferFlags.PENDING, TransferFlags.POST_PENDING, TransferFlags.VOID_PENDING


def _balances(engine: Engine, account_id: int) -> Balances:
    account = lookup_account(engine, account_id)
    assert account is not None
    return account.balances


@pytest.fixture
def funded(engine: Engine, open_account: OpenAccount) -> tuple[int, int]:
    """A treasury and a customer holding 100 (the customer may not go below zero)."""
    treasury, customer = open_account(), open_account(flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
    assert create_transfer(engine, TransferSpec("fund", treasury, customer, 100, "EUR")).ok
    return treasury, customer


def _hold(engine: Engine, customer: int, treasury: int, amount: int, timeout: int = 0) -> int:
    spec = TransferSpec(
        f"hold-{new_id()}", customer, treasury, amount, "EUR", flags=PENDING, timeout_seconds=timeout
    )
    outcome = create_transfer(engine, spec, now=T0)
    assert outcome.result is R.OK
    assert outcome.id is not None
    return outcome.id


def test_a_hold_reserves_and_a_partial_post_releases_the_rest(engine: Engine, funded: tuple[int, int]):
    treasury, customer = funded
    hold = _hold(engine, customer, treasury, 60)
    assert _balances(engine, customer) == Balances(posted=100, pending=-60, available=40)
    refused = create_transfer(engine, TransferSpec("spend", customer, treasury, 41, "EUR"), now=T0)
    assert refused.result is R.EXCEEDS_CREDITS
    assert create_transfer(engine, TransferSpec("capture", amount=25, flags=POST, pending_id=hold), now=T0).ok
    assert _balances(engine, customer) == Balances(posted=75, pending=0, available=75)
    again = create_transfer(engine, TransferSpec("capture-2", flags=POST, pending_id=hold), now=T0)
    assert again.result is R.PENDING_TRANSFER_ALREADY_POSTED


def test_a_void_releases_the_whole_hold(engine: Engine, funded: tuple[int, int]):
    treasury, customer = funded
    hold = _hold(engine, customer, treasury, 60)
    assert create_transfer(engine, TransferSpec("release", flags=VOID, pending_id=hold), now=T0).ok
    assert _balances(engine, customer) == Balances(posted=100, pending=0, available=100)
    assert _balances(engine, treasury) == Balances(posted=-100, pending=0, available=-100)


def test_expiry_releases_lapsed_holds_once(engine: Engine, funded: tuple[int, int]):
    treasury, customer = funded
    short, long, forever = (_hold(engine, customer, treasury, 10, timeout) for timeout in (30, 3600, 0))
    assert expire_pending(engine, T0 + timedelta(seconds=29)) == []
    assert expire_pending(engine, T0 + timedelta(seconds=30)) == [short]
    assert expire_pending(engine, T0 + timedelta(seconds=31)) == []
    assert _balances(engine, customer).available == 80
    for flags in (POST, VOID):
        late = create_transfer(engine, TransferSpec(f"late-{flags}", flags=flags, pending_id=short), now=T0)
        assert late.result is R.PENDING_TRANSFER_EXPIRED
    assert expire_pending(engine, T0 + timedelta(days=365)) == [long]
    assert _balances(engine, customer) == Balances(posted=100, pending=-10, available=90)
    assert create_transfer(engine, TransferSpec("keep", flags=POST, pending_id=forever)).ok


def test_a_retry_with_the_same_reference_answers_the_first_id_and_moves_nothing(
    engine: Engine, funded: tuple[int, int]
):
    treasury, customer = funded
    spec = TransferSpec("order-42", customer, treasury, 30, "EUR")
    first = create_transfer(engine, spec)
    retry = create_transfer(engine, spec)
    assert (first.result, retry.result) == (R.OK, R.EXISTS)
    assert retry.id == first.id
    assert _balances(engine, customer).posted == 70
    changed = TransferSpec("order-42", customer, treasury, 31, "EUR")
    assert create_transfer(engine, changed).result is R.EXISTS_WITH_DIFFERENT_AMOUNT


def test_a_retry_of_a_post_that_named_only_the_pending_transfer_exists(
    engine: Engine, funded: tuple[int, int]
):
    treasury, customer = funded
    hold = _hold(engine, customer, treasury, 60)
    post = TransferSpec("capture", flags=POST, pending_id=hold)
    assert [outcome.result for outcome in create_transfers(engine, [post, post], now=T0)] == [R.OK, R.EXISTS]


def test_in_the_callers_transaction_the_transfers_commit_or_roll_back_with_it(
    engine: Engine, funded: tuple[int, int]
):
    treasury, customer = funded
    with Session(engine) as session:
        assert create_transfer(session, TransferSpec("rolled-back", customer, treasury, 10, "EUR")).ok
        session.rollback()
    assert _balances(engine, customer).posted == 100
    with Session(engine) as session:
        assert create_transfer(session, TransferSpec("committed", customer, treasury, 10, "EUR")).ok
        session.commit()
    assert _balances(engine, customer).posted == 90
    with engine.connect() as connection:
        assert create_transfer(connection, TransferSpec("connection", customer, treasury, 10, "EUR")).ok
        connection.commit()
    assert _balances(engine, customer).posted == 80


def test_a_naive_clock_is_refused(engine: Engine, funded: tuple[int, int]):
    treasury, customer = funded
    with pytest.raises(ValueError, match="timezone"):
        create_transfer(engine, TransferSpec("x", customer, treasury, 1, "EUR"), now=datetime(2026, 1, 1))


def test_a_hold_committed_after_the_batch_first_looked_is_not_found(
    engine: Engine, funded: tuple[int, int], monkeypatch: pytest.MonkeyPatch
):
    """Its accounts were not locked, so the batch must not touch them: it is ordered before the hold."""
    treasury, customer = funded
    hold = _hold(engine, customer, treasury, 60)
    monkeypatch.setattr(store, "transfers_by_id", lambda connection, ids: [])  # the first read missed it
    outcome = create_transfer(engine, TransferSpec("capture", flags=POST, pending_id=hold), now=T0)
    assert outcome.result is R.PENDING_TRANSFER_NOT_FOUND
