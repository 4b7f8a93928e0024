"""The stablecoin rail end to end on a real anvil: an intent confirmed on the rail, paid through the deployed
PaymentRouter (approve + pay, or one permit transaction), read by the payments watcher at its confirmation
depth, succeeded with its ledger transfers; underpayment and the wrong token; reorgs shallower and deeper
than the depth; the `python -m relay.payments` process killed with SIGKILL and restarted; the day's `Paid`
events as a reconciliation statement. Every test runs on SQLite and on PostgreSQL.

A refund's payout that a crashed worker had already sent is found on-chain, not sent again.

`test_pay_an_intent_in_tusd` reads like the demo: create, confirm, read the instructions, pay, wait, look.
"""

import datetime
import os
import sys
from collections.abc import Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, cast

import pytest
from ape import networks
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from hexbytes import HexBytes
from sqlalchemy import Engine, func, select
from web3 import Web3

from chain.artifacts import contract
from chain.client import make_web3
from chain.deploy import DeployConfig, deploy_all
from chain.deployments import Deployments
from chain.dev_accounts import dev_accounts
from chain.paths import PROJECT_ROOT
from chain.payment_router import PaymentRouter
from chain.transactions import send_call
from chain.treasury import CustodyTransfer, Treasury
from ledger.accounts import lookup_account
from ledger.check import verify
from payments.intents import intents, refunds
from payments.intents.context import Payments
from payments.intents.errors import InvalidRequest
from payments.intents.model import CaptureMethod, IntentStatus, PaymentIntent, RailKind, RefundStatus
from payments.intents.postings import clearing_account, merchant_account
from payments.merchants.tenant import Tenant
from payments.rails.stablecoin.config import StablecoinConfig, router_and_config
from payments.rails.stablecoin.custody_signer import CustodySigner
from payments.rails.stablecoin.instructions import instructions_for, intent_key
from payments.rails.stablecoin.payouts import (
    PayoutStatus,
    choose_transfer,
    open_payouts,
    refunds_by_custody_nonce,
)
from payments.rails.stablecoin.rail import StablecoinRail
from payments.rails.stablecoin.schema import stablecoin_payments
from payments.rails.stablecoin.settlement import WRONG_AMOUNT, WRONG_TOKEN, PaymentOutcome
from payments.rails.stablecoin.statement import PaidStatement
from payments.reconciliation.lines import LineKind
from relay.payments.payouts import PayoutWorker
from relay.payments.watcher import PaymentsWatcher
from scripts._support.anvil import AnvilConfig, AnvilNode, rpc_call
from scripts._support.processes import ManagedProcess, free_port
from tests.helpers.db import database_url, pg_url, sqlite_url  # noqa: F401  (fixtures)
from tests.helpers.frost_signing import fixed_key, sign_with_key
from tests.helpers.payout_tables import payout_engine

pytestmark = pytest.mark.devnet

NETWORK = "local"
CHAIN_ID = 31337
DEPTH = 3
MERCHANT = Tenant("mch_stablecoin_shop", livemode=False)
PAYER_TUSD = 10_000 * 10**6
PROCESS_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilNode]:
    """An anvil of this module's own: its tests revert and re-mine blocks, which no other test should see."""
    node = AnvilNode(AnvilConfig("coin", free_port(), CHAIN_ID), log_dir=tmp_path_factory.mktemp("anvil"))
    node.start()
    yield node
    node.stop()


