"""`/v1/risk/decisions` and `/v1/cases` beyond the payment flows: an operator's evaluation enforces nothing,
lists page, bad input is refused naming the field."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.api.risk.conftest import CustomerFactory, OperatorFactory

FACTS = {
    "subject": "idn_probe",
    "kind": "payment",
    "amount": "250000",
    "currency": "EUR",
    "customer_country": "DE",
    "kyc_tier": "full",
    "account_age_days": 400,
    "ip": "192.0.2.10",
}


def test_an_evaluation_is_stored_unenforced_and_moves_no_window(
    client: TestClient, operator: OperatorFactory
) -> None:
    evaluator, reader = operator("risk:evaluate"), operator("risk:read")
    first = evaluator.post("/v1/risk/decisions", FACTS)
    assert first.status_code == 201, first.text
    decision = first.json()
    assert (decision["outcome"], decision["enforced"], decision["reference"]) == ("step_up", False, None)
    assert decision["factors"] == ["passkey", "totp"]
    assert "ip" not in decision["facts"]
    for _ in range(5):  # `customer-burst` would step up a sixth action in ten minutes: none was recorded
        again = evaluator.post("/v1/risk/decisions", {**FACTS, "amount": "1000"})
    assert "customer-burst" not in [reason["rule"] for reason in again.json()["reasons"]]
    assert again.json()["inputs_digest"] != decision["inputs_digest"]

    page = reader.get("/v1/risk/decisions?subject_id=idn_probe&limit=2").json()
    assert (len(page["data"]), page["has_more"]) == (2, True)
    rest = reader.get(f"/v1/risk/decisions?subject_id=idn_probe&limit=10&cursor={page['next_cursor']}").json()
    listed = [d["id"] for d in page["data"] + rest["data"]]
    assert (len(listed), len(set(listed)), decision["id"] in listed) == (6, 6, True)  # one second: by id
    assert reader.get(f"/v1/risk/decisions/{decision['id']}").json() == decision
    missing = reader.get("/v1/risk/decisions/rd_" + "0" * 24)
    assert (missing.status_code, missing.json()["type"]) == (
        404,
        "urn:tpwallet:problem:risk-decision-not-found",
    )
    moved = reader.get(f"/v1/risk/decisions?subject_id=other&cursor={page['next_cursor']}")
    assert moved.status_code == 400


def test_bad_facts_are_refused_naming_the_field(client: TestClient, operator: OperatorFactory) -> None:
    evaluator = operator("risk:evaluate")
    for field, value in (
        ("amount", 250000),
        ("kyc_tier", "gold"),
        ("currency", "eur"),
        ("kind", "loan"),
        ("mcc", "9999"),  # four digits, but no category of risk/engine/mcc.py
        ("mcc", "54a1"),
    ):
        refused = evaluator.post("/v1/risk/decisions", {**FACTS, field: value})
        assert refused.status_code == 422, (field, refused.text)
        assert field in str(refused.json()["errors"][0]["field"]), refused.json()
    change = evaluator.post("/v1/risk/decisions", {**FACTS, "kind": "sensitive_change", "amount": "0"})
    assert change.status_code == 422
    assert change.json()["errors"][0]["field"] == "sensitive_change"


def test_operators_open_cases_and_bad_ones_are_refused(client: TestClient, operator: OperatorFactory) -> None:
    reviewer = operator("cases:review")
    body = {
        "subject_kind": "customer",
        "subject_id": "idn_x",
        "reasons": [{"rule": "spike", "text": "ten times"}],
    }
    opened = reviewer.post("/v1/cases", body)
    assert opened.status_code == 201, opened.text
    assert (opened.json()["status"], opened.json()["opened_by"].startswith("api-key:")) == ("open", True)
    for field, value in (("subject_kind", "wallet"), ("reasons", []), ("subject_id", "a b")):
        refused = reviewer.post("/v1/cases", {**body, field: value})
        assert refused.status_code == 422
        assert field in str(refused.json()["errors"][0]["field"])
    blank = reviewer.post(f"/v1/cases/{opened.json()['id']}/approve", {"note": ""})
    assert (blank.status_code, "note" in str(blank.json()["errors"][0]["field"])) == (422, True)
    assert reviewer.get("/v1/cases/case_" + "0" * 24 + "/report?format=text").status_code == 404
    assert reviewer.get(f"/v1/cases/{opened.json()['id']}/report?format=pdf").status_code == 422
    assert operator("cases:read").post("/v1/cases", body).status_code == 403


def test_without_an_engine_evaluations_and_step_ups_answer_503(
    app: FastAPI, client: TestClient, operator: OperatorFactory, new_customer: CustomerFactory
) -> None:
    app.state.risk_gate = None  # as when the rule file did not load at start
    refused = operator("risk:evaluate").post("/v1/risk/decisions", FACTS)
    assert (refused.status_code, refused.json()["type"]) == (503, "urn:tpwallet:problem:risk-unavailable")
    step_up = new_customer().verify("pi_" + "0" * 24, {"factor": "totp", "code": "123456"})
    assert (step_up.status_code, step_up.json()["type"]) == (503, "urn:tpwallet:problem:risk-unavailable")
