"""Settlement anchored on the devnet: trades placed through `/v1/orders`, batched, the root signed by a real
custody group (three node processes, each rebuilding the root from the batch's leaves) through the API's
coordinator, submitted to the deployed `SettlementAnchor` on anvil; the proof `/v1/settlement` returns is
what the contract's `verify` takes (true), and a tampered leaf is refused (false).

A trader's withdrawal is debited once (idempotent, refused beyond the balance) and paid once out of the
treasury by a custody-signed transfer, also after a crash between sending it and recording it.

A crash at every step of the anchorer (after the seq is chosen, after the transaction is sent, after it
is recorded) resumes to one anchor per batch, and so does the `python -m relay.settlement` process killed
with SIGKILL mid-flow: the contract's head moves by exactly one, and no trade is
lost or anchored twice. Nodes given leaves that do not make the claimed root refuse to sign.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from web3 import Web3

from api.app import create_app
from api.auth import issue_api_key
from api.db import make_engine
from api.orders.runtime import trader_of
from api.settings import ApiSettings
from chain.anchor import SettlementAnchor
from chain.artifacts import contract
from chain.client import make_web3
from chain.deployments import Deployments
from chain.dev_accounts import dev_accounts
from chain.intents import Anchor, CustodyTransfer
from chain.transactions import TransactionFailed, send_call
from chain.treasury import Treasury
from ledger.check import verify
from matching.engine import Kind, Place, Side
from matching.markets import TPW_TUSD
from matching.settlement import batches as batches_module
from matching.settlement.batches import BatchPolicy, unfinished
from matching.settlement.leaf import Venue
from matching.settlement.schema import settlement_batches, settlement_trades, settlement_withdrawals
from matching.spot.accounts import trader_account
from matching.spot.market import SpotMarket
from payments.merchants.tenant import Tenant
from payments.rails.custody_requests import SigningRefused, request_signature
from relay.payments.custody_transfers import CustodyTransfers
from relay.settlement import anchorer as anchorer_module
from relay.settlement import withdrawals as withdrawals_module
from relay.settlement.anchorer import Anchorer
from relay.settlement.withdrawals import WithdrawalWorker
from scripts._support.anvil import AnvilNode
from scripts._support.stack.deployments import node_policy
from scripts._support.stack.owners import owners_call
from tests.api.merchants.conftest import Onboarded
from tests.api.orders.conftest import Fund
from tests.api.perps.conftest import deposit
from tests.api.perps.conftest import order as perp_order
from tests.api.settlement.anchorer_process import anchorer_env, batches_in, start_anchorer
from tests.api.settlement.conftest import trade
from tests.devnet.conftest import deploy_config, deployments_dir, l1_anvil  # noqa: F401  (fixtures)
from tests.helpers.api_process import ApiProcess
from tests.helpers.custody_nodes import CustodyGroup
from tests.helpers.db import session_on
from tests.helpers.frost_signing import fixed_key
from tests.helpers.waiting import wait_until
from tests.matching.spot.ledger_view import balance
from tests.matching.spot.ledger_view import fund as fund_trader

pytestmark = pytest.mark.devnet

CHAIN_ID, KEY_ID, KIND = 31337, "treasury", 1
SETTLEMENT = "/v1/settlement"


@pytest.fixture(scope="module")
def registry(deployments_dir: Path) -> Deployments:  # noqa: F811
    return Deployments.load("local", deployments_dir)


@pytest.fixture(scope="module")
def group(tmp_path_factory: pytest.TempPathFactory, registry: Deployments) -> Iterator[CustodyGroup]:
    """Three node processes holding the key the contracts were deployed with, under the devnet's policy."""
    policy = node_policy(CHAIN_ID, registry, 600)
    with CustodyGroup(
        tmp_path_factory.mktemp("settlement-group"), {KEY_ID: fixed_key(7)}, size=3, policy_yaml=policy
    ) as group:
        group.start()
        yield group


