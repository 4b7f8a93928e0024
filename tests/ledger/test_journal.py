"""`ledger.journal`: transfers by id, resolutions of pending transfers, and an account's transfers in
(timestamp, id) order from any position, both sides merged."""

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ledger.journal import (
    account_transfers,
    lookup_references,
    lookup_resolutions,
    lookup_transfer,
    lookup_transfers,
)
from ledger.model import TransferFlags, TransferSpec
from ledger.transfers import create_transfer, create_transfers
from tests.ledger.conftest import OpenAccount


def test_an_accounts_transfers_come_in_journal_order_from_any_position(
    engine: Engine, open_account: OpenAccount
) -> None:
    account, other, third = open_account(), open_account(), open_account()
    specs = []
    for n in range(1, 10):
        debit, credit = (account, other) if n % 2 else (other, account)
        specs.append(TransferSpec(f"t{n}", debit, credit, n, "EUR"))
        specs.append(TransferSpec(f"u{n}", other, third, 1, "EUR"))  # not the account's
    ids = [outcome.id for outcome in create_transfers(engine, specs)][::2]
    whole = account_transfers(engine, account, limit=100)
    assert [transfer.id for transfer in whole] == ids
    for start in range(len(whole)):
        after = (whole[start].timestamp, whole[start].id)
        assert account_transfers(engine, account, after=after, limit=3) == whole[start + 1 : start + 4]
    assert account_transfers(engine, third, limit=2) == account_transfers(engine, third, limit=100)[:2]


def test_lookups_read_what_exists_and_what_resolved_a_pending_transfer(
    engine: Engine, open_account: OpenAccount
) -> None:
    source, target = open_account(), open_account()
    pending = create_transfer(
        engine, TransferSpec("hold", source, target, 5, "EUR", flags=TransferFlags.PENDING)
    )
    other = create_transfer(
        engine, TransferSpec("hold-2", source, target, 5, "EUR", flags=TransferFlags.PENDING)
    )
    assert pending.id is not None
    assert other.id is not None
    assert lookup_resolutions(engine, [pending.id, other.id]) == {}
    post = create_transfer(
        engine, TransferSpec("post", flags=TransferFlags.POST_PENDING, pending_id=pending.id)
    )
    assert post.id is not None
    resolutions = lookup_resolutions(engine, [pending.id, other.id])
    assert list(resolutions) == [pending.id]
    assert resolutions[pending.id] == lookup_transfer(engine, post.id)
    assert set(lookup_transfers(engine, [pending.id, post.id, 404])) == {pending.id, post.id}
    by_reference = lookup_references(
        engine, [("EUR", "hold"), ("EUR", "post"), ("USD", "hold"), ("EUR", "x")]
    )
    assert {key: transfer.id for key, transfer in by_reference.items()} == {
        ("EUR", "hold"): pending.id,
        ("EUR", "post"): post.id,
    }
    with Session(engine) as session:  # in a caller's session too
        assert lookup_transfer(session, 404) is None
        assert lookup_transfer(session, pending.id) == lookup_transfer(engine, pending.id)
