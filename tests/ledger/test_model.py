"""The vocabulary: balances from each side, ids, the clock, and specs refusing anything but ints."""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from ledger.ids import new_id, to_ns
from ledger.model import INT64_MAX, Account, AccountFlags, Balances, OwnerKind, TransferSpec


def _account(flags: AccountFlags, dp: int, dpo: int, cp: int, cpo: int) -> Account:
    return Account(1, "EUR", OwnerKind.CUSTOMER, "c", 1, flags, dp, dpo, cp, cpo, 0)


def test_a_credit_normal_account_counts_outgoing_holds_against_what_is_available():
    account = _account(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS, 30, 20, 5, 100)
    assert account.balances == Balances(posted=80, pending=-25, available=50)


def test_a_debit_normal_account_is_read_from_its_debit_side():
    account = _account(AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS, 5, 100, 30, 20)
    assert account.balances == Balances(posted=80, pending=-25, available=50)


def test_ids_are_positive_int64_and_distinct():
    ids = {new_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(0 < value < INT64_MAX for value in ids)


def test_the_clock_is_exact_in_ns_whatever_the_timezone():
    moment = datetime(2026, 12, 6, 12, 0, 0, 123456, tzinfo=UTC)
    assert to_ns(moment) == 1_796_558_400_123_456_000
    assert to_ns(moment.astimezone(timezone(timedelta(hours=-5)))) == to_ns(moment)


@pytest.mark.parametrize("amount", [Decimal("1"), 1.5, False])
def test_specs_refuse_non_int_money(amount: object):
    with pytest.raises(TypeError):
        TransferSpec("r", 1, 2, amount, "EUR")  # type: ignore[arg-type]
