"""Which camt.053 entries become reconciliation lines: a return cancels the entry it returns when both are on
the statement, and stays a line when it is alone (its entry booked another day)."""

import datetime

from payments.rails.bank.camt import Entry
from payments.rails.bank.statements import unreturned

DAY = datetime.date(2026, 12, 7)


def _entry(reference: str, credit: bool, amount: int, step: str, reason: str | None = None) -> Entry:
    end_to_end = step.split(":")[-1] if ":refund:" in step else step.split(":")[0]
    return Entry(reference, credit, amount, "EUR", DAY, end_to_end, step, reason)


def test_a_return_cancels_the_entry_it_returns_on_the_same_statement() -> None:
    paid = _entry("BK1", True, 7_000, "pi_kept:authorize:1")
    bounced = _entry("BK2", True, 3_000, "pi_bounced:authorize:1")
    bounced_back = _entry("BK3", False, 3_000, "pi_bounced:authorize:1", "AC06")
    refunded = _entry("BK4", False, 1_000, "pi_kept:refund:re_back")
    refund_back = _entry("BK5", True, 1_000, "pi_kept:refund:re_back", "AC06")
    assert unreturned([paid, bounced, bounced_back, refunded, refund_back]) == [paid]


def test_a_return_alone_or_unlike_its_entry_stays() -> None:
    alone = _entry("BK9", False, 3_000, "pi_earlier:authorize:1", "AC06")
    assert unreturned([alone]) == [alone]
    paid = _entry("BK1", True, 3_000, "pi_other:authorize:1")
    partly = _entry("BK2", False, 2_000, "pi_other:authorize:1", "AC06")  # not the same amount
    other = _entry("BK3", False, 3_000, "pi_third:authorize:1", "AC06")  # another transfer
    assert unreturned([paid, partly, other]) == [paid, partly, other]
    # One return takes back one entry: the second payment of the same step stays.
    again = _entry("BK4", True, 3_000, "pi_other:authorize:1")
    back = _entry("BK5", False, 3_000, "pi_other:authorize:1", "AC06")
    assert unreturned([paid, again, back]) == [again]
