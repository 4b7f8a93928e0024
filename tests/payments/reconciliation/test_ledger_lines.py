"""The ledger's side of a day: the posted movements on the rail clearing accounts, one line per payment or
refund, named by the ids the rails echo; holds, voids, fees and disputes are no rail lines."""

from sqlalchemy import Engine

from ledger.model import TransferSpec
from ledger.transfers import create_transfers
from payments.intents import intents
from payments.intents.context import Payments
from payments.intents.disputes import close_dispute, open_dispute
from payments.intents.model import FeeSchedule, RailKind, ShareSpec
from payments.intents.postings import clearing_account, merchant_account
from payments.intents.refunds import refund
from payments.reconciliation.ledger_lines import LedgerLine, ledger_lines
from payments.reconciliation.lines import LineKind
from tests.payments.intents.conftest import TENANT
from tests.payments.reconciliation.conftest import ledger_day, paid


def _lines(engine: Engine) -> list[LedgerLine]:
    with engine.connect() as connection:
        return ledger_lines(connection, ledger_day(engine))


def _summary(lines: list[LedgerLine]) -> list[tuple[RailKind, LineKind, str, int, str, bool]]:
    return [
        (line.rail, line.kind, line.reference, line.amount, line.currency, line.livemode) for line in lines
    ]


def test_captures_and_posted_refunds_are_lines_named_by_intent_and_refund(
    engine: Engine, pay: Payments
) -> None:
    automatic = paid(pay, 10_000, fee_schedule=FeeSchedule(bps=290, fixed=30))
    manual = paid(pay, 8_000, manual=True)
    intents.capture(pay, TENANT, manual.id, 5_000)  # the other 3_000 released: no line
    canceled = paid(pay, 700, manual=True)
    intents.cancel(pay, TENANT, canceled.id)  # authorized then voided: no money moved
    back = refund(pay, TENANT, automatic.id, 2_500, refund_id="re_part")
    disputed = paid(pay, 1_000)
    lost = open_dispute(pay, TENANT, disputed.id, dispute_id="dp_lost")
    close_dispute(pay, TENANT, lost.id, won=False)  # a chargeback: not a line of the card's statement

    expected = sorted(
        [
            (RailKind.CARD, LineKind.PAYMENT, automatic.id, 10_000, "EUR", False),
            (RailKind.CARD, LineKind.PAYMENT, manual.id, 5_000, "EUR", False),
            (RailKind.CARD, LineKind.PAYMENT, disputed.id, 1_000, "EUR", False),
            (RailKind.CARD, LineKind.REFUND, back.id, 2_500, "EUR", False),
        ]
    )
    assert _summary(_lines(engine)) == expected


def test_a_split_payment_is_one_line_of_its_shares(engine: Engine, pay: Payments) -> None:
    shares = [ShareSpec("acct_seller_1", 3_000), ShareSpec("acct_seller_2", 2_001)]
    intent = paid(pay, 5_001, shares=shares)
    refund(pay, TENANT, intent.id, 1_001, refund_id="re_split")
    lines = _lines(engine)
    assert _summary(lines) == [
        (RailKind.CARD, LineKind.PAYMENT, intent.id, 5_001, "EUR", False),
        (RailKind.CARD, LineKind.REFUND, "re_split", 1_001, "EUR", False),
    ]
    assert [len(line.transfer_ids) for line in lines] == [2, 2]


def test_a_pending_refund_is_no_line_until_the_rail_completes_it(
    engine: Engine, pay: Payments, rail: object
) -> None:
    intent = paid(pay, 4_000)
    rail.defer.add("refund")  # type: ignore[attr-defined]
    refund(pay, TENANT, intent.id, 1_500, refund_id="re_async")
    assert [line.kind for line in _lines(engine)] == [LineKind.PAYMENT]


def test_other_days_and_other_transfers_on_clearing_are_left_out(engine: Engine, pay: Payments) -> None:
    paid(pay, 900)
    day = ledger_day(engine)
    clearing = clearing_account("EUR", False, RailKind.CARD)
    merchant = merchant_account("EUR", False, TENANT.merchant_id)
    # A hand-made transfer on the clearing account (not a payment step's reference) is no rail line.
    create_transfers(
        engine, [TransferSpec("manual-adjustment", clearing.id, merchant.id, 5, "EUR", code=100)]
    )
    with engine.connect() as connection:
        assert [line.amount for line in ledger_lines(connection, day)] == [900]
        assert ledger_lines(connection, day.replace(year=day.year - 1)) == []
