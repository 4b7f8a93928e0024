"""The settlement file as reconciliation's lines."""

import datetime

import pytest

from payments.intents.model import RailKind
from payments.rails.card.statement import parse_settlement
from payments.reconciliation.lines import ExternalLine, LineKind

FILE = """transaction_id,type,merchant_reference,account,livemode,amount,currency,booked_on
txn_1,capture,pi_1,acct_a,false,6000,EUR,2026-12-07
txn_2,refund,re_1,acct_a,true,2500,USD,2026-12-07
"""


def test_rows_become_external_lines() -> None:
    day = datetime.date(2026, 12, 7)
    assert parse_settlement(FILE) == [
        ExternalLine(RailKind.CARD, LineKind.PAYMENT, "pi_1", "txn_1", 6000, "EUR", day, False),
        ExternalLine(RailKind.CARD, LineKind.REFUND, "re_1", "txn_2", 2500, "USD", day, True),
    ]


def test_an_empty_day_has_no_lines() -> None:
    assert parse_settlement(FILE.splitlines()[0] + "\n") == []


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(KeyError):
        parse_settlement(FILE.replace("refund", "chargeback"))
