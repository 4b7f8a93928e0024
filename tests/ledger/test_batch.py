"""Batches: events in order, linked chains all or none, duplicates within a batch, retried chains."""

import pytest
from sqlalchemy import Engine

from ledger.accounts import lookup_accounts
from ledger.ids import new_id
from ledger.model import BATCH_MAX, AccountFlags, TransferFlags, TransferSpec
from ledger.results import CreateTransferResult as R
from ledger.transfers import create_transfers
from tests.ledger.conftest import OpenAccount

LINKED, PENDING, POST = TransferFlags.LINKED, TransferFlags.PENDING, TransferFlags.POST_PENDING


def _results(engine: Engine, specs: list[TransferSpec]) -> list[R]:
    return [outcome.result for outcome in create_transfers(engine, specs)]


def _posted(engine: Engine, *ids: int) -> list[tuple[int, int]]:
    accounts = lookup_accounts(engine, ids)
    return [(accounts[i].debits_posted, accounts[i].credits_posted) for i in ids]


def test_a_chain_commits_whole(engine: Engine, open_account: OpenAccount):
    a, b, c = open_account(), open_account(), open_account()
    specs = [
        TransferSpec("1", a, b, 10, "EUR", flags=LINKED),
        TransferSpec("2", b, c, 10, "EUR", flags=LINKED),
        TransferSpec("3", c, a, 3, "EUR"),
    ]
    assert _results(engine, specs) == [R.OK, R.OK, R.OK]
    assert _posted(engine, a, b, c) == [(10, 3), (10, 10), (3, 10)]


def test_a_failing_event_undoes_its_chain_and_only_its_chain(engine: Engine, open_account: OpenAccount):
    a, b = open_account(), open_account(flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
    specs = [
        TransferSpec("before", a, b, 5, "EUR"),
        TransferSpec("1", a, b, 10, "EUR", flags=LINKED),
        TransferSpec("2", b, a, 100, "EUR", flags=LINKED),  # b holds 15 at most: the chain fails here
        TransferSpec("3", a, b, 1, "EUR"),
        TransferSpec("after", a, b, 7, "EUR"),
    ]
    assert _results(engine, specs) == [
        R.OK,
        R.LINKED_EVENT_FAILED,
        R.EXCEEDS_CREDITS,
        R.LINKED_EVENT_FAILED,
        R.OK,
    ]
    assert _posted(engine, a, b) == [(12, 0), (0, 12)]


def test_a_chain_open_at_the_end_of_the_batch_fails_whole(engine: Engine, open_account: OpenAccount):
    a, b = open_account(), open_account()
    specs = [
        TransferSpec("0", a, b, 1, "EUR"),
        TransferSpec("1", a, b, 1, "EUR", flags=LINKED),
        TransferSpec("2", a, b, 1, "EUR", flags=LINKED),
    ]
    assert _results(engine, specs) == [R.OK, R.LINKED_EVENT_FAILED, R.LINKED_EVENT_CHAIN_OPEN]
    assert _results(engine, [TransferSpec("3", a, b, 1, "EUR", flags=LINKED)]) == [R.LINKED_EVENT_CHAIN_OPEN]
    assert _posted(engine, a, b) == [(1, 0), (0, 1)]


def test_a_pending_transfer_is_posted_in_the_batch_that_created_it(engine: Engine, open_account: OpenAccount):
    a, b = open_account(), open_account()
    pending_id = new_id()
    specs = [
        TransferSpec("hold", a, b, 10, "EUR", id=pending_id, flags=PENDING | LINKED),
        TransferSpec("capture", amount=4, flags=POST, pending_id=pending_id),
    ]
    assert _results(engine, specs) == [R.OK, R.OK]
    accounts = lookup_accounts(engine, [a, b])
    assert (accounts[a].debits_pending, accounts[a].debits_posted, accounts[b].credits_posted) == (0, 4, 4)


def test_an_undone_pending_transfer_cannot_be_posted_later_in_the_batch(
    engine: Engine, open_account: OpenAccount
):
    a, b = open_account(), open_account()
    pending_id = new_id()
    specs = [
        TransferSpec("hold", a, b, 10, "EUR", id=pending_id, flags=PENDING | LINKED),
        TransferSpec("bad", a, a, 1, "EUR"),
        TransferSpec("capture", flags=POST, pending_id=pending_id),
    ]
    assert _results(engine, specs) == [
        R.LINKED_EVENT_FAILED,
        R.ACCOUNTS_MUST_BE_DIFFERENT,
        R.PENDING_TRANSFER_NOT_FOUND,
    ]


def test_a_duplicate_in_the_batch_exists(engine: Engine, open_account: OpenAccount):
    a, b = open_account(), open_account()
    spec = TransferSpec("same", a, b, 10, "EUR")
    outcomes = create_transfers(engine, [spec, spec])
    assert [outcome.result for outcome in outcomes] == [R.OK, R.EXISTS]
    assert outcomes[0].id == outcomes[1].id
    assert _posted(engine, a, b) == [(10, 0), (0, 10)]


def test_a_retried_chain_posts_nothing_again(engine: Engine, open_account: OpenAccount):
    """As in TigerBeetle, `exists` fails a chain: the retry answers it first and moves nothing."""
    a, b = open_account(), open_account()
    specs = [TransferSpec("1", a, b, 10, "EUR", flags=LINKED), TransferSpec("2", a, b, 20, "EUR")]
    assert _results(engine, specs) == [R.OK, R.OK]
    assert _results(engine, specs) == [R.EXISTS, R.LINKED_EVENT_FAILED]
    assert _posted(engine, a, b) == [(30, 0), (0, 30)]


def test_an_empty_batch_answers_nothing_and_an_oversized_one_is_refused(engine: Engine):
    assert create_transfers(engine, []) == []
    spec = TransferSpec("x", 1, 2, 1, "EUR")
    with pytest.raises(ValueError, match="at most 8189"):
        create_transfers(engine, [spec] * (BATCH_MAX + 1))


def test_a_full_batch_fits_every_backend(engine: Engine, open_account: OpenAccount):
    """The largest batch, each event with its own id and reference, posts whole (within SQLite's bound)."""
    a, b = open_account(), open_account()
    specs = [TransferSpec(f"full-{index}", a, b, 1, "EUR", id=new_id()) for index in range(BATCH_MAX)]
    assert all(outcome.ok for outcome in create_transfers(engine, specs))
    assert _posted(engine, a, b) == [(BATCH_MAX, 0), (0, BATCH_MAX)]
