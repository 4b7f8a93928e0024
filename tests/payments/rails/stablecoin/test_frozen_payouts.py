"""A payout the monitoring froze is held, not sent: frozen by an alert on its refund or on its merchant's
balance, it is not handed to the payout worker until the alert is released (a confirmed alert keeps it)."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, insert

from api.db import make_engine
from payments.intents.context import Payments
from payments.intents.postings import merchant_owner
from payments.rails.stablecoin.payouts import PayoutStatus, open_payouts
from payments.rails.stablecoin.schema import stablecoin_payouts
from risk.monitoring import alerts
from risk.monitoring.checks import Check, Finding
from tests.helpers.payout_tables import create_payout_tables
from tests.payments.rails.stablecoin.test_instructions import CONFIG
from tests.payments.rails.stablecoin.test_statement import payout

FINDING = Finding(Check.RATE, "refunds surging")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    create_payout_tables(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def _freeze(engine: Engine, kind: str, subject_id: str) -> str:
    with engine.begin() as connection:
        alert = alerts.raise_alert(
            connection, FINDING, alerts.Subject(kind, subject_id), 1, alerts.AlertQueue()
        )
    assert alert is not None
    return alert.id


def _decide(engine: Engine, alert_id: str, *, approve: bool) -> None:
    with engine.begin() as connection:
        alerts.decide(connection, alert_id, approve=approve, operator="op", reason="reviewed", now=2)


def test_a_frozen_payout_is_held_until_released(engine: Engine) -> None:
    signing = {"status": PayoutStatus.SIGNING}
    with engine.begin() as connection:
        connection.execute(
            insert(stablecoin_payouts),
            [
                payout("re_a", None, 100, merchant_id="acct_a", **signing),
                payout("re_b", None, 100, merchant_id="acct_b", **signing),
                payout("re_chosen", 7, 100, merchant_id="acct_a", **signing),
            ],
        )
    paying = Payments(engine, rails={})

    def listed() -> list[str]:
        return [made.refund_id for made in open_payouts(paying, CONFIG)]

    assert sorted(listed()) == ["re_a", "re_b", "re_chosen"]
    merchant = _freeze(engine, "merchant", merchant_owner(CONFIG.livemode, "acct_a"))
    # re_chosen may be on its way on-chain already: it stays with the worker
    assert sorted(listed()) == ["re_b", "re_chosen"]
    refund = _freeze(engine, "payout", "re_b")
    assert listed() == ["re_chosen"]
    _decide(engine, merchant, approve=True)
    _decide(engine, refund, approve=False)  # confirmed: the payout stays held
    assert sorted(listed()) == ["re_a", "re_chosen"]
    other_mode = _freeze(engine, "merchant", merchant_owner(not CONFIG.livemode, "acct_a"))
    assert sorted(listed()) == ["re_a", "re_chosen"]  # the same merchant's other mode is another balance
    _decide(engine, other_mode, approve=True)