@pytest.fixture
def settings(api_settings: ApiSettings, group: CustodyGroup, tmp_path: Path) -> ApiSettings:
    return api_settings.model_copy(
        update={
            "custody_roster_path": group.nodes[1].data_dir / "roster.json",
            "custody_tls_dir": group.root / "coordinator",
            "custody_audit_path": tmp_path / "custody" / "audit.jsonl",
        }
    )


@pytest.fixture
def app(settings: ApiSettings) -> FastAPI:
    return create_app(settings)


@pytest.fixture(scope="module")
def w3(l1_anvil: AnvilNode) -> Web3:  # noqa: F811
    return make_web3(l1_anvil.url)


@pytest.fixture(scope="module")
def anchor(w3: Web3, registry: Deployments) -> SettlementAnchor:
    deployment = registry.get("SettlementAnchor")
    return SettlementAnchor(w3, deployment.address, from_block=deployment.block_number)


@pytest.fixture
def signer_client(client: TestClient, settings: ApiSettings) -> TestClient:
    """The API as the anchorer calls it: a key with `custody:sign` only."""
    with session_on(settings.database_url) as session:
        token = issue_api_key(session, "anchorer", ("custody:sign",)).token
    client.headers["Authorization"] = f"Bearer {token}"
    return client


@pytest.fixture
def anchorer(engine: Engine, anchor: SettlementAnchor, signer_client: TestClient) -> Anchorer:
    def sign(intent: Anchor, leaves: dict[str, Any], key: str) -> tuple[int, int, int]:
        return request_signature(
            signer_client, KEY_ID, intent, CHAIN_ID, anchor.address, key, anchor_leaves=leaves
        )

    return Anchorer(engine, anchor, sign, dev_accounts()[6], BatchPolicy(max_trades=100, max_age_us=0))


def last_seq(anchor: SettlementAnchor) -> int:
    return int(anchor.contract.functions.head(KIND).call()[0])


def proof_of(merchant: Onboarded, trade_id: str) -> dict[str, Any]:
    answer = merchant.sandbox.get(f"{SETTLEMENT}/trades/{trade_id}/proof")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def verify_on_chain(anchor: SettlementAnchor, body: dict[str, Any], leaf: str | None = None) -> bool:
    proof = [bytes.fromhex(node[2:]) for node in body["proof"]]
    return anchor.verify(body["kind"], int(body["seq"]), bytes.fromhex((leaf or body["leaf"])[2:]), proof)


def test_a_batch_anchored_through_custody_verifies_on_chain(
    traded: list[str],
    merchant_a: Onboarded,
    merchant_b: Onboarded,
    anchorer: Anchorer,
    anchor: SettlementAnchor,
    engine: Engine,
) -> None:
    before = last_seq(anchor)
    assert anchorer.run_once() == 1
    assert last_seq(anchor) == before + 1
    for trade_id in traded:
        body = proof_of(merchant_a, trade_id)
        assert (body["batch"]["status"], body["seq"]) == ("anchored", str(before + 1))
        assert verify_on_chain(anchor, body)
        tampered = body["leaf"][:-1] + ("0" if body["leaf"][-1] != "0" else "1")
        assert not verify_on_chain(anchor, body, tampered)
    assert anchorer.run_once() == 0  # nothing waits: no batch, nothing sent

    # The next batch names the first one's root as prevRoot, and both still verify.
    more = trade(merchant_a, merchant_b, engine, ("1",))
    assert anchorer.run_once() == 1
    second = proof_of(merchant_b, more[0])
    assert second["batch"]["prev_root"] == proof_of(merchant_a, traded[0])["root"]
    assert verify_on_chain(anchor, second)
    assert verify_on_chain(anchor, proof_of(merchant_a, traded[1]))
    listed = merchant_a.sandbox.get(f"{SETTLEMENT}/batches").json()["data"]
    assert [(batch["id"], batch["status"], batch["count"]) for batch in listed] == [
        ("2", "anchored", 1),
        ("1", "anchored", 2),
    ]


