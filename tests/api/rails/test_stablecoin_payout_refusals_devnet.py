"""A stablecoin refund payout the custody group's policy refuses, on the devnet: three real signer nodes
whose policy allows treasury transfers only to an allowlisted address, the API's coordinator asking them,
a refund paid back to a payer not on that list. The refusal is final: the payout becomes `refused`, its
refund failed with the amount back on the merchant's balance and a `refund.updated` event, once, in one
transaction; the payout behind it is sent in the same round. Two workers meeting the same refusal at once
return it once. (An amount over the nodes' per-transfer limit would do as well, but the monitoring's surge
rule, 5,000 USD an hour, would freeze such a refund before it ever reached the nodes.)"""

import json
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from sqlalchemy import Engine, insert, select
from web3 import Web3

from api.db import make_engine
from api.settings import ApiSettings
from chain.artifacts import contract
from chain.deployments import Deployments
from chain.dev_accounts import dev_accounts
from chain.payment_router import PaymentRouter
from chain.transactions import send_call
from chain.treasury import Treasury
from custody.policy.builder import asset_limits, with_custody_transfers
from ledger.accounts import lookup_account
from ledger.check import verify
from payments.intents import intents, refunds
from payments.intents.context import Payments
from payments.intents.model import RailKind, RefundStatus
from payments.intents.postings import merchant_account
from payments.merchants.schema import merchants
from payments.merchants.tenant import Tenant
from payments.rails.stablecoin.config import StablecoinConfig, router_and_config
from payments.rails.stablecoin.instructions import intent_key
from payments.rails.stablecoin.payouts import PayoutStatus, open_payouts
from payments.rails.stablecoin.rail import StablecoinRail
from payments.rails.stablecoin.schema import stablecoin_payouts
from payments.webhooks.schema import events
from relay.payments import payouts as payouts_module
from relay.payments.payouts import PayoutWorker
from relay.payments.watcher import PaymentsWatcher
from scripts._support.stack.deployments import devnet_policy
from tests.api.settlement.test_anchor_devnet import (  # noqa: F401  (fixtures)
    CHAIN_ID,
    KEY_ID,
    ApiTransferSigner,
    app,
    registry,
    settings,
    signer_client,
    treasury,
    w3,
)
from tests.devnet.conftest import deploy_config, deployments_dir, l1_anvil  # noqa: F401  (fixtures)
from tests.helpers.custody_nodes import CustodyGroup
from tests.helpers.frost_signing import fixed_key
from tests.helpers.threads import meet_at
from tests.payments.webhooks.conftest import merchant_row

pytestmark = pytest.mark.devnet

MERCHANT = Tenant("mch_payout_refusals", livemode=False)
ALLOWED, REFUSED = dev_accounts()[9], dev_accounts()[5]
"""The one address the nodes let the treasury pay, and a payer they do not."""


@pytest.fixture(scope="module")
def group(
    tmp_path_factory: pytest.TempPathFactory,
    registry: Deployments,  # noqa: F811
) -> Iterator[CustodyGroup]:
    """Three node processes holding the treasury's key, allowing tUSD transfers to `ALLOWED` only."""
    policy = with_custody_transfers(
        devnet_policy(CHAIN_ID, registry.get("SettlementAnchor").address),
        chain_id=CHAIN_ID,
        treasury=registry.get("MultisigTreasury").address,
        assets={registry.get("tUSD").address: asset_limits(10_000 * 10**6, 50_000 * 10**6)},
        destinations=[ALLOWED.address],
    )
    with CustodyGroup(
        tmp_path_factory.mktemp("refusals-group"), {KEY_ID: fixed_key(7)}, size=3, policy_yaml=policy
    ) as group:
        group.start()
        yield group


@pytest.fixture(scope="module")
def rail(w3: Web3, registry: Deployments) -> tuple[PaymentRouter, StablecoinConfig]:  # noqa: F811
    router, config = router_and_config(w3, registry, "PaymentRouter", "tUSD", "USD", False)
    tusd = contract(w3, "Token", config.token)
    minter = dev_accounts()[0]
    for payer in (ALLOWED, REFUSED):
        send_call(w3, minter, tusd.functions.mint(payer.address, 100 * 10**6))
    send_call(w3, minter, tusd.functions.mint(registry.get("MultisigTreasury").address, 100 * 10**6))
    return router, config


@pytest.fixture
def engine(api_settings: ApiSettings) -> Iterator[Engine]:
    """The API's database, `MERCHANT` registered (its refunds' events are written)."""
    engine = make_engine(api_settings.database_url)
    with engine.begin() as connection:
        connection.execute(insert(merchants), merchant_row(MERCHANT.merchant_id))
    yield engine
    engine.dispose()


def paid_intent(
    w3: Web3,  # noqa: F811
    engine: Engine,
    rail: tuple[PaymentRouter, StablecoinConfig],
    payer: LocalAccount,
    cents: int,
) -> str:
    """A stablecoin intent of `cents` paid through the router by `payer`, read by the watcher: its id."""
    router, config = rail
    pay = Payments(engine, {RailKind.STABLECOIN: StablecoinRail(config)})
    start = int(w3.eth.block_number) + 1
    intent = intents.create(
        pay, MERCHANT, amount=cents, currency="USD", rail=RailKind.STABLECOIN, payment_method="pm_wallet"
    )
    intents.confirm(pay, MERCHANT, intent.id)
    router.pay(payer, intent_key(intent.id), config.token, config.token_amount(cents))
    PaymentsWatcher(router, config, engine, start_block=start, confirmations=0).run_once()
    return intent.id


