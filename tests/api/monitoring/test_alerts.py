"""`/v1/monitoring` end to end: a burst of ledger transfers by one customer raises a frequency alert whose
freeze makes the next outgoing transfer fail for insufficient available funds; an operator lists it and
releases it, and the balance comes back exactly. Then every refusal, and every outsider."""

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import SCOPES, Scope
from api.settings import ApiSettings
from risk.engine.errors import RuleFileError
from risk.monitoring import alerts
from risk.monitoring.checks import Check, Finding
from tests.api.ledger.conftest import LedgerApi, OpenAccount, issue
from tests.api.merchants.conftest import Caller, onboard
from tests.risk.monitoring.conftest import CONFIG_DIR, Clock

UNKNOWN = "mal_" + "0" * 24


class Operator:
    def __init__(self, client: TestClient, token: str | None) -> None:
        self.client = client
        self.headers = {} if token is None else {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get("/v1/monitoring" + path, headers=self.headers, params=params or None)

    def post(self, path: str, body: Any, *, key: str | None = None) -> httpx.Response:
        headers = {**self.headers, "Idempotency-Key": key or str(uuid.uuid4())}
        return self.client.post("/v1/monitoring" + path, json=body, headers=headers)


def operator(client: TestClient, settings: ApiSettings, *scopes: Scope) -> Operator:
    return Operator(client, issue(settings, *scopes))


@pytest.fixture
def burst(app: FastAPI, api: LedgerApi, open_account: OpenAccount, clock: Clock) -> tuple[str, str]:
    """A customer holding 100,000 who sent ten transfers in a row, and the round that saw them: frozen."""
    bank, customer, shop = open_account(), open_account(limited=True, owner_id="cus-burst"), open_account()
    fund = {"debit_account_id": bank, "credit_account_id": customer, "amount": "100000", "currency": "EUR"}
    assert api.post("/transfers", fund).status_code == 201
    for _ in range(10):
        pay = {"debit_account_id": customer, "credit_account_id": shop, "amount": "100", "currency": "EUR"}
        assert api.post("/transfers", pay).status_code == 201
    assert app.state.monitor.run_once() == 1
    return customer, shop


def _available(api: LedgerApi, account: str) -> str:
    balance: str = api.get(f"/accounts/{account}").json()["balances"]["available"]
    return balance


def test_a_burst_freezes_the_customer_and_a_release_restores_it(
    client: TestClient, api_settings: ApiSettings, api: LedgerApi, burst: tuple[str, str], clock: Clock
) -> None:
    customer, shop = burst
    assert _available(api, customer) == "0"
    refused = api.post(
        "/transfers",
        {"debit_account_id": customer, "credit_account_id": shop, "amount": "1", "currency": "EUR"},
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "exceeds_credits"

    reviewer = operator(client, api_settings, "monitoring:read", "monitoring:write")
    queue = reviewer.get("/alerts", status="open")
    assert queue.status_code == 200
    [alert] = queue.json()["data"]
    assert (alert["check"], alert["subject_kind"], alert["subject_id"]) == (
        "frequency_spike",
        "customer",
        "cus-burst",
    )
    assert alert["account_id"] == customer
    assert [(hold["account_id"], hold["amount"]) for hold in alert["holds"]] == [(customer, "99000")]
    assert reviewer.get(f"/alerts/{alert['id']}").json() == alert

    clock.now += 120
    key = str(uuid.uuid4())
    released = reviewer.post(f"/alerts/{alert['id']}/release", {"reason": "payroll run"}, key=key)
    assert released.status_code == 200, released.text
    body = released.json()
    assert (body["status"], body["decision_reason"], body["decided_at"]) == (
        "released",
        "payroll run",
        clock.now,
    )
    assert body["decided_by"].startswith("api-key:")
    assert _available(api, customer) == "99000"
    # the same request again answers the same; another release request changes nothing either
    assert reviewer.post(f"/alerts/{alert['id']}/release", {"reason": "payroll run"}, key=key).json() == body
    assert (
        reviewer.post(f"/alerts/{alert['id']}/release", {"reason": "again"}).json()["decided_at"] == clock.now
    )
    assert _available(api, customer) == "99000"
    assert reviewer.get("/alerts", status="open").json()["data"] == []
    confirmed = reviewer.post(f"/alerts/{alert['id']}/confirm", {"reason": "changed my mind"})
    assert confirmed.status_code == 409
    assert confirmed.json()["errors"][0]["field"] == "alert_id"
    paid = {"debit_account_id": customer, "credit_account_id": shop, "amount": "99000", "currency": "EUR"}
    assert api.post("/transfers", paid).status_code == 201


def test_confirming_keeps_the_freeze(
    client: TestClient, api_settings: ApiSettings, api: LedgerApi, burst: tuple[str, str]
) -> None:
    customer, _ = burst
    reviewer = operator(client, api_settings, "monitoring:read", "monitoring:write")
    [alert] = reviewer.get("/alerts").json()["data"]
    confirmed = reviewer.post(f"/alerts/{alert['id']}/confirm", {"reason": "mule account"})
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "confirmed"
    assert _available(api, customer) == "0"
    assert reviewer.post(f"/alerts/{alert['id']}/release", {"reason": "x"}).status_code == 409


def test_the_alert_is_a_case_in_the_review_queue_whose_decision_releases_or_keeps_the_freeze(
    client: TestClient, api_settings: ApiSettings, api: LedgerApi, burst: tuple[str, str]
) -> None:
    """The monitor's alert opens a `/v1/cases` case about the customer; deciding it there decides the alert:
    approve releases the freeze, and the alert says who decided and why."""
    customer, _ = burst
    monitoring = operator(client, api_settings, "monitoring:read")
    [alert] = monitoring.get("/alerts").json()["data"]
    reviewer = {"Authorization": f"Bearer {issue(api_settings, 'cases:review')}"}
    case = client.get(f"/v1/cases/{alert['case_id']}", headers=reviewer).json()
    assert (case["subject_kind"], case["subject_id"], case["status"]) == ("customer", "cus-burst", "open")
    assert case["reasons"][0]["rule"] == "frequency_spike"

    approved = client.post(
        f"/v1/cases/{case['id']}/approve",
        json={"note": "payroll run, confirmed by phone"},
        headers={**reviewer, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert approved.status_code == 200, approved.text
    decided = monitoring.get(f"/alerts/{alert['id']}").json()
    assert (decided["status"], decided["decision_reason"]) == ("released", "payroll run, confirmed by phone")
    assert _available(api, customer) == "99000"


def test_paging_through_alerts(client: TestClient, api_settings: ApiSettings, app: FastAPI) -> None:
    with app.state.engine.begin() as connection:
        for number in range(3):
            finding = Finding(Check.GEOGRAPHY, f"finding {number}")
            alerts.raise_alert(
                connection, finding, alerts.Subject("customer", f"c{number}"), number, alerts.AlertQueue()
            )
    reader = operator(client, api_settings, "monitoring:read")
    first = reader.get("/alerts", limit=2).json()
    assert [alert["subject_id"] for alert in first["data"]] == ["c2", "c1"]
    assert first["has_more"] is True
    second = reader.get("/alerts", limit=2, cursor=first["next_cursor"]).json()
    assert [alert["subject_id"] for alert in second["data"]] == ["c0"]
    assert second["has_more"] is False
    other = reader.get("/alerts", limit=2, cursor=first["next_cursor"], status="open")
    assert other.status_code == 400
    assert other.json()["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("GET", "/alerts?status=frozen", None, "status"),
        ("GET", "/alerts?limit=0", None, "limit"),
        ("GET", "/alerts/mal_nope", None, "alert_id"),
        ("POST", f"/alerts/{UNKNOWN}/release", {}, "reason"),
        ("POST", f"/alerts/{UNKNOWN}/release", {"reason": "   "}, "reason"),
        ("POST", f"/alerts/{UNKNOWN}/release", {"reason": "x", "extra": 1}, "extra"),
        ("POST", "/alerts/mal_nope/confirm", {"reason": "x"}, "alert_id"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    client: TestClient, api_settings: ApiSettings, method: str, path: str, body: Any, field: str
) -> None:
    reviewer = operator(client, api_settings, "monitoring:read", "monitoring:write")
    response = reviewer.get(path) if method == "GET" else reviewer.post(path, body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


def test_an_unknown_alert_is_a_404_naming_it(client: TestClient, api_settings: ApiSettings) -> None:
    reviewer = operator(client, api_settings, "monitoring:read", "monitoring:write")
    for response in (
        reviewer.get(f"/alerts/{UNKNOWN}"),
        reviewer.post(f"/alerts/{UNKNOWN}/release", {"reason": "x"}),
        reviewer.post(f"/alerts/{UNKNOWN}/confirm", {"reason": "x"}),
    ):
        assert response.status_code == 404
        assert response.json()["type"] == "urn:tpwallet:problem:alert-not-found"
        assert response.json()["errors"][0]["field"] == "alert_id"


ROUTES: list[tuple[str, str, Scope]] = [
    ("GET", "/alerts", "monitoring:read"),
    ("GET", f"/alerts/{UNKNOWN}", "monitoring:read"),
    ("POST", f"/alerts/{UNKNOWN}/release", "monitoring:write"),
    ("POST", f"/alerts/{UNKNOWN}/confirm", "monitoring:write"),
]


def test_the_table_lists_every_monitoring_route(app: FastAPI) -> None:
    served = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/v1/monitoring")
        for method in operations
    }
    assert len(served) == len(ROUTES)


@pytest.mark.parametrize(("method", "path", "scope"), ROUTES)
def test_outsiders_are_refused(
    client: TestClient, api_settings: ApiSettings, method: str, path: str, scope: Scope
) -> None:
    def call(caller: Operator) -> httpx.Response:
        return caller.get(path) if method == "GET" else caller.post(path, {"reason": "x"})

    assert call(Operator(client, None)).status_code == 401
    others = [other for other in SCOPES if other != scope]
    narrow = call(operator(client, api_settings, *others))
    assert narrow.status_code == 403
    assert scope in narrow.json()["detail"]
    merchant = onboard(client, Caller(client, issue(api_settings, "merchants:admin")), "Shop")
    refused = call(Operator(client, merchant.sandbox.token))
    assert refused.status_code == 403


def test_a_reader_cannot_release(
    client: TestClient, api_settings: ApiSettings, api: LedgerApi, burst: tuple[str, str]
) -> None:
    customer, _ = burst
    reader = operator(client, api_settings, "monitoring:read")
    [alert] = reader.get("/alerts").json()["data"]
    assert reader.post(f"/alerts/{alert['id']}/release", {"reason": "x"}).status_code == 403
    assert _available(api, customer) == "0"


def test_a_bad_thresholds_file_stops_the_start_naming_file_and_line(
    api_settings: ApiSettings, tmp_path: Path
) -> None:
    bad = tmp_path / "monitoring.yaml"
    shipped = (CONFIG_DIR / "monitoring.yaml").read_text()
    bad.write_text(shipped.replace("factor: 5, min_count", "factr: 5, min_count"))
    app = create_app(api_settings.model_copy(update={"monitoring_config_path": bad}))
    with pytest.raises(RuleFileError, match=rf"^{bad}:\d+: frequency: unknown key 'factr'"), TestClient(app):
        pass