@pytest.fixture(scope="module")
def registry_dir(
    anvil: AnvilNode, deploy_config: DeployConfig, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The deployment plan on the module's anvil, as the devnet deploys it (router included)."""
    directory = tmp_path_factory.mktemp("deployments")
    with networks.parse_network_choice("ethereum:local:foundry", provider_settings={"host": anvil.url}):
        deploy_all(NETWORK, deploy_config, directory)
    return directory


@pytest.fixture(scope="module")
def w3(anvil: AnvilNode) -> Web3:
    return make_web3(anvil.url)


@pytest.fixture(scope="module")
def rail_setup(w3: Web3, registry_dir: Path) -> tuple[PaymentRouter, StablecoinConfig]:
    return router_and_config(
        w3, Deployments.load(NETWORK, registry_dir), "PaymentRouter", "tUSD", "USD", False
    )


@pytest.fixture(scope="module")
def router(rail_setup: tuple[PaymentRouter, StablecoinConfig]) -> PaymentRouter:
    return rail_setup[0]


@pytest.fixture(scope="module")
def config(rail_setup: tuple[PaymentRouter, StablecoinConfig]) -> StablecoinConfig:
    return rail_setup[1]


@pytest.fixture(scope="module")
def treasury(w3: Web3, registry_dir: Path) -> Treasury:
    """The treasury refunds are paid back out of (its custody key: `fixed_key(7)`)."""
    return Treasury(w3, Deployments.load(NETWORK, registry_dir).get("MultisigTreasury").address)


@pytest.fixture(scope="module")
def payer(w3: Web3, config: StablecoinConfig) -> LocalAccount:
    """A wallet holding tUSD (dev account 5), minted by the deployer."""
    account = dev_accounts()[5]
    tusd = contract(w3, "Token", config.token)
    send_call(w3, dev_accounts()[0], tusd.functions.mint(account.address, PAYER_TUSD))
    return account


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:  # noqa: F811
    """The tables on this test's database, MERCHANT registered (its steps' events are written)."""
    with payout_engine(database_url, MERCHANT.merchant_id) as engine:
        yield engine


@pytest.fixture
def pay(engine: Engine, config: StablecoinConfig) -> Payments:
    return Payments(engine, {RailKind.STABLECOIN: StablecoinRail(config)})


@pytest.fixture
def watcher(w3: Web3, router: PaymentRouter, config: StablecoinConfig, engine: Engine) -> PaymentsWatcher:
    """A watcher reading from the current block on (earlier tests' payments are not this test's)."""
    return PaymentsWatcher(router, config, engine, start_block=int(w3.eth.block_number), confirmations=DEPTH)


def confirmed_intent(pay: Payments, amount: int) -> PaymentIntent:
    """A stablecoin intent of `amount` cents, confirmed: processing, waiting for its payment."""
    intent = intents.create(
        pay, MERCHANT, amount=amount, currency="USD", rail=RailKind.STABLECOIN, payment_method="pm_wallet"
    )
    return intents.confirm(pay, MERCHANT, intent.id)


def mine(anvil: AnvilNode, blocks: int) -> None:
    rpc_call(anvil.url, "anvil_mine", [hex(blocks)])


def merchant_posted(engine: Engine) -> int:
    account = lookup_account(engine, merchant_account("USD", False, MERCHANT.merchant_id).id)
    return 0 if account is None else account.balances.posted


def clearing_posted(engine: Engine) -> int:
    account = lookup_account(engine, clearing_account("USD", False, RailKind.STABLECOIN).id)
    return 0 if account is None else account.balances.posted


def pay_keeping_raw(
    w3: Web3, router: PaymentRouter, payer: LocalAccount, key: bytes, token: str, amount: int
) -> list[Any]:
    """Pay (approve, then pay: one block each on anvil) and return both signed transactions, to send them
    again into a chain that a revert took them out of (the payer's nonces then line up again)."""
    receipt = router.pay(payer, key, token, amount)
    approve_hash = cast(HexBytes, w3.eth.get_block(receipt["blockNumber"] - 1)["transactions"][0])
    return [w3.eth.get_raw_transaction(approve_hash), w3.eth.get_raw_transaction(receipt["transactionHash"])]


def recorded(engine: Engine) -> list[Any]:
    with engine.connect() as connection:
        return list(
            connection.execute(select(stablecoin_payments).order_by(stablecoin_payments.c.block_number))
        )


def test_pay_an_intent_in_tusd(
    anvil: AnvilNode,
    pay: Payments,
    engine: Engine,
    router: PaymentRouter,
    config: StablecoinConfig,
    payer: LocalAccount,
    watcher: PaymentsWatcher,
) -> None:
    intent = confirmed_intent(pay, 12_34)  # 12.34 USD
    assert intent.status is IntentStatus.PROCESSING
    how = instructions_for(config, intent.id, intent.amount)
    assert (how.router, how.token, how.token_amount) == (router.address, config.token, 12_340_000)
    assert bytes.fromhex(how.intent_key[2:]) == intent_key(intent.id)

    receipt = router.pay(payer, intent_key(intent.id), how.token, how.token_amount)
    mine(anvil, DEPTH - 1)  # the payment's block is not yet DEPTH deep
    assert watcher.run_once().outcomes == {}
    assert intents.retrieve(pay, MERCHANT, intent.id).status is IntentStatus.PROCESSING

    mine(anvil, 1)
    assert watcher.run_once().outcomes == {PaymentOutcome.SUCCEEDED: 1}
    done = intents.retrieve(pay, MERCHANT, intent.id)
    assert (done.status, done.amount_received) == (IntentStatus.SUCCEEDED, 12_34)
    assert merchant_posted(engine) == 12_34
    assert verify(engine) == []
    [row] = recorded(engine)
    assert (row.payment_intent_id, row.payer, row.token_amount) == (intent.id, payer.address, "12340000")
    assert (row.tx_hash, row.outcome) == ("0x" + bytes(receipt["transactionHash"]).hex(), "succeeded")


def test_manual_capture_is_refused_naming_the_field(pay: Payments) -> None:
    intent = intents.create(
        pay,
        MERCHANT,
        amount=1_00,
        currency="USD",
        rail=RailKind.STABLECOIN,
        capture_method=CaptureMethod.MANUAL,
        payment_method="pm_wallet",
    )
    with pytest.raises(InvalidRequest) as refused:
        intents.confirm(pay, MERCHANT, intent.id)
    assert refused.value.field == "capture_method"
    assert intents.retrieve(pay, MERCHANT, intent.id).status is IntentStatus.REQUIRES_CONFIRMATION


def test_pay_with_a_permit_in_one_transaction(
    anvil: AnvilNode,
    w3: Web3,
    pay: Payments,
    engine: Engine,
    router: PaymentRouter,
    config: StablecoinConfig,
    payer: LocalAccount,
    watcher: PaymentsWatcher,
) -> None:
    intent = confirmed_intent(pay, 5_00)
    deadline = int(w3.eth.get_block("latest")["timestamp"]) + 3_600
    router.pay_with_permit(payer, intent_key(intent.id), config.token, config.token_amount(5_00), deadline)
    mine(anvil, DEPTH)
    assert watcher.run_once().outcomes == {PaymentOutcome.SUCCEEDED: 1}
    assert intents.retrieve(pay, MERCHANT, intent.id).status is IntentStatus.SUCCEEDED
    assert verify(engine) == []


def test_an_underpayment_fails_the_intent_and_keeps_the_payer(
    anvil: AnvilNode,
    pay: Payments,
    engine: Engine,
    router: PaymentRouter,
    config: StablecoinConfig,
    payer: LocalAccount,
    watcher: PaymentsWatcher,
) -> None:
    intent = confirmed_intent(pay, 20_00)
    router.pay(payer, intent_key(intent.id), config.token, config.token_amount(20_00) - 1)
    mine(anvil, DEPTH)
    assert watcher.run_once().outcomes == {PaymentOutcome.REJECTED: 1}
    failed = intents.retrieve(pay, MERCHANT, intent.id)
    assert (failed.status, failed.last_payment_error) == (IntentStatus.FAILED, WRONG_AMOUNT)
    assert merchant_posted(engine) == 0
    [row] = recorded(engine)
    assert (row.outcome, row.payer, row.token_amount) == ("rejected", payer.address, str(20_000_000 - 1))
    assert verify(engine) == []


def test_the_wrong_token_fails_the_intent(
    anvil: AnvilNode,
    w3: Web3,
    registry_dir: Path,
    pay: Payments,
    router: PaymentRouter,
    payer: LocalAccount,
    watcher: PaymentsWatcher,
) -> None:
    deployer = dev_accounts()[0]
    tpw = Deployments.load(NETWORK, registry_dir).get("TPW").address
    send_call(w3, deployer, router.contract.functions.set_token_allowed(tpw, True))
    send_call(w3, deployer, contract(w3, "Token", tpw).functions.mint(payer.address, 10**20))
    intent = confirmed_intent(pay, 1_00)
    try:
        router.pay(payer, intent_key(intent.id), tpw, 1_000_000)
    finally:
        send_call(w3, deployer, router.contract.functions.set_token_allowed(tpw, False))
    mine(anvil, DEPTH)
    assert watcher.run_once().outcomes == {PaymentOutcome.REJECTED: 1}
    assert intents.retrieve(pay, MERCHANT, intent.id).last_payment_error == WRONG_TOKEN


def test_a_payment_for_no_waiting_intent_moves_nothing(
    anvil: AnvilNode,
    pay: Payments,
    engine: Engine,
    router: PaymentRouter,
    config: StablecoinConfig,
    payer: LocalAccount,
    watcher: PaymentsWatcher,
) -> None:
    unconfirmed = intents.create(
        pay, MERCHANT, amount=3_00, currency="USD", rail=RailKind.STABLECOIN, payment_method="pm_wallet"
    )
    router.pay(payer, intent_key(unconfirmed.id), config.token, config.token_amount(3_00))
    router.pay(payer, keccak(text=unconfirmed.id), config.token, 1)  # a key that names no intent
    mine(anvil, DEPTH)
    assert watcher.run_once().outcomes == {PaymentOutcome.UNMATCHED: 2}
    assert intents.retrieve(pay, MERCHANT, unconfirmed.id).status is IntentStatus.REQUIRES_CONFIRMATION
    assert [row.payment_intent_id for row in recorded(engine)] == [unconfirmed.id, None]
    assert merchant_posted(engine) == 0


def test_a_reorg_shallower_than_the_depth_is_never_seen(
    anvil: AnvilNode,
    w3: Web3,
    pay: Payments,
    engine: Engine,
    router: PaymentRouter,
    config: StablecoinConfig,
    payer: LocalAccount,
    watcher: PaymentsWatcher,
) -> None:
    """A payment mined, then reorged away before it was DEPTH deep, then paid again in the new chain: the
    watcher settles the new chain's payment only, once."""
    intent = confirmed_intent(pay, 7_00)
    snapshot = rpc_call(anvil.url, "evm_snapshot")
    sent = pay_keeping_raw(w3, router, payer, intent_key(intent.id), config.token, config.token_amount(7_00))
    mine(anvil, DEPTH - 2)
    assert watcher.run_once().outcomes == {}
    assert rpc_call(anvil.url, "evm_revert", [snapshot])
    mine(anvil, 1)  # the new chain differs from the old at the payment's height
    for raw in sent:
        w3.eth.send_raw_transaction(raw)
    mine(anvil, DEPTH)
    assert watcher.run_once().outcomes == {PaymentOutcome.SUCCEEDED: 1}
    assert watcher.run_once().outcomes == {}
    assert len(recorded(engine)) == 1
    assert merchant_posted(engine) == 7_00
    assert verify(engine) == []


def test_a_deeper_reorg_rewinds_and_moves_nothing_twice(
    anvil: AnvilNode,
    w3: Web3,
    pay: Payments,
    engine: Engine,
    router: PaymentRouter,
    config: StablecoinConfig,
    payer: LocalAccount,
    watcher: PaymentsWatcher,
) -> None:
    """The payment is settled; a reorg deeper than the depth replaces its blocks and the same transaction
    is mined again at another height: the cursor rewinds, reads it again and finds it recorded."""
    intent = confirmed_intent(pay, 9_00)
    snapshot = rpc_call(anvil.url, "evm_snapshot")
    sent = pay_keeping_raw(w3, router, payer, intent_key(intent.id), config.token, config.token_amount(9_00))
    mine(anvil, DEPTH)
    assert watcher.run_once().outcomes == {PaymentOutcome.SUCCEEDED: 1}
    assert rpc_call(anvil.url, "evm_revert", [snapshot])
    mine(anvil, 2)
    for raw in sent:
        w3.eth.send_raw_transaction(raw)
    mine(anvil, DEPTH + 2)
    report = watcher.run_once()
    assert (report.outcomes, report.already_recorded) == ({}, 1)
    assert len(recorded(engine)) == 1
    assert merchant_posted(engine) == 9_00
    assert clearing_posted(engine) == -9_00
    assert verify(engine) == []


def test_the_watcher_process_killed_and_restarted_settles_each_payment_once(
    anvil: AnvilNode,
    w3: Web3,
    registry_dir: Path,
    database_url: str,  # noqa: F811
    pay: Payments,
    engine: Engine,
    router: PaymentRouter,
    config: StablecoinConfig,
    payer: LocalAccount,
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "TPW_PAYMENTS_RPC_URL": anvil.url,
        "TPW_PAYMENTS_DEPLOYMENTS_NETWORK": NETWORK,
        "TPW_PAYMENTS_DEPLOYMENTS_DIR": str(registry_dir),
        "TPW_PAYMENTS_DATABASE_URL": database_url,
        "TPW_PAYMENTS_CONFIRMATIONS": "1",
        "TPW_PAYMENTS_POLL_INTERVAL_SECONDS": "0.2",
    }
    paid = [confirmed_intent(pay, 1_00 + index) for index in range(4)]
    ids = [intent.id for intent in paid]

    def settled() -> int:
        """This test's payments recorded (a fresh database's watcher also reads earlier tests' payments,
        which name no intent here)."""
        query = select(func.count()).where(stablecoin_payments.c.payment_intent_id.in_(ids))
        with engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def reached(count: int) -> bool:
        return settled() == count

    for round_number, batch in enumerate((paid[:2], paid[2:])):
        process = ManagedProcess(
            "payments-watcher",
            [sys.executable, "-m", "relay.payments"],
            log_path=tmp_path / f"watcher-{round_number}.log",
            env=env,
            cwd=PROJECT_ROOT,
        )
        process.start()
        try:
            for intent in batch:
                router.pay(payer, intent_key(intent.id), config.token, config.token_amount(intent.amount))
            mine(anvil, 1)
            expected = 2 * (round_number + 1)
            process.wait_ready(partial(reached, expected), timeout=PROCESS_TIMEOUT)
        finally:
            process.kill()  # SIGKILL: a crash, not a shutdown
        assert process.returncode == -9
    mine(anvil, 2)
    for intent in paid:
        assert intents.retrieve(pay, MERCHANT, intent.id).status is IntentStatus.SUCCEEDED
    assert settled() == 4
    assert merchant_posted(engine) == sum(intent.amount for intent in paid)
    assert verify(engine) == []


def test_the_days_paid_events_are_a_statement(
    anvil: AnvilNode,
    w3: Web3,
    engine: Engine,
    pay: Payments,
    router: PaymentRouter,
    config: StablecoinConfig,
    treasury: Treasury,
    payer: LocalAccount,
) -> None:
    intent = confirmed_intent(pay, 42_00)
    receipt = router.pay(payer, intent_key(intent.id), config.token, config.token_amount(42_00))
    block = w3.eth.get_block(receipt["blockNumber"])
    day = datetime.datetime.fromtimestamp(int(block["timestamp"]), datetime.UTC).date()
    statement = PaidStatement(router, config, treasury, partial(refunds_by_custody_nonce, engine))
    lines = [line for line in statement.lines(day) if line.reference == intent.id]
    [line] = lines
    assert (line.kind, line.amount, line.currency, line.booked_on) == (LineKind.PAYMENT, 42_00, "USD", day)
    assert (
        line.external_id == f"0x{bytes(receipt['transactionHash']).hex()}:{receipt['logs'][-1]['logIndex']}"
    )
    assert statement.lines(day + datetime.timedelta(days=1)) == []
    buried = replace(statement, confirmations=DEPTH).lines(day)
    assert intent.id not in {other.reference for other in buried}  # its block is not DEPTH deep yet
    # Half a cent is no intent's amount (the watcher takes none of it): rounded up, it is money the ledger
    # lacks, where rounding down would have made it vanish from the statement.
    stray = confirmed_intent(pay, 5_00)
    router.pay(payer, intent_key(stray.id), config.token, config.scale // 2)
    [half] = [line for line in statement.lines(day) if line.reference == stray.id]
    assert half.amount == 1


def test_a_payout_sent_before_a_crash_is_found_and_not_sent_again(
    anvil: AnvilNode,
    w3: Web3,
    engine: Engine,
    pay: Payments,
    router: PaymentRouter,
    config: StablecoinConfig,
    treasury: Treasury,
    payer: LocalAccount,
    watcher: PaymentsWatcher,
) -> None:
    """A payout worker chose and sent the refund's transfer, then died before recording it: the next run finds
    the nonce consumed by a transfer to the same payer of the same amount, takes it as the payout's, and
    completes the refund without asking the custody group for anything (its signer here reaches nobody).
    The day's statement lists the payout as the refund; a treasury transfer no payout chose is no refund."""
    tusd = contract(w3, "Token", config.token)
    intent = confirmed_intent(pay, 15_00)
    before = int(tusd.functions.balanceOf(payer.address).call())
    router.pay(payer, intent_key(intent.id), config.token, config.token_amount(15_00))
    mine(anvil, DEPTH)
    watcher.run_once()
    refunding = Payments(engine, {RailKind.STABLECOIN: StablecoinRail(config, refunds=True)})
    refund = refunds.refund(refunding, MERCHANT, intent.id)
    assert refund.status is RefundStatus.PENDING

    settled = Payments(engine, {})
    unreachable = CustodySigner("http://127.0.0.1:9", "no key", "treasury", CHAIN_ID, treasury.address, 1.0)
    worker = PayoutWorker(settled, config, treasury, unreachable, dev_accounts()[7], confirmations=DEPTH)
    [payout] = open_payouts(settled, config)
    assert (payout.to, payout.token_amount, payout.status) == (
        payer.address,
        15_000_000,
        PayoutStatus.SIGNING,
    )
    nonce = treasury.custody_nonce(config.token)
    deadline = int(w3.eth.get_block("latest")["timestamp"]) + 3_600
    payout = choose_transfer(settled, payout, nonce, deadline)
    transfer = CustodyTransfer(
        to=payer.address, token=config.token, amount=15_000_000, nonce=nonce, deadline=deadline
    )
    signature = sign_with_key(fixed_key(7), transfer.digest(CHAIN_ID, treasury.address)).onchain()
    sent = treasury.submit_with_custody(dev_accounts()[7], transfer, signature)  # then the worker died

    assert worker.run_once() == []  # found and recorded as sent, nothing signed or sent again
    mine(anvil, DEPTH)
    assert worker.run_once() == [refund.id]
    assert refunds.retrieve_refund(settled, MERCHANT, refund.id).status is RefundStatus.SUCCEEDED
    assert treasury.custody_nonce(config.token) == nonce + 1
    assert int(tusd.functions.balanceOf(payer.address).call()) == before
    assert open_payouts(settled, config) == []
    assert verify(engine) == []

    stray = replace(transfer, to=dev_accounts()[8].address, amount=1_000_000, nonce=nonce + 1)
    moved = treasury.submit_with_custody(
        dev_accounts()[7],
        stray,
        sign_with_key(fixed_key(7), stray.digest(CHAIN_ID, treasury.address)).onchain(),
    )
    assert [event.event for event in treasury.events(moved)] == ["CustodyTransferred"]  # made, not queued
    (transferred,) = treasury.events(sent)
    day = datetime.datetime.fromtimestamp(
        int(w3.eth.get_block(sent["blockNumber"])["timestamp"]), datetime.UTC
    ).date()
    statement = PaidStatement(router, config, treasury, partial(refunds_by_custody_nonce, engine))
    refund_lines = [line for line in statement.lines(day) if line.kind is LineKind.REFUND]
    [line] = [line for line in refund_lines if line.reference == refund.id]
    assert (line.amount, line.currency, line.external_id) == (
        15_00,
        "USD",
        f"{transferred.tx_hash}:{transferred.log_index}",
    )
    # only payouts this database chose are refunds: not the stray, nor another test's payout on this chain
    assert [line.reference for line in refund_lines] == [refund.id]
