"""The stablecoin statement's refunds without a chain: a treasury transfer becomes the refund line of the
payout that chose its custody nonce, with the amount the chain moved; a transfer no payout chose is none."""

import datetime
from collections.abc import Iterator

import pytest
from eth_utils import to_checksum_address
from sqlalchemy import Engine, insert

from api.db import make_engine
from chain.treasury import CustodyTransferLog
from payments.intents.model import RailKind
from payments.rails.stablecoin.payouts import PayoutStatus, refunds_by_custody_nonce
from payments.rails.stablecoin.schema import metadata, stablecoin_payouts
from payments.rails.stablecoin.statement import minor_units, refund_lines
from payments.reconciliation.lines import ExternalLine, LineKind
from tests.payments.rails.stablecoin.test_instructions import CONFIG

DAY = datetime.date(2026, 12, 7)
PAYER = to_checksum_address("0x" + "a1" * 20)
OTHER_TOKEN = to_checksum_address("0x" + "b2" * 20)


def transfer(nonce: int, amount: int, token: str = CONFIG.token) -> CustodyTransferLog:
    return CustodyTransferLog(
        token=to_checksum_address(token),
        nonce=nonce,
        to=PAYER,
        amount=amount,
        tx_hash="0x" + f"{nonce:02x}" * 32,
        log_index=3,
        block_number=100 + nonce,
    )


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def payout(refund_id: str, nonce: int | None, token_amount: int, **changes: object) -> dict[str, object]:
    return {
        "refund_id": refund_id,
        "payment_intent_id": "pi_" + refund_id,
        "merchant_id": "acct_merchant_a",
        "livemode": CONFIG.livemode,
        "to": PAYER,
        "token": CONFIG.token,
        "token_amount": str(token_amount),
        "custody_nonce": nonce,
        "deadline": None if nonce is None else 1_800_000_000,
        "tx_hash": None,
        "status": PayoutStatus.SENT,
        "created_at": 1_700_000_000,
    } | changes


def test_a_transfer_a_payout_chose_is_its_refund_with_the_amount_the_chain_moved(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(stablecoin_payouts),
            [
                payout("re_paid", 7, token_amount=CONFIG.token_amount(1_234)),
                payout("re_unchosen", None, token_amount=CONFIG.token_amount(50)),
                payout("re_other_token", 8, CONFIG.token_amount(60), token=OTHER_TOKEN),
                payout("re_live", 9, CONFIG.token_amount(70), livemode=not CONFIG.livemode),
            ],
        )
    transfers = [transfer(7, CONFIG.token_amount(1_200) + 1), transfer(8, 600_000), transfer(9, 700_000)]
    refund_of = refunds_by_custody_nonce(engine, CONFIG.token, CONFIG.livemode, {t.nonce for t in transfers})
    assert refund_of == {7: "re_paid"}
    # 12.00 USD and one base unit moved, not the 12.34 the payout asked: the line says what the chain moved,
    # rounded up as a payment is, so the refund shows as a difference
    assert refund_lines(transfers, refund_of, CONFIG, DAY) == [
        ExternalLine(
            rail=RailKind.STABLECOIN,
            kind=LineKind.REFUND,
            reference="re_paid",
            external_id=f"{transfers[0].tx_hash}:3",
            amount=1_201,
            currency="USD",
            booked_on=DAY,
            livemode=CONFIG.livemode,
        )
    ]


def test_a_transfer_no_payout_chose_is_not_a_refund() -> None:
    ours, not_ours = transfer(1, CONFIG.token_amount(500)), transfer(2, CONFIG.token_amount(900))
    lines = refund_lines([ours, not_ours], {1: "re_ours"}, CONFIG, DAY)
    assert [(line.reference, line.amount) for line in lines] == [("re_ours", 500)]
    assert (
        refund_lines([transfer(1, CONFIG.token_amount(500), token=OTHER_TOKEN)], {1: "re_ours"}, CONFIG, DAY)
        == []
    )
    assert refund_lines([transfer(1, 0)], {1: "re_ours"}, CONFIG, DAY) == []


def test_nothing_to_look_up_reads_nothing(engine: Engine) -> None:
    assert refunds_by_custody_nonce(engine, CONFIG.token, CONFIG.livemode, set()) == {}


def test_token_amounts_round_up_to_minor_units() -> None:
    assert [minor_units(amount, CONFIG) for amount in (0, 1, CONFIG.scale, CONFIG.scale + 1)] == [0, 1, 1, 2]