def refund(engine: Engine, config: StablecoinConfig, intent_id: str) -> str:
    refunding = Payments(engine, {RailKind.STABLECOIN: StablecoinRail(config, refunds=True)})
    made = refunds.refund(refunding, MERCHANT, intent_id)
    assert made.status is RefundStatus.PENDING
    return made.id


def merchant_balance(engine: Engine) -> int:
    """The merchant's available USD balance: posted, less what pending refunds hold."""
    account = lookup_account(engine, merchant_account("USD", False, MERCHANT.merchant_id).id)
    assert account is not None
    return account.balances.available


def refund_events(engine: Engine, refund_id: str) -> list[dict[str, Any]]:
    """The refunds as the `refund.updated` events announced for `refund_id` carry them, oldest first."""
    with engine.connect() as connection:
        bodies = connection.scalars(
            select(events.c.body).where(events.c.type == "refund.updated").order_by(events.c.created_at)
        ).all()
    found = [json.loads(body)["data"]["object"] for body in bodies]
    return [refund for refund in found if refund["id"] == refund_id]


def worker(
    engine: Engine,
    config: StablecoinConfig,
    treasury: Treasury,  # noqa: F811
    signer_client: Any,  # noqa: F811
) -> PayoutWorker:
    signer = ApiTransferSigner(signer_client, treasury.address)
    return PayoutWorker(Payments(engine, {}), config, treasury, signer, dev_accounts()[6], confirmations=0)


def payout_row(engine: Engine, refund_id: str) -> Any:
    with engine.connect() as connection:
        return connection.execute(
            select(stablecoin_payouts).where(stablecoin_payouts.c.refund_id == refund_id)
        ).one()


def test_a_refused_refund_payout_fails_its_refund_once_and_holds_up_none_behind_it(
    w3: Web3,  # noqa: F811
    engine: Engine,
    rail: tuple[PaymentRouter, StablecoinConfig],
    treasury: Treasury,  # noqa: F811
    signer_client: Any,  # noqa: F811
) -> None:
    _, config = rail
    tusd = contract(w3, "Token", config.token)
    refused_intent = paid_intent(w3, engine, rail, REFUSED, 12_00)
    allowed_intent = paid_intent(w3, engine, rail, ALLOWED, 3_00)
    paid_in = merchant_balance(engine)
    refused = refund(engine, config, refused_intent)  # older: first in the payout queue
    allowed = refund(engine, config, allowed_intent)
    held = merchant_balance(engine)
    assert held < paid_in
    refused_before = int(tusd.functions.balanceOf(REFUSED.address).call())
    allowed_before = int(tusd.functions.balanceOf(ALLOWED.address).call())
    nonce = treasury.custody_nonce(config.token)

    payouts = worker(engine, config, treasury, signer_client)
    assert payouts.run_once() == []  # the first refused, the second sent in the same round
    assert payouts.run_once() == [allowed]  # zero confirmations: paid
    assert payouts.run_once() == []

    row = payout_row(engine, refused)
    assert row.status == PayoutStatus.REFUSED
    assert "refused" in str(row.refusal)
    assert refunds.retrieve_refund(Payments(engine, {}), MERCHANT, refused).status is RefundStatus.FAILED
    assert refunds.retrieve_refund(Payments(engine, {}), MERCHANT, allowed).status is RefundStatus.SUCCEEDED
    assert [body["status"] for body in refund_events(engine, refused)] == ["failed"]
    # the refused refund's 12.00 back on the merchant's balance, the paid 3.00 gone from it
    assert merchant_balance(engine) == paid_in - 3_00
    assert int(tusd.functions.balanceOf(REFUSED.address).call()) == refused_before
    assert int(tusd.functions.balanceOf(ALLOWED.address).call()) == allowed_before + 3 * 10**6
    assert treasury.custody_nonce(config.token) == nonce + 1  # the refused one used no nonce
    assert [payout.refund_id for payout in open_payouts(Payments(engine, {}), config)] == []
    assert verify(engine) == []


def test_two_workers_meeting_the_same_refusal_return_it_once(
    w3: Web3,  # noqa: F811
    engine: Engine,
    rail: tuple[PaymentRouter, StablecoinConfig],
    treasury: Treasury,  # noqa: F811
    signer_client: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Both workers are refused (the second's sign request answered with the first's refusal: the same
    Idempotency-Key) and both record it at the same moment, held at a barrier just before `record_refused`:
    one records it, the other finds it done; the refund fails and its amount returns once."""
    _, config = rail
    refused = refund(engine, config, paid_intent(w3, engine, rail, REFUSED, 7_00))
    paid_in = merchant_balance(engine) + 7_00  # as before the refund held its amount
    workers = [worker(engine, config, treasury, signer_client) for _ in range(2)]
    # the first asks the nodes; the second asks once the refusal is final (no request in flight)
    recorded = meet_at(
        monkeypatch, payouts_module, "record_refused", workers[0].run_once, workers[1].run_once
    )
    assert sorted(recorded) == [False, True]
    assert payout_row(engine, refused).status == PayoutStatus.REFUSED
    assert refunds.retrieve_refund(Payments(engine, {}), MERCHANT, refused).status is RefundStatus.FAILED
    assert merchant_balance(engine) == paid_in
    assert len(refund_events(engine, refused)) == 1
    assert verify(engine) == []
