"""Every result code of a single transfer event, each from the smallest world that provokes it.

A failing event must leave every total as it was: each case also checks that nothing moved. The linked
codes (`linked_event_failed`, `linked_event_chain_open`) are batch codes, in test_batch.py.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from ledger.accounts import lookup_accounts
from ledger.ids import new_id
from ledger.model import INT64_MAX, TIMEOUT_SECONDS_MAX, AccountFlags, TransferFlags, TransferSpec
from ledger.results import CreateTransferResult as R
from ledger.transfers import create_transfer, create_transfers, expire_pending
from tests.ledger.conftest import OpenAccount

T0 = datetime(2026, 12, 1, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)
PENDING, POST, VOID = TransferFlags.PENDING, TransferFlags.POST_PENDING, TransferFlags.VOID_PENDING


@dataclass
class World:
    """Accounts and transfers in known states; `posted` is a single-phase transfer of 100 from a to b."""

    a: int  # no constraint (a treasury)
    b: int  # debits must not exceed credits (a customer's balance)
    c: int  # credits must not exceed debits
    usd: int
    posted: int
    open_pending: int  # 50 from a to b, code 7, never expires
    posted_pending: int
    voided_pending: int
    lapsed_pending: int  # timed out by LATER, not yet expired by `expire_pending`
    expired_pending: int  # expired by `expire_pending`


def _ok(engine: Engine, spec: TransferSpec, now: datetime = T0) -> int:
    outcome = create_transfer(engine, spec, now=now)
    assert outcome.result is R.OK, outcome
    assert outcome.id is not None
    return outcome.id


@pytest.fixture
def world(engine: Engine, open_account: OpenAccount) -> World:
    a, b = open_account(), open_account(flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
    c, usd = open_account(flags=AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS), open_account("USD")
    posted = _ok(engine, TransferSpec("posted", a, b, 100, "EUR"))

    def pending(reference: str, timeout: int = 0) -> int:
        spec = TransferSpec(reference, a, b, 50, "EUR", code=7, flags=PENDING, timeout_seconds=timeout)
        return _ok(engine, spec)

    world = World(a, b, c, usd, posted, pending("open"), pending("p"), pending("v"), pending("l", 60), 0)
    _ok(engine, TransferSpec("post", flags=POST, pending_id=world.posted_pending))
    _ok(engine, TransferSpec("void", flags=VOID, pending_id=world.voided_pending))
    world.expired_pending = pending("e", 1)
    assert expire_pending(engine, T0 + timedelta(seconds=2)) == [world.expired_pending]
    return world


Case = Callable[[World], TransferSpec]
CASES: dict[R, Case] = {
    R.OK: lambda w: TransferSpec("new", w.a, w.b, 10, "EUR"),
    R.RESERVED_FLAG: lambda w: TransferSpec("new", w.a, w.b, 10, "EUR", flags=TransferFlags(1 << 5)),
    R.ID_MUST_NOT_BE_ZERO: lambda w: TransferSpec("new", w.a, w.b, 10, "EUR", id=0),
    R.ID_MUST_NOT_BE_INT_MAX: lambda w: TransferSpec("new", w.a, w.b, 10, "EUR", id=INT64_MAX),
    R.REFERENCE_MUST_NOT_BE_EMPTY: lambda w: TransferSpec("", w.a, w.b, 10, "EUR"),
    R.REFERENCE_TOO_LONG: lambda w: TransferSpec("x" * 129, w.a, w.b, 10, "EUR"),
    R.EXISTS_WITH_DIFFERENT_ID: lambda w: TransferSpec("posted", w.a, w.b, 100, "EUR", id=new_id()),
    R.EXISTS_WITH_DIFFERENT_REFERENCE: lambda w: TransferSpec("other", w.a, w.b, 100, "EUR", id=w.posted),
    R.EXISTS_WITH_DIFFERENT_FLAGS: lambda w: TransferSpec("posted", w.a, w.b, 100, "EUR", flags=PENDING),
    R.EXISTS_WITH_DIFFERENT_PENDING_ID: lambda w: TransferSpec(
        "posted", w.a, w.b, 100, "EUR", pending_id=w.open_pending
    ),
    R.EXISTS_WITH_DIFFERENT_TIMEOUT: lambda w: TransferSpec(
        "posted", w.a, w.b, 100, "EUR", timeout_seconds=5
    ),
    R.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID: lambda w: TransferSpec("posted", w.c, w.b, 100, "EUR"),
    R.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID: lambda w: TransferSpec("posted", w.a, w.c, 100, "EUR"),
    R.EXISTS_WITH_DIFFERENT_AMOUNT: lambda w: TransferSpec("posted", w.a, w.b, 99, "EUR"),
    R.EXISTS_WITH_DIFFERENT_LEDGER: lambda w: TransferSpec("posted", w.a, w.b, 100, "USD", id=w.posted),
    R.EXISTS_WITH_DIFFERENT_CODE: lambda w: TransferSpec("posted", w.a, w.b, 100, "EUR", code=2),
    R.EXISTS: lambda w: TransferSpec("posted", w.a, w.b, 100, "EUR"),
    R.FLAGS_ARE_MUTUALLY_EXCLUSIVE: lambda w: TransferSpec("new", w.a, w.b, 10, "EUR", flags=PENDING | POST),
    R.DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO: lambda w: TransferSpec("new", 0, w.b, 10, "EUR"),
    R.CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO: lambda w: TransferSpec("new", w.a, 0, 10, "EUR"),
    R.ACCOUNTS_MUST_BE_DIFFERENT: lambda w: TransferSpec("new", w.a, w.a, 10, "EUR"),
    R.PENDING_ID_MUST_BE_ZERO: lambda w: TransferSpec("new", w.a, w.b, 10, "EUR", pending_id=w.open_pending),
    R.PENDING_ID_MUST_NOT_BE_ZERO: lambda w: TransferSpec("new", flags=POST),
    R.PENDING_ID_MUST_BE_DIFFERENT: lambda w: TransferSpec("new", id=12345, flags=POST, pending_id=12345),
    R.TIMEOUT_RESERVED_FOR_PENDING_TRANSFER: lambda w: TransferSpec(
        "new", w.a, w.b, 10, "EUR", timeout_seconds=5
    ),
    R.AMOUNT_MUST_NOT_BE_ZERO: lambda w: TransferSpec("new", w.a, w.b, 0, "EUR"),
    R.AMOUNT_MUST_NOT_BE_NEGATIVE: lambda w: TransferSpec("new", w.a, w.b, -1, "EUR"),
    R.AMOUNT_EXCEEDS_MAXIMUM: lambda w: TransferSpec("new", w.a, w.b, 2**63, "EUR"),
    R.LEDGER_MUST_BE_A_CURRENCY: lambda w: TransferSpec("new", w.a, w.b, 10, "eur"),
    R.CODE_MUST_NOT_BE_ZERO: lambda w: TransferSpec("new", w.a, w.b, 10, "EUR", code=0),
    R.DEBIT_ACCOUNT_NOT_FOUND: lambda w: TransferSpec("new", new_id(), w.b, 10, "EUR"),
    R.CREDIT_ACCOUNT_NOT_FOUND: lambda w: TransferSpec("new", w.a, new_id(), 10, "EUR"),
    R.ACCOUNTS_MUST_HAVE_THE_SAME_LEDGER: lambda w: TransferSpec("new", w.a, w.usd, 10, "EUR"),
    R.TRANSFER_MUST_HAVE_THE_SAME_LEDGER_AS_ACCOUNTS: lambda w: TransferSpec("new", w.a, w.b, 10, "USD"),
    R.PENDING_TRANSFER_NOT_FOUND: lambda w: TransferSpec("new", flags=POST, pending_id=new_id()),
    R.PENDING_TRANSFER_NOT_PENDING: lambda w: TransferSpec("new", flags=POST, pending_id=w.posted),
    R.PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID: lambda w: TransferSpec(
        "new", w.c, flags=POST, pending_id=w.open_pending
    ),
    R.PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID: lambda w: TransferSpec(
        "new", 0, w.c, flags=POST, pending_id=w.open_pending
    ),
    R.PENDING_TRANSFER_HAS_DIFFERENT_LEDGER: lambda w: TransferSpec(
        "new", currency="USD", flags=POST, pending_id=w.open_pending
    ),
    R.PENDING_TRANSFER_HAS_DIFFERENT_CODE: lambda w: TransferSpec(
        "new", code=9, flags=POST, pending_id=w.open_pending
    ),
    R.EXCEEDS_PENDING_TRANSFER_AMOUNT: lambda w: TransferSpec(
        "new", amount=51, flags=POST, pending_id=w.open_pending
    ),
    R.PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT: lambda w: TransferSpec(
        "new", amount=49, flags=VOID, pending_id=w.open_pending
    ),
    R.PENDING_TRANSFER_ALREADY_POSTED: lambda w: TransferSpec("new", flags=VOID, pending_id=w.posted_pending),
    R.PENDING_TRANSFER_ALREADY_VOIDED: lambda w: TransferSpec("new", flags=POST, pending_id=w.voided_pending),
    R.PENDING_TRANSFER_EXPIRED: lambda w: TransferSpec("new", flags=POST, pending_id=w.expired_pending),
    R.EXCEEDS_CREDITS: lambda w: TransferSpec("new", w.b, w.a, 151, "EUR"),  # b was credited 100 + 50
    R.EXCEEDS_DEBITS: lambda w: TransferSpec("new", w.a, w.c, 1, "EUR"),
}


@pytest.mark.parametrize("expected", list(CASES), ids=str)
def test_result_code(engine: Engine, world: World, expected: R):
    spec = CASES[expected](world)
    ids = [world.a, world.b, world.c, world.usd]
    before = lookup_accounts(engine, ids)
    outcome = create_transfer(engine, spec, now=T0)
    assert outcome.result is expected
    if expected is not R.OK:
        assert lookup_accounts(engine, ids) == before


def test_a_post_after_the_timeout_is_refused_before_any_expiry_ran(engine: Engine, world: World):
    spec = TransferSpec("late", flags=POST, pending_id=world.lapsed_pending)
    assert create_transfer(engine, spec, now=LATER).result is R.PENDING_TRANSFER_EXPIRED
    assert create_transfer(engine, spec, now=T0).result is R.OK  # before its time, the same post passes


def test_the_expiry_flag_is_the_ledgers_own(engine: Engine, world: World):
    spec = TransferSpec("x", flags=TransferFlags.EXPIRE_PENDING, pending_id=world.lapsed_pending)
    assert create_transfer(engine, spec, now=LATER).result is R.RESERVED_FLAG


def test_a_timeout_past_the_clocks_range_overflows(engine: Engine, world: World):
    spec = TransferSpec("t", world.a, world.b, 1, "EUR", flags=PENDING, timeout_seconds=TIMEOUT_SECONDS_MAX)
    year_2200 = datetime(2200, 1, 1, tzinfo=UTC)
    assert create_transfer(engine, spec, now=year_2200).result is R.OVERFLOWS_TIMEOUT


def test_totals_never_leave_int64(engine: Engine, open_account: OpenAccount):
    """Each total is a BIGINT: a transfer that would push one past 2^63 - 1 is refused, naming which."""
    x, y, u, v, z = (open_account() for _ in range(5))
    outcomes = create_transfers(
        engine,
        [
            TransferSpec("x-y", x, y, INT64_MAX, "EUR"),
            TransferSpec("u-v", u, v, INT64_MAX, "EUR", flags=PENDING),
        ],
    )
    assert [outcome.result for outcome in outcomes] == [R.OK, R.OK]
    cases = [
        (TransferSpec("1", x, z, 1, "EUR"), R.OVERFLOWS_DEBITS_POSTED),
        (TransferSpec("2", z, y, 1, "EUR"), R.OVERFLOWS_CREDITS_POSTED),
        (TransferSpec("3", u, z, 1, "EUR", flags=PENDING), R.OVERFLOWS_DEBITS_PENDING),
        (TransferSpec("4", z, v, 1, "EUR", flags=PENDING), R.OVERFLOWS_CREDITS_PENDING),
        (TransferSpec("5", u, z, 1, "EUR"), R.OVERFLOWS_DEBITS),
        (TransferSpec("6", z, v, 1, "EUR"), R.OVERFLOWS_CREDITS),
    ]
    outcomes = create_transfers(engine, [spec for spec, _ in cases])
    assert [outcome.result for outcome in outcomes] == [expected for _, expected in cases]


@pytest.mark.parametrize("amount", [1.0, True, "1"])
def test_an_amount_that_is_not_an_int_never_becomes_a_spec(amount: object):
    with pytest.raises(TypeError, match="amount must be an int"):
        TransferSpec("r", 1, 2, amount, "EUR")  # type: ignore[arg-type]


def test_every_transfer_result_code_has_a_test():
    linked = {R.LINKED_EVENT_FAILED, R.LINKED_EVENT_CHAIN_OPEN}  # test_batch.py
    elsewhere = {R.OVERFLOWS_TIMEOUT} | {code for code in R if code.startswith("overflows_")}
    assert set(R) == set(CASES) | linked | elsewhere
