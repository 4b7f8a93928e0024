"""Screening on every payout, on SQLite and PostgreSQL: a refund of a stablecoin intent is paid back to the
address that paid it only once that address screens clear; a listed address holds the refund (no payout
is created, nothing to sign or send) and a list change that delists it lets the next round proceed.

The intents are real (created, confirmed, settled by `settlement.settle` from a `Paid` event as the
watcher reads it off the chain) and the ledger is checked; only the chain itself is left out, as nothing
here reaches it: the hold happens before any transfer is chosen."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_utils import to_checksum_address
from sqlalchemy import Engine

from chain.payment_router import RouterPayment
from ledger.check import verify
from payments.intents import intents, refunds
from payments.intents.context import Payments
from payments.intents.model import RailKind, RefundStatus
from payments.merchants.tenant import Tenant
from payments.rails.stablecoin.config import StablecoinConfig
from payments.rails.stablecoin.instructions import intent_key
from payments.rails.stablecoin.payouts import PayoutStatus, open_payouts
from payments.rails.stablecoin.rail import StablecoinRail
from payments.rails.stablecoin.settlement import PaymentOutcome, settle
from risk.screening.model import Standing, Trigger
from risk.screening.screenings import Screener
from risk.screening.source import ListSource
from tests.helpers.db import database_url, pg_url, sqlite_url  # noqa: F401  (fixtures)
from tests.helpers.payout_tables import payout_engine
from tests.risk.screening.conftest import Clock, sample_files, write_list

MERCHANT = Tenant("mch_screened_shop", livemode=False)
CONFIG = StablecoinConfig(
    chain_id=31337,
    router=to_checksum_address("0x" + "11" * 20),
    token=to_checksum_address("0x" + "22" * 20),
    token_symbol="tUSD",
    token_decimals=6,
    currency="USD",
    livemode=False,
)
LISTED = to_checksum_address("0xca978112ca1bbdcafac231b39a23dc4da786eff8")  # MORVANE's ETH address
UNLISTED = to_checksum_address("0x" + "33" * 20)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:  # noqa: F811
    with payout_engine(database_url, MERCHANT.merchant_id) as engine:
        yield engine


@pytest.fixture
def source(tmp_path: Path) -> ListSource:
    return ListSource(write_list(tmp_path / "sanctions", sample_files()))


def refund_paid_by(engine: Engine, payer: str, amount: int = 12_34) -> str:
    """A stablecoin intent paid by `payer` (settled from its `Paid` event), then refunded: the refund id."""
    pay = Payments(engine, {RailKind.STABLECOIN: StablecoinRail(CONFIG, refunds=True)})
    intent = intents.create(
        pay, MERCHANT, amount=amount, currency="USD", rail=RailKind.STABLECOIN, payment_method="pm_wallet"
    )
    intent = intents.confirm(pay, MERCHANT, intent.id)
    event = RouterPayment(
        intent_key=intent_key(intent.id),
        payer=to_checksum_address(payer),
        token=to_checksum_address(CONFIG.token),
        amount=CONFIG.token_amount(amount),
        recipient=to_checksum_address(CONFIG.router),
        tx_hash="0x" + intent.id.encode().hex().ljust(64, "0")[:64],
        log_index=0,
        block_number=1,
        block_hash="0x" + "ab" * 32,
    )
    with engine.begin() as connection:
        assert settle(pay, connection, CONFIG, event, paid_at=1_800_000_000) is PaymentOutcome.SUCCEEDED
    refund = refunds.refund(pay, MERCHANT, intent.id)
    assert refund.status is RefundStatus.PENDING
    return refund.id


def test_a_clear_address_gets_its_payout_and_a_listed_one_is_held(engine: Engine, source: ListSource) -> None:
    clean = refund_paid_by(engine, UNLISTED)
    held = refund_paid_by(engine, LISTED)
    screener = Screener(engine, source.current(), clock=Clock())
    payouts = open_payouts(Payments(engine, {}), CONFIG, screener)
    assert [(payout.refund_id, payout.to, payout.status) for payout in payouts] == [
        (clean, UNLISTED, PayoutStatus.SIGNING)
    ]
    [screening] = screener.latest(held)
    assert (screening.trigger, screening.standing) == (Trigger.PAYOUT, Standing.BLOCKED)
    assert screening.hits[0].ent_num == 9001
    # Held on every round, never paid: the refund stays pending, its money still held on the ledger.
    assert [payout.refund_id for payout in open_payouts(Payments(engine, {}), CONFIG, screener)] == [clean]
    pay = Payments(engine, {})
    assert refunds.retrieve_refund(pay, MERCHANT, held).status is RefundStatus.PENDING
    assert verify(engine) == []


def test_a_list_change_delisting_the_address_releases_the_payout(
    engine: Engine, source: ListSource, tmp_path: Path
) -> None:
    held = refund_paid_by(engine, LISTED)
    screener = Screener(engine, source.current(), clock=Clock())
    assert open_payouts(Payments(engine, {}), CONFIG, screener) == []
    files = sample_files()
    files["SDN.CSV"] = b"\r\n".join(
        line for line in files["SDN.CSV"].split(b"\r\n") if not line.startswith(b"9001,")
    )
    files["ALT.CSV"] = b"\r\n".join(
        line for line in files["ALT.CSV"].split(b"\r\n") if not line.startswith(b"9001,")
    )
    files["ADD.CSV"] = b"\r\n".join(
        line for line in files["ADD.CSV"].split(b"\r\n") if not line.startswith(b"9001,")
    )
    rescreened = screener.switch_list(source.replace(files))
    assert [(found.subject_id, found.standing) for found in rescreened] == [(held, Standing.CLEAR)]
    [payout] = open_payouts(Payments(engine, {}), CONFIG, screener)
    assert (payout.refund_id, payout.to) == (held, LISTED)


def test_without_a_screener_nothing_is_held(engine: Engine) -> None:
    held = refund_paid_by(engine, LISTED)
    assert [payout.refund_id for payout in open_payouts(Payments(engine, {}), CONFIG)] == [held]
