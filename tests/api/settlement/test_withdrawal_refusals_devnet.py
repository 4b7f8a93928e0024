"""Settlement withdrawals the custody group's policy refuses (over the nodes' 10,000 tUSD per-transfer
limit), under faults, on the devnet with real signer nodes: two withdrawal workers meeting the same refusal
at once return the amount once; `python -m relay.settlement` killed with SIGKILL right after a refusal (and
again once the next withdrawal is sent) and restarted returns it once, pays the others once each, and uses
one treasury nonce per payment."""

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from api.db import make_engine
from api.orders.runtime import trader_of
from chain.treasury import Treasury
from ledger.check import verify
from ledger.schema import transfers
from matching.markets import TPW_TUSD
from matching.settlement.withdrawals import find_withdrawal, request_withdrawal
from matching.spot.accounts import trader_account
from payments.merchants.tenant import Tenant
from relay.settlement import withdrawals as withdrawals_module
from relay.settlement.withdrawals import WithdrawalWorker
from scripts._support.anvil import AnvilNode
from tests.api.merchants.conftest import Onboarded
from tests.api.orders.conftest import Fund
from tests.api.settlement.anchorer_process import anchorer_env, start_anchorer
from tests.api.settlement.test_anchor_devnet import (  # noqa: F401  (fixtures)
    PAYEE,
    app,
    group,
    registry,
    settings,
    signer_client,
    treasury,
    tusd,
    w3,
    withdraw,
    worker,
)
from tests.devnet.conftest import deploy_config, deployments_dir, l1_anvil  # noqa: F401  (fixtures)
from tests.helpers.api_process import ApiProcess
from tests.helpers.custody_nodes import CustodyGroup
from tests.helpers.threads import meet_at
from tests.helpers.waiting import wait_until
from tests.matching.spot.ledger_view import balance
from tests.matching.spot.ledger_view import fund as fund_trader

pytestmark = pytest.mark.devnet

TUSD = 10**6  # ledger units (and tUSD base units) in one tUSD


def returns_of(engine: Engine, withdrawal_id: str) -> int:
    """How many ledger transfers gave the withdrawal's amount back to its trader."""
    with engine.connect() as connection:
        count = connection.scalar(
            select(func.count())
            .select_from(transfers)
            .where(transfers.c.reference == f"withdrawal:{withdrawal_id}:returned")
        )
    return int(count or 0)


def test_two_workers_meeting_the_same_refusal_return_it_once(
    merchant_a: Onboarded,
    fund: Fund,
    engine: Engine,
    worker: WithdrawalWorker,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first worker is refused by the nodes and held at a barrier just before `record_refused`; the
    second asks under the same Idempotency-Key, gets the same final refusal and meets it there: both record
    at once, one does it, the other finds it done; the amount comes back once."""
    fund(merchant_a, True, 1, 20_000)
    account = trader_account(trader_of(Tenant(merchant_a.id, True)), "QTU")
    start = balance(engine, account)
    big = withdraw(merchant_a, "15000", "wd-twice")
    assert big.status_code == 201, big.text
    second = WithdrawalWorker(engine, worker.transfers, worker.tokens, livemode=True)
    recorded = meet_at(monkeypatch, withdrawals_module, "record_refused", worker.run_once, second.run_once)
    assert sorted(recorded) == [False, True]
    assert merchant_a.live.get(f"/v1/settlement/withdrawals/{big.json()['id']}").json()["status"] == "refused"
    assert balance(engine, account) == start  # returned once
    assert returns_of(engine, big.json()["id"]) == 1
    assert verify(engine) == []


@pytest.mark.slow
def test_the_process_killed_after_a_refusal_returns_it_once_and_pays_the_rest_once(
    tmp_path: Path,
    group: CustodyGroup,  # noqa: F811
    database_url: str,
    deployments_dir: Path,  # noqa: F811
    l1_anvil: AnvilNode,  # noqa: F811
    treasury: Treasury,  # noqa: F811
    tusd: Any,  # noqa: F811
) -> None:
    (tmp_path / "api").mkdir()
    with ApiProcess(tmp_path / "api", group, database_url) as api:
        engine = make_engine(database_url)
        trader = trader_of(Tenant("mch_refusal_kill", True))
        fund_trader(engine, TPW_TUSD, trader, tpw=1, tusd=20_000)
        account = trader_account(trader, "QTU")
        start = balance(engine, account)
        payee_before = int(tusd.functions.balanceOf(PAYEE).call())
        nonce_before = treasury.custody_nonce(tusd.address)

        def request(amount: int) -> str:
            with engine.begin() as connection:
                made = request_withdrawal(
                    connection, "mch_refusal_kill", True, trader, "tUSD", amount * TUSD, PAYEE
                )
            return made.id

        def status(withdrawal_id: str) -> str | None:
            found = find_withdrawal(engine, withdrawal_id)
            return None if found is None else found.status

        big, small = request(15_000), request(2)
        env = anchorer_env(tmp_path, l1_anvil.url, deployments_dir, api, livemode="true")
        process = start_anchorer(tmp_path, env)
        assert wait_until(lambda: status(big) == "refused", 120, interval=0.01), process.log_tail()
        process.kill()  # right after the refusal, before or while the next withdrawal is sent
        later = request(3)
        process = start_anchorer(tmp_path, env)
        assert wait_until(lambda: status(small) in ("sent", "paid"), 120, interval=0.01), process.log_tail()
        process.kill()
        process = start_anchorer(tmp_path, env)
        assert wait_until(lambda: status(small) == status(later) == "paid", 120), process.log_tail()
        process.stop()

        assert status(big) == "refused"
        assert returns_of(engine, big) == 1
        assert balance(engine, account) == start - 5 * TUSD  # the refused 15,000 back once, 2 + 3 paid
        assert int(tusd.functions.balanceOf(PAYEE).call()) == payee_before + 5 * TUSD
        assert treasury.custody_nonce(tusd.address) == nonce_before + 2  # one transfer each, none again
        assert verify(engine) == []
        engine.dispose()
