"""The lost race: a batch that inserts a transfer another transaction committed meanwhile is run again.

Account locks cannot order two batches that touch different accounts, so both may decide that transfer X is
new; the second insert waits on the first's uncommitted key and then fails with a unique violation. The
ledger runs the batch again, which now sees X and answers as for any retry: `exists`, or the field that
differs. Forced here on PostgreSQL: the first transaction holds X uncommitted while the second starts.
(Should a loaded machine start the second only after the commit, it sees X at once: same answer.)
"""

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from api.db import make_engine
from ledger.accounts import create_accounts, lookup_accounts
from ledger.ids import new_id
from ledger.model import AccountSpec, OwnerKind, TransferSpec
from ledger.results import CreateTransferResult as R
from ledger.results import TransferOutcome
from ledger.schema import metadata
from ledger.store import load_accounts
from ledger.transfers import create_transfer

HOLD_SECONDS = 0.5


def _in_session(engine: Engine, spec: TransferSpec) -> TransferOutcome:
    with Session(engine) as session:
        outcome = create_transfer(session, spec)
        session.commit()
        return outcome


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    engine = make_engine(pg_url, pool_size=4)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.mark.pg
@pytest.mark.parametrize(
    "second",
    [
        pytest.param(lambda engine, spec: create_transfer(engine, spec), id="engine"),
        pytest.param(_in_session, id="session-savepoint"),
    ],
)
def test_the_loser_of_a_race_for_one_reference_answers_exists(
    pg_engine: Engine, second: Callable[[Engine, TransferSpec], TransferOutcome]
):
    engine = pg_engine
    a, b, c, d = (new_id() for _ in range(4))
    specs = [AccountSpec(account, "EUR", OwnerKind.CUSTOMER, str(account)) for account in (a, b, c, d)]
    assert all(outcome.result == "ok" for outcome in create_accounts(engine, specs))
    first_spec = TransferSpec("race", a, b, 10, "EUR")
    second_spec = TransferSpec("race", c, d, 10, "EUR")
    answers: list[TransferOutcome] = []
    with Session(engine) as session:
        assert create_transfer(session, first_spec).ok  # written, not committed: the key is held
        racer = threading.Thread(target=lambda: answers.append(second(engine, second_spec)))
        racer.start()
        time.sleep(HOLD_SECONDS)  # the racer has read "no such reference" and waits on the key
        session.commit()
    racer.join(timeout=30)
    assert [answer.result for answer in answers] == [R.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID]
    totals = lookup_accounts(engine, [a, b, c, d])
    assert [totals[i].debits_posted + totals[i].credits_posted for i in (a, b, c, d)] == [10, 10, 0, 0]


@pytest.mark.pg
def test_a_batch_on_an_account_without_a_limit_waits_only_for_its_write_and_adds_to_the_winner(
    pg_engine: Engine,
):
    """The hot-account case: an account no limit is checked on is read without a lock, so a second batch
    through it is evaluated while the first still holds the row, waits only at its own write, and adds to
    the first's totals (written as increments) instead of overwriting them."""
    engine = pg_engine
    hot, a, b = (new_id() for _ in range(3))
    specs = [AccountSpec(account, "EUR", OwnerKind.CUSTOMER, str(account)) for account in (hot, a, b)]
    assert all(outcome.result == "ok" for outcome in create_accounts(engine, specs))
    evaluated = threading.Event()
    answers: list[TransferOutcome] = []

    def second() -> None:
        with Session(engine) as session:
            session.connection().execute(text("SET LOCAL lock_timeout = '20s'"))
            accounts = load_accounts(session.connection(), [hot, b])  # no wait for the holder's row lock
            assert accounts[hot].credits_posted == 0
            evaluated.set()
            answers.append(create_transfer(session, TransferSpec("second", b, hot, 7, "EUR")))
            session.commit()

    with Session(engine) as session:
        assert create_transfer(session, TransferSpec("first", a, hot, 5, "EUR")).ok  # hot's row is held
        racer = threading.Thread(target=second)
        racer.start()
        assert evaluated.wait(timeout=20), "the second batch waited for a lock before its write"
        session.commit()
    racer.join(timeout=30)
    assert [answer.result for answer in answers] == [R.OK]
    assert lookup_accounts(engine, [hot])[hot].credits_posted == 12
