"""The matcher alone (pure): each kind of break with both sides, and a rail echoing the ledger exactly
giving none."""

import datetime
from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from payments.intents.model import RailKind
from payments.reconciliation.ledger_lines import LedgerLine
from payments.reconciliation.lines import ExternalLine, LineKind
from payments.reconciliation.matching import Break, BreakKind, match
from tests.payments.reconciliation.conftest import agreeing_line

DAY = datetime.date(2026, 12, 6)
OURS = LedgerLine(RailKind.BANK, LineKind.PAYMENT, "pi_1", 10_000, "EUR", False, (7,))
THEIRS = agreeing_line(OURS, DAY, "NTRY-1")


def _kinds(breaks: list[Break]) -> list[BreakKind]:
    return [item.kind for item in breaks]


def test_agreeing_sides_have_no_break() -> None:
    assert match([OURS], [THEIRS]) == []


def test_missing_at_the_rail_keeps_the_ledger_side() -> None:
    assert match([OURS], []) == [
        Break(BreakKind.MISSING_AT_RAIL, RailKind.BANK, LineKind.PAYMENT, "pi_1", OURS, None)
    ]


def test_missing_in_the_ledger_keeps_the_rail_side() -> None:
    assert match([], [THEIRS]) == [
        Break(BreakKind.MISSING_IN_LEDGER, RailKind.BANK, LineKind.PAYMENT, "pi_1", None, THEIRS)
    ]


def test_a_duplicate_at_the_rail_is_a_break_and_the_first_line_still_matches() -> None:
    again = replace(THEIRS, external_id="NTRY-2")
    assert match([OURS], [again, THEIRS]) == [
        Break(BreakKind.DUPLICATE_AT_RAIL, RailKind.BANK, LineKind.PAYMENT, "pi_1", OURS, again)
    ]


def test_amount_currency_and_mode_are_compared() -> None:
    assert _kinds(match([OURS], [replace(THEIRS, amount=9_999)])) == [BreakKind.AMOUNT_MISMATCH]
    # Amounts of two currencies are not compared: the currency is the break.
    assert _kinds(match([OURS], [replace(THEIRS, currency="USD", amount=1)])) == [BreakKind.CURRENCY_MISMATCH]
    assert _kinds(match([OURS], [replace(THEIRS, livemode=True)])) == [BreakKind.MODE_MISMATCH]
    both = replace(THEIRS, livemode=True, amount=1)
    assert _kinds(match([OURS], [both])) == [BreakKind.MODE_MISMATCH, BreakKind.AMOUNT_MISMATCH]


def test_rail_kind_and_reference_all_make_the_key() -> None:
    refund = replace(THEIRS, kind=LineKind.REFUND)
    other_rail = replace(THEIRS, rail=RailKind.CARD)
    other_reference = replace(THEIRS, reference="pi_2")
    found = match([OURS], [refund, other_rail, other_reference])
    # Ordered by (rail, kind, reference): bank/payment/pi_1, bank/payment/pi_2, bank/refund, card/payment.
    assert _kinds(found) == [BreakKind.MISSING_AT_RAIL] + [BreakKind.MISSING_IN_LEDGER] * 3
    assert [item.external for item in found[1:]] == [other_reference, refund, other_rail]


_lines = st.lists(
    st.builds(
        LedgerLine,
        rail=st.sampled_from(RailKind),
        kind=st.sampled_from(LineKind),
        reference=st.from_regex(r"[a-z0-9_]{1,12}", fullmatch=True),
        amount=st.integers(1, 2**63 - 1),
        currency=st.sampled_from(["EUR", "USD", "JPY"]),
        livemode=st.booleans(),
        transfer_ids=st.just((1,)),
    ),
    unique_by=lambda line: (line.rail, line.kind, line.reference),
    max_size=20,
)


@given(_lines, st.data())
def test_an_echo_has_no_break_and_each_dropped_line_is_missing_at_the_rail(
    ours: list[LedgerLine], data: st.DataObject
) -> None:
    echoed = [agreeing_line(line, DAY, f"x{index}") for index, line in enumerate(ours)]
    assert match(ours, echoed) == []
    dropped = data.draw(st.sets(st.integers(0, len(ours) - 1)) if ours else st.just(set()))
    kept: list[ExternalLine] = [line for index, line in enumerate(echoed) if index not in dropped]
    found = match(ours, kept)
    assert _kinds(found) == [BreakKind.MISSING_AT_RAIL] * len(dropped)
    assert {item.ledger for item in found} == {ours[index] for index in dropped}
