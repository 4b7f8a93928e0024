"""`/v1/settlement`: batches listed newest first, a trade's proof leading to its batch's root; outsiders
(no key, a key without `orders:read`, a merchant who was no side, the other mode) refused; bad ids 422."""

from typing import Any

import pytest
from sqlalchemy import Engine

from chain.merkle import verify
from matching.settlement.batches import BatchPolicy, choose_anchor, cut_batch, record_anchored
from tests.api.merchants.conftest import Caller, Onboarded, onboard

SETTLEMENT = "/v1/settlement"
CHAIN, ANCHOR = 31337, "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9"


def cut(engine: Engine, size: int) -> None:
    assert cut_batch(engine, BatchPolicy(max_trades=size, max_age_us=0), CHAIN, ANCHOR) is not None


def test_a_sides_proof_leads_from_its_leaf_to_the_batch_root(
    traded: list[str], merchant_a: Onboarded, merchant_b: Onboarded, engine: Engine
) -> None:
    assert [trade.rsplit(":", 2)[0] for trade in traded] == ["spot:TPW-tUSD.sandbox"] * 2
    waiting = merchant_a.sandbox.get(f"{SETTLEMENT}/trades/{traded[0]}/proof")
    assert waiting.status_code == 409, waiting.text
    assert waiting.json()["type"].endswith("trade-not-batched")
    cut(engine, 2)
    for side in (merchant_a, merchant_b):
        answer = side.sandbox.get(f"{SETTLEMENT}/trades/{traded[1]}/proof")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["trade"]["qty"] == "4"
        assert (body["trade"]["price"], body["trade"]["buyer_fee"]) == (
            "250",
            "10000",
        )  # maker: 10 bps of 10 tUSD
        assert (body["kind"], body["seq"], body["batch"]["status"]) == (1, None, "cut")
        leaf, proof = bytes.fromhex(body["leaf"][2:]), [bytes.fromhex(node[2:]) for node in body["proof"]]
        assert verify(bytes.fromhex(body["root"][2:]), leaf, proof)
        assert body["root"] == body["batch"]["root"]


def test_batches_are_listed_newest_first_in_pages(
    traded: list[str], merchant_a: Onboarded, engine: Engine
) -> None:
    cut(engine, 1)
    choose_anchor(engine, 1, 1, bytes(32))  # batch 1 anchored, so batch 2 may be cut
    record_anchored(engine, 1, "0x" + "ab" * 32, 7)
    cut(engine, 1)
    first = merchant_a.sandbox.get(f"{SETTLEMENT}/batches?limit=1")
    assert first.status_code == 200, first.text
    assert [(batch["id"], batch["status"]) for batch in first.json()["data"]] == [("2", "cut")]
    assert first.json()["has_more"]
    rest = merchant_a.sandbox.get(f"{SETTLEMENT}/batches?limit=1&cursor={first.json()['next_cursor']}").json()
    assert [(batch["id"], batch["anchor_seq"]) for batch in rest["data"]] == [("1", "1")]
    assert not rest["has_more"]


def test_outsiders_get_401_403_or_404(
    traded: list[str], merchant_a: Onboarded, client: Any, admin: Caller, operator: Any, engine: Engine
) -> None:
    cut(engine, 2)
    path = f"{SETTLEMENT}/trades/{traded[0]}/proof"
    stranger = onboard(client, admin, "Merchant C")
    for outsider in (stranger.sandbox, stranger.live, merchant_a.live):
        answer = outsider.get(path)
        assert answer.status_code == 404, answer.text
        assert answer.json()["type"].endswith("trade-not-found")
    assert Caller(client, None).get(path).status_code == 401
    assert Caller(client, None).get(f"{SETTLEMENT}/batches").status_code == 401
    desk = operator("merchants:admin")  # an operator's key: no merchant, no `orders:read`
    assert desk.get(path).status_code == 403
    assert desk.get(f"{SETTLEMENT}/batches").status_code == 403
    assert merchant_a.sandbox.get(f"{SETTLEMENT}/trades/spot:TPW-tUSD.sandbox:999:0/proof").status_code == 404


@pytest.mark.parametrize(
    "trade_id", ["spot:TPW-tUSD", "swap:TPW-tUSD:1:0", "spot:TPW/tUSD:1:0", "spot:x:1:-1"]
)
def test_a_malformed_trade_id_is_422_naming_it(merchant_a: Onboarded, trade_id: str) -> None:
    answer = merchant_a.sandbox.get(f"{SETTLEMENT}/trades/{trade_id}/proof")
    assert answer.status_code in (404, 422), answer.text
    if answer.status_code == 422:
        assert [error["field"] for error in answer.json()["errors"]] == ["trade_id"]
    else:  # a '/' splits the path: no such route
        assert "/" in trade_id


def test_a_bad_cursor_or_limit_is_4xx_naming_it(merchant_a: Onboarded) -> None:
    bad_cursor = merchant_a.sandbox.get(f"{SETTLEMENT}/batches?cursor=nonsense")
    assert bad_cursor.status_code == 400
    assert bad_cursor.json()["errors"][0]["field"] == "cursor"
    bad_limit = merchant_a.sandbox.get(f"{SETTLEMENT}/batches?limit=0")
    assert bad_limit.status_code == 422
    assert bad_limit.json()["errors"][0]["field"] == "limit"


def test_withdrawals_refuse_outsiders_and_name_bad_fields(
    merchant_a: Onboarded, client: Any, operator: Any, fund: Any
) -> None:
    payee = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"
    body = {"currency": "tUSD", "amount": "1", "to": payee}
    assert Caller(client, None).post(f"{SETTLEMENT}/withdrawals", body).status_code == 401
    desk = operator("merchants:admin")
    assert desk.post(f"{SETTLEMENT}/withdrawals", body).status_code == 403
    assert desk.get(f"{SETTLEMENT}/withdrawals/wd_{'0' * 24}").status_code == 403
    assert merchant_a.sandbox.get(f"{SETTLEMENT}/withdrawals/wd_{'0' * 24}").status_code == 404
    for field, value in (
        ("to", payee.lower()),
        ("currency", "BTC"),
        ("amount", "-1"),
        ("amount", "1.0000001"),
    ):
        answer = merchant_a.sandbox.post(f"{SETTLEMENT}/withdrawals", {**body, field: value})
        assert answer.status_code == 422, answer.text
        assert [error["field"] for error in answer.json()["errors"]] == [field]
    unfunded = merchant_a.sandbox.post(f"{SETTLEMENT}/withdrawals", body)  # no balance at all
    assert unfunded.status_code == 422
    assert unfunded.json()["type"].endswith("insufficient-funds")
    fund(merchant_a, False, 1, 5)
    paid_in = merchant_a.sandbox.post(f"{SETTLEMENT}/withdrawals", {**body, "amount": "5"})
    assert paid_in.status_code == 201, paid_in.text
    assert (paid_in.json()["amount"], paid_in.json()["status"]) == ("5", "signing")
    assert merchant_a.sandbox.post(f"{SETTLEMENT}/withdrawals", body).status_code == 422  # all of it is out
