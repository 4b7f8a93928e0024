"""The perpetual's trades through the settlement routes: a side of a TPW-PERP trade gets its proof, which
leads from its leaf (venue 2) to the batch root; a merchant who was no side, and the other mode, get 404."""

from fastapi.testclient import TestClient
from sqlalchemy import select

from chain.merkle import verify
from matching.settlement.batches import BatchPolicy, cut_batch
from matching.settlement.schema import settlement_trades
from tests.api.merchants.conftest import Caller, Onboarded, onboard
from tests.api.perps.conftest import Perp, order

CHAIN, ANCHOR = 31337, "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9"


def test_a_perpetual_trade_is_proven_to_its_sides_only(
    traders: tuple[Onboarded, Onboarded], perp: Perp, client: TestClient, admin: Caller
) -> None:
    a, b = traders
    assert a.sandbox.post("/v1/orders", order("buy", "2.5", "40")).status_code == 201
    assert b.sandbox.post("/v1/orders", order("sell", "2.5", "40", time_in_force="ioc")).status_code == 201
    database = perp(False).database
    with database.connect() as connection:
        (trade_id,) = connection.scalars(select(settlement_trades.c.id)).all()
    assert trade_id.startswith("perp:TPW-PERP.sandbox:")
    assert cut_batch(database, BatchPolicy(max_trades=10, max_age_us=0), CHAIN, ANCHOR) is not None
    for side in (a, b):
        answer = side.sandbox.get(f"/v1/settlement/trades/{trade_id}/proof")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["trade"]["price"], body["trade"]["qty"]) == ("25000", "4000")
        leaf, proof = bytes.fromhex(body["leaf"][2:]), [bytes.fromhex(node[2:]) for node in body["proof"]]
        assert verify(bytes.fromhex(body["root"][2:]), leaf, proof)
    outsider = onboard(client, admin, "Outsider Ltd")
    for caller in (outsider.sandbox, a.live):
        assert caller.get(f"/v1/settlement/trades/{trade_id}/proof").status_code == 404
