"""Property: whatever sequence of batches is thrown at it, the ledger stays balanced and equal to its journal.

Hypothesis draws batches of transfers (posted and pending, linked or not, overdrafts, cross-currency and
malformed ones), posts and voids of earlier pending transfers (partial, repeated, late), and clock jumps that
expire holds. At the end the audit finds nothing (every currency sums to zero, no constraint is broken, the
totals agree with its SQL replay), and a replay of the transfers in Python, independent of the audit's
SQL, gives every account's four totals.
"""

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from ledger.accounts import lookup_accounts
from ledger.check import verify
from ledger.ids import new_id
from ledger.model import AccountFlags, TransferFlags, TransferSpec
from ledger.schema import ACCOUNT_TOTALS, transfers
from ledger.transfers import create_transfers, expire_pending
from tests.ledger.conftest import OpenAccount

T0 = datetime(2026, 12, 1, tzinfo=UTC)
FLAGS = [
    AccountFlags.NONE,
    AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS,
    AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS,
]
RESOLVE = [TransferFlags.POST_PENDING, TransferFlags.VOID_PENDING]


def _replay(engine: Engine) -> dict[int, dict[str, int]]:
    """Every account's totals from the transfers, in Python: posted moves, and holds not yet resolved."""
    with engine.connect() as connection:
        rows = connection.execute(select(transfers)).all()
    resolved = {row.pending_id for row in rows if row.pending_id is not None}
    totals: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(ACCOUNT_TOTALS, 0))
    for row in rows:
        flags = TransferFlags(row.flags)
        if flags & TransferFlags.PENDING:
            kind = None if row.id in resolved else "pending"
        elif flags & (TransferFlags.VOID_PENDING | TransferFlags.EXPIRE_PENDING):
            kind = None
        else:
            kind = "posted"
        if kind is not None:
            totals[row.debit_account_id][f"debits_{kind}"] += row.amount
            totals[row.credit_account_id][f"credits_{kind}"] += row.amount
    return totals


@given(data=st.data())
def test_any_sequence_keeps_the_ledger_balanced_and_equal_to_its_journal(
    engine: Engine, open_account: OpenAccount, data: st.DataObject
):
    accounts = [open_account("EUR", flags=flags) for flags in FLAGS] + [
        open_account("EUR"),
        open_account("USD"),
    ]
    treasury = accounts[3]
    funding = [  # the debit-normal account (credits must not exceed debits) is funded from its debit side
        TransferSpec(f"fund-{new_id()}", treasury, accounts[0], 500, "EUR"),
        TransferSpec(f"fund-{new_id()}", treasury, accounts[1], 500, "EUR"),
        TransferSpec(f"fund-{new_id()}", accounts[2], treasury, 500, "EUR"),
    ]
    assert all(outcome.ok for outcome in create_transfers(engine, funding, now=T0))
    holds: list[int] = []
    now = T0
    for _ in range(data.draw(st.integers(1, 12), label="batches")):
        now += timedelta(seconds=data.draw(st.integers(0, 40), label="clock"))
        if data.draw(st.booleans(), label="expire first"):
            expire_pending(engine, now)
        specs = data.draw(st.lists(_event(accounts, holds), min_size=1, max_size=6), label="batch")
        outcomes = create_transfers(engine, specs, now=now)
        for outcome in outcomes:  # `pytest --hypothesis-show-statistics` shows what the draws reached
            event(str(outcome.result))
        holds += [
            outcome.id
            for spec, outcome in zip(specs, outcomes, strict=True)
            if outcome.ok and outcome.id is not None and spec.flags & TransferFlags.PENDING
        ]
    assert verify(engine) == []
    replayed = _replay(engine)
    for account in lookup_accounts(engine, accounts).values():
        stored = {name: getattr(account, name) for name in ACCOUNT_TOTALS}
        assert stored == replayed[account.id]


def _event(accounts: list[int], holds: list[int]) -> st.SearchStrategy[TransferSpec]:
    linked = st.sampled_from([TransferFlags.NONE, TransferFlags.LINKED])
    move = st.builds(
        lambda debit, credit, amount, currency, pending, link, timeout: TransferSpec(
            f"m-{new_id()}",
            debit,
            credit,
            amount,
            currency,
            flags=(TransferFlags.PENDING if pending else TransferFlags.NONE) | link,
            timeout_seconds=timeout if pending else 0,
        ),
        st.sampled_from(accounts),
        st.sampled_from(accounts),
        st.integers(-5, 900),
        st.sampled_from(["EUR", "EUR", "EUR", "USD"]),
        st.booleans(),
        linked,
        st.sampled_from([0, 10, 60]),
    )
    if not holds:
        return move
    resolve = st.builds(
        lambda pending_id, flags, amount, link: TransferSpec(
            f"r-{new_id()}", amount=amount, flags=flags | link, pending_id=pending_id
        ),
        st.sampled_from(holds),
        st.sampled_from(RESOLVE),
        st.one_of(st.none(), st.integers(1, 600)),
        linked,
    )
    return st.one_of(move, resolve)