def test_a_voided_anchor_s_trades_are_anchored_again_under_the_next_seq(
    traded: list[str],
    merchant_a: Onboarded,
    anchorer: Anchorer,
    anchor: SettlementAnchor,
    engine: Engine,
    w3: Web3,
    registry: Deployments,
) -> None:
    """The treasury owners void the batch's anchor inside its challenge window (their real 2-of-3 path):
    the next round marks the batch voided, cuts its trades again and anchors them as the next seq after
    the root the contract resumed from; a restarted anchorer reading the void again changes nothing."""
    assert anchorer.run_once() == 1
    first = proof_of(merchant_a, traded[0])
    seq = int(first["seq"])
    void = anchor.contract.functions.void(KIND, seq)
    owners_call(w3, registry.get("MultisigTreasury").address, void, dev_accounts()[8])
    assert anchor.is_voided(KIND, seq)
    assert not verify_on_chain(anchor, first)
    assert anchorer.run_once() == 1
    again = proof_of(merchant_a, traded[0])
    assert (int(again["seq"]), again["root"]) == (seq + 1, first["root"])  # the same trades, a new seq
    assert again["batch"]["prev_root"] == first["batch"]["prev_root"]  # where the contract resumed
    for trade_id in traded:
        assert verify_on_chain(anchor, proof_of(merchant_a, trade_id))
    listed = merchant_a.sandbox.get(f"{SETTLEMENT}/batches").json()["data"]
    assert [(batch["status"], batch["count"]) for batch in listed] == [("anchored", 2), ("voided", 2)]
    restarted = Anchorer(engine, anchor, anchorer.sign, dev_accounts()[6], anchorer.policy)
    assert restarted.run_once() == 0
    assert restarted.take_voids() == []
    with engine.connect() as connection:
        members = connection.execute(
            select(settlement_trades.c.batch_id).where(settlement_trades.c.id.in_(traded))
        ).scalars()
        assert set(members) == {int(listed[0]["id"])}


def test_a_perpetual_trade_verifies_on_chain(
    merchant_a: Onboarded,
    merchant_b: Onboarded,
    fund: Fund,
    client: TestClient,
    anchorer: Anchorer,
    anchor: SettlementAnchor,
    engine: Engine,
) -> None:
    """A TPW-PERP fill's leaf (venue 2) anchored and verified by the contract as a spot one is."""
    for merchant in (merchant_a, merchant_b):
        fund(merchant, False, 1, 10_000)
        assert deposit(merchant.sandbox, "1000").status_code == 201
    client.app.state.perp_markets.get(False).price_round(25_000)  # type: ignore[attr-defined]
    assert merchant_a.sandbox.post("/v1/orders", perp_order("buy", "2.5", "40")).status_code == 201
    taken = merchant_b.sandbox.post("/v1/orders", perp_order("sell", "2.5", "40", time_in_force="ioc"))
    assert taken.status_code == 201, taken.text
    with engine.connect() as connection:
        (trade_id,) = connection.scalars(
            select(settlement_trades.c.id).where(settlement_trades.c.venue == int(Venue.PERPETUAL))
        ).all()
    assert anchorer.run_once() == 1
    body = proof_of(merchant_b, trade_id)
    assert body["batch"]["status"] == "anchored"
    assert verify_on_chain(anchor, body)
    tampered = body["leaf"][:-1] + ("0" if body["leaf"][-1] != "0" else "1")
    assert not verify_on_chain(anchor, body, tampered)


