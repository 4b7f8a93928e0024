"""Off-market trade surveillance through `/v1/orders`: a stolen live key walks a trader's TPW down into an
accomplice's bids, each sale inside the pre-trade band of the last trade; the monitoring round alerts on
both sides (each naming the other) and freezes them, so the victim's next sale is refused."""

from fastapi.testclient import TestClient

from api.orders.runtime import trader_of
from api.settings import ApiSettings
from matching.spot.accounts import trader_owner
from payments.merchants.tenant import Tenant
from tests.api.merchants.conftest import Caller, Onboarded, onboard
from tests.api.monitoring.test_alerts import operator
from tests.api.orders.conftest import Fund
from tests.api.orders.test_routes import ORDERS, order


def _trade(maker: Caller, taker: Caller, taker_side: str, price: str, qty: str) -> None:
    maker_side = "sell" if taker_side == "buy" else "buy"
    resting = maker.post(ORDERS, order(maker_side, price, qty))
    assert resting.status_code == 201, resting.text
    taken = taker.post(ORDERS, order(taker_side, price, qty, time_in_force="ioc"))
    assert taken.status_code == 201, taken.text
    assert taken.json()["status"] == "filled", taken.text


def test_a_walk_down_dump_through_the_book_alerts_and_freezes_both_sides(
    client: TestClient,
    api_settings: ApiSettings,
    admin: Caller,
    merchant_a: Onboarded,
    merchant_b: Onboarded,
    fund: Fund,
) -> None:
    victim, accomplice = merchant_a, merchant_b
    honest = [onboard(client, admin, "Merchant C"), onboard(client, admin, "Merchant D")]
    for merchant in (victim, accomplice, *honest):
        fund(merchant, True, 1_000, 100_000)
    monitor = client.app.state.monitor  # type: ignore[attr-defined]
    for _ in range(3):  # the market: 100 tUSD a TPW between two honest traders
        _trade(honest[0].live, honest[1].live, "buy", "100", "10")
    assert monitor.run_once() == 0

    cents = 10_000
    for _ in range(4):  # each bid 9 % under the last trade: inside the +-10 % band (100 -> 68.55)
        cents = cents * 91 // 100
        _trade(accomplice.live, victim.live, "sell", f"{cents // 100}.{cents % 100:02d}", "20")
    assert monitor.run_once() == 2
    assert monitor.run_once() == 0

    reviewer = operator(client, api_settings, "monitoring:read")
    listed = reviewer.get("/alerts", status="open")
    assert listed.status_code == 200, listed.text
    found = {alert["subject_id"]: alert for alert in listed.json()["data"]}
    victim_owner = trader_owner(trader_of(Tenant(victim.id, True)))
    accomplice_owner = trader_owner(trader_of(Tenant(accomplice.id, True)))
    assert sorted(found) == sorted([victim_owner, accomplice_owner])
    assert found[victim_owner]["check"] == "off_market_trade"
    assert found[victim_owner]["details"]["counterparty"] == accomplice_owner
    assert found[accomplice_owner]["details"]["counterparty"] == victim_owner
    assert found[victim_owner]["holds"]
    assert found[accomplice_owner]["holds"]

    # Frozen: the stolen key cannot sell what is left, and the accomplice cannot buy with its gain.
    for caller, side in ((victim.live, "sell"), (accomplice.live, "buy")):
        refused = caller.post(ORDERS, order(side, "68.55", "1"))
        assert (refused.status_code, refused.json()["code"]) == (422, "exceeds_credits"), refused.text