def test_a_crash_at_each_step_resumes_to_one_anchor(
    traded: list[str],
    merchant_a: Onboarded,
    anchorer: Anchorer,
    anchor: SettlementAnchor,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = last_seq(anchor)
    sign = anchorer.sign

    # 1. killed after the seq was chosen, before the custody group answered
    def dies(*_: object) -> tuple[int, int, int]:
        raise KeyboardInterrupt("killed while signing")

    anchorer.sign = dies
    with pytest.raises(KeyboardInterrupt):
        anchorer.run_once()
    chosen = unfinished(engine)
    assert chosen is not None
    assert (chosen.status, chosen.anchor_seq) == ("signing", before + 1)
    anchorer.sign = sign

    # 2. killed right after the transaction was sent, before its hash was recorded
    submit = anchor.submit

    def sent_then_killed(*args: Any) -> Any:
        submit(*args)
        raise KeyboardInterrupt("killed after sending")

    monkeypatch.setattr(anchor, "submit", sent_then_killed)
    with pytest.raises(KeyboardInterrupt):
        anchorer.run_once()
    monkeypatch.undo()
    assert last_seq(anchor) == before + 1
    assert unfinished(engine) is not None  # the database does not know yet

    # the next round finds it on-chain: nothing signed or sent again
    anchorer.sign = dies
    assert anchorer.run_once() == 1
    assert last_seq(anchor) == before + 1
    anchorer.sign = sign
    assert verify_on_chain(anchor, proof_of(merchant_a, traded[0]))

    # 3. resubmitting the landed anchor is refused by the contract: a batch is anchored once
    batch = batches_module.load_batch(engine, 1)
    assert batch is not None
    intent = anchorer_module.batch_anchor(batch)
    leaves = anchorer_module.anchor_leaves(batches_module.batch_tree(engine, batch))
    signature = sign(intent, leaves, anchorer_module.request_key(batch))  # the same request: same signature
    with pytest.raises(TransactionFailed, match="already anchored"):
        anchor.submit(dev_accounts()[6], intent, signature)
    with engine.connect() as connection:  # one batch, and every trade in it
        assert connection.scalar(select(func.count()).select_from(settlement_batches)) == 1
        assert (
            connection.scalar(
                select(func.count())
                .select_from(settlement_trades)
                .where(settlement_trades.c.batch_id.is_(None))
            )
            == 0
        )


def test_a_crash_after_recording_the_transaction_resumes(
    traded: list[str],
    merchant_a: Onboarded,
    anchorer: Anchorer,
    anchor: SettlementAnchor,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = last_seq(anchor)

    def killed(*_: object, **__: object) -> None:
        raise KeyboardInterrupt("killed before the event was read back")

    monkeypatch.setattr(anchorer_module, "record_anchored", killed)
    with pytest.raises(KeyboardInterrupt):
        anchorer.run_once()
    monkeypatch.undo()
    batch = unfinished(engine)
    assert batch is not None
    assert batch.status == "submitted"
    assert batch.tx_hash is not None
    assert anchorer.run_once() == 1
    assert last_seq(anchor) == before + 1
    assert verify_on_chain(anchor, proof_of(merchant_a, traded[1]))


def test_nodes_refuse_leaves_that_do_not_make_the_root(
    traded: list[str], anchorer: Anchorer, anchor: SettlementAnchor, engine: Engine
) -> None:
    before = last_seq(anchor)
    sign = anchorer.sign

    def lying(intent: Anchor, leaves: dict[str, Any], key: str) -> tuple[int, int, int]:
        return sign(intent, {**leaves, "leaves": leaves["leaves"][:-1]}, key + ":lie")

    anchorer.sign = lying
    with pytest.raises(SigningRefused, match="refused"):
        anchorer.run_once()
    assert last_seq(anchor) == before
    anchorer.sign = sign
    assert anchorer.run_once() == 1
    assert last_seq(anchor) == before + 1


# -- withdrawals through the treasury's custody path ---------------------------------------------------

PAYEE = dev_accounts()[9].address


@pytest.fixture(scope="module")
def treasury(w3: Web3, registry: Deployments) -> Treasury:
    return Treasury(w3, registry.get("MultisigTreasury").address)


@pytest.fixture(scope="module")
def tusd(w3: Web3, registry: Deployments, treasury: Treasury) -> Any:
    """tUSD, 1,000 of it minted into the treasury the withdrawals are paid from."""
    token = contract(w3, "Token", registry.get("tUSD").address)
    send_call(w3, dev_accounts()[0], token.functions.mint(treasury.address, 1_000 * 10**6))
    return token


@dataclass
class ApiTransferSigner:
    """`CustodySigner`'s requests, sent to the in-process API."""

    client: TestClient
    treasury: str

    def sign(self, transfer: CustodyTransfer, request_key: str) -> tuple[int, int, int]:
        return request_signature(self.client, KEY_ID, transfer, CHAIN_ID, self.treasury, request_key)


@pytest.fixture
def worker(engine: Engine, treasury: Treasury, tusd: Any, signer_client: TestClient) -> WithdrawalWorker:
    signer = ApiTransferSigner(signer_client, treasury.address)
    transfers = CustodyTransfers(treasury, signer, dev_accounts()[6], confirmations=0)
    return WithdrawalWorker(engine, transfers, {"tUSD": tusd.address}, livemode=True)


def withdraw(merchant: Onboarded, amount: str, key: str) -> Any:
    return merchant.live.post(
        f"{SETTLEMENT}/withdrawals", {"currency": "tUSD", "amount": amount, "to": PAYEE}, idempotency_key=key
    )


def test_a_withdrawal_is_debited_once_and_paid_by_the_treasury_once(
    merchant_a: Onboarded,
    merchant_b: Onboarded,
    fund: Fund,
    engine: Engine,
    worker: WithdrawalWorker,
    tusd: Any,
    treasury: Treasury,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fund(merchant_a, True, 1, 100)  # 1 TPW and 100 tUSD of live exchange balance
    account = trader_account(trader_of(Tenant(merchant_a.id, True)), "QTU")
    payee_before = int(tusd.functions.balanceOf(PAYEE).call())
    nonce_before = treasury.custody_nonce(tusd.address)

    first = withdraw(merchant_a, "12.5", "wd-1")
    assert first.status_code == 201, first.text
    assert (first.json()["status"], first.json()["token_amount"]) == ("signing", "12500000")
    assert withdraw(merchant_a, "12.5", "wd-1").json() == first.json()  # the same key: the same one
    assert balance(engine, account) == 87_500_000
    too_much = withdraw(merchant_a, "87.500001", "wd-2")
    assert too_much.status_code == 422, too_much.text
    assert too_much.json()["type"].endswith("insufficient-funds")
    assert [error["field"] for error in too_much.json()["errors"]] == ["amount"]
    assert withdraw(merchant_a, "0.0000001", "wd-3").json()["errors"][0]["field"] == "amount"
    assert balance(engine, account) == 87_500_000

    fund(merchant_a, False, 1, 10)  # a sandbox balance: the live treasury never pays it
    paper = merchant_a.sandbox.post(
        f"{SETTLEMENT}/withdrawals", {"currency": "tUSD", "amount": "1", "to": PAYEE}, idempotency_key="wd-4"
    )
    assert paper.status_code == 201, paper.text
    path = f"{SETTLEMENT}/withdrawals/{first.json()['id']}"
    for outsider in (merchant_b.live, merchant_a.sandbox):
        assert outsider.get(path).status_code == 404

    # killed after the transfer was sent, before its hash was stored: found on-chain, not sent again
    def killed(*_: object) -> None:
        raise KeyboardInterrupt("killed after sending")

    monkeypatch.setattr(withdrawals_module, "record_sent", killed)
    with pytest.raises(KeyboardInterrupt):
        worker.run_once()
    monkeypatch.undo()
    assert worker.run_once() == []  # recorded as sent
    assert worker.run_once() == [first.json()["id"]]
    assert merchant_a.live.get(path).json()["status"] == "paid"
    assert int(tusd.functions.balanceOf(PAYEE).call()) == payee_before + 12_500_000
    assert treasury.custody_nonce(tusd.address) == nonce_before + 1
    assert worker.run_once() == []
    assert (
        merchant_a.sandbox.get(f"{SETTLEMENT}/withdrawals/{paper.json()['id']}").json()["status"] == "signing"
    )
    assert verify(engine) == []


def test_a_withdrawal_the_custody_policy_refuses_is_returned_and_holds_up_none_behind_it(
    merchant_a: Onboarded, fund: Fund, engine: Engine, worker: WithdrawalWorker, tusd: Any
) -> None:
    """Over the nodes' 10,000 tUSD per-transfer limit: refused by every node, so the worker marks it
    refused and gives the amount back in one transaction, once, and sends the next withdrawal in the same
    round instead of asking for the refused one again forever."""
    fund(merchant_a, True, 1, 20_000)
    account = trader_account(trader_of(Tenant(merchant_a.id, True)), "QTU")
    payee_before = int(tusd.functions.balanceOf(PAYEE).call())
    start = balance(engine, account)
    big = withdraw(merchant_a, "15000", "wd-big")
    small = withdraw(merchant_a, "2", "wd-small")
    assert (big.status_code, small.status_code) == (201, 201)
    assert balance(engine, account) == start - 15_002 * 10**6
    assert worker.run_once() == []  # the big one refused, the small one sent in the same round
    refused = merchant_a.live.get(f"{SETTLEMENT}/withdrawals/{big.json()['id']}").json()
    assert refused["status"] == "refused"
    assert balance(engine, account) == start - 2 * 10**6
    assert int(tusd.functions.balanceOf(PAYEE).call()) == payee_before + 2 * 10**6
    assert worker.run_once() == [small.json()["id"]]  # at zero confirmations: paid
    assert balance(engine, account) == start - 2 * 10**6  # returned once
    with engine.connect() as connection:
        reason = connection.execute(
            select(settlement_withdrawals.c.refusal).where(settlement_withdrawals.c.id == big.json()["id"])
        ).scalar_one()
    assert "refused" in str(reason)
    assert verify(engine) == []


# -- the anchorer process killed with SIGKILL ------------------------------------------------------------

KILLED_TRADES = 12


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_anchorer_process_killed_mid_flow_anchors_each_batch_once(
    tmp_path: Path,
    group: CustodyGroup,
    database_url: str,
    deployments_dir: Path,  # noqa: F811
    l1_anvil: AnvilNode,  # noqa: F811
    anchor: SettlementAnchor,
) -> None:
    """`python -m relay.settlement` anchoring batches of one trade against the API process, killed with
    SIGKILL twice mid-flow and restarted: every trade ends in exactly one batch, each batch anchored once
    (the contract's head moved by exactly the number of batches), and every proof verifies on-chain."""
    (tmp_path / "api").mkdir()
    with ApiProcess(tmp_path / "api", group, database_url) as api:
        engine = make_engine(database_url)
        spot = SpotMarket.open(TPW_TUSD, tmp_path / "book", engine)
        for trader in (1, 2):
            fund_trader(engine, TPW_TUSD, trader, tpw=1_000, tusd=100_000)
        for n in range(KILLED_TRADES):
            spot.place(Place(0, 2 * n + 1, 1, Side.BUY, Kind.LIMIT, 1, 200))
            spot.place(Place(0, 2 * n + 2, 2, Side.SELL, Kind.LIMIT, 1, 200))
        spot.close()
        env = anchorer_env(tmp_path, l1_anvil.url, deployments_dir, api, max_trades="1")
        before = last_seq(anchor)

        def anchored_at_least(count: int) -> Callable[[], bool]:
            return lambda: batches_in(engine, "anchored") >= count

        for target in (3, 7):  # killed once a few batches are through, wherever the next one stands
            process = start_anchorer(tmp_path, env)
            assert wait_until(anchored_at_least(target), 120, interval=0.02)
            process.kill()
        process = start_anchorer(tmp_path, env)
        assert wait_until(anchored_at_least(KILLED_TRADES), 180)
        process.stop()
        assert batches_in(engine, "anchored") == KILLED_TRADES, process.log_tail()
        assert last_seq(anchor) == before + KILLED_TRADES  # one anchor per batch, none twice
        with engine.connect() as connection:
            rows = connection.execute(select(settlement_trades)).all()
        assert len(rows) == KILLED_TRADES
        assert sorted(row._mapping["batch_id"] for row in rows) == list(range(1, KILLED_TRADES + 1))
        for batch_id in range(1, KILLED_TRADES + 1):
            batch = batches_module.load_batch(engine, batch_id)
            assert batch is not None
            assert batch.anchor_seq is not None
            tree = batches_module.batch_tree(engine, batch)
            assert anchor.verify(KIND, batch.anchor_seq, tree.leaves[0], [])
        engine.dispose()
