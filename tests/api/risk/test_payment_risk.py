"""End to end over HTTP (SQLite and PostgreSQL): the risk engine in front of a payment's confirmation.

A high-value cross-border payment is stepped up (the wrong TOTP code refused, the right one resumes it); a
new device paying a new payee is reviewed (an operator approves, it resumes; or rejects, it fails); a
customer without a KYC tier is denied; TOTP not enrolled offers the payment password as the fallback. And
the outsiders: another customer, a merchant's key, an operator without the scope.
"""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from risk.kyc.tiers import Tier
from tests.api.merchants.conftest import Onboarded
from tests.api.risk.conftest import INTENTS, CustomerFactory, OperatorFactory, pay
from tests.payments.intents.conftest import ScriptedRail

HIGH_VALUE = "250000"  # 2,500 EUR: the shipped `high-amount` rule steps it up
SMALL = "1000"  # 10 EUR: low-value exempt from SCA
CROSS_BORDER = {"risk": {"payment_method_country": "US"}}  # a US card at a DE merchant


def test_a_high_value_cross_border_payment_is_stepped_up_and_resumed_by_the_right_code(
    merchant: Onboarded, new_customer: CustomerFactory, rail: ScriptedRail, operator: OperatorFactory
) -> None:
    customer = new_customer()
    customer.set_tier(Tier.FULL)
    otp = customer.enrol_totp()
    held = pay(merchant, customer, HIGH_VALUE, **CROSS_BORDER)
    assert held["status"] == "requires_action"
    action = held["next_action"]
    assert (action["type"], action["factors"], action["fallback"]) == ("verify_factor", ["totp"], [])
    assert not rail.calls, "the rail is not asked before the step-up"

    wrong = customer.verify(held["id"], {"factor": "totp", "code": "000000"})
    assert wrong.status_code == 422, wrong.text
    assert wrong.json()["type"].endswith("factor-verification-failed")
    assert [error["field"] for error in wrong.json()["errors"]] == ["code"]
    assert merchant.sandbox.get(f"{INTENTS}/{held['id']}").json()["status"] == "requires_action"

    right = customer.verify(held["id"], {"factor": "totp", "code": otp.at(customer.clock.now)})
    assert right.status_code == 200, right.text
    assert (right.json()["status"], right.json()["next_action"]) == ("succeeded", None)
    assert [operation for operation, _ in rail.calls] == ["authorize"]

    decision = operator("risk:read").get(f"/v1/risk/decisions/{held['risk_decision']}").json()
    assert decision["outcome"] == "step_up"
    assert decision["facts"]["beneficiary"] == {"kind": "card", "country": "DE", "trusted": False}
    assert decision["facts"]["customer_country"] == "US"
    assert "high-amount" in [reason["rule"] for reason in decision["reasons"]]


def test_a_locked_factor_refuses_the_right_code_and_the_fallback_passes(
    merchant: Onboarded, new_customer: CustomerFactory, rail: ScriptedRail
) -> None:
    customer = new_customer()
    customer.set_tier(Tier.FULL)
    otp = customer.enrol_totp()
    customer.set_password("blue-otter-42")
    held = pay(merchant, customer, HIGH_VALUE)
    assert held["next_action"]["fallback"] == ["payment_password"]
    for _ in range(5):  # the default lockout: five failures
        assert customer.verify(held["id"], {"factor": "totp", "code": "000000"}).status_code == 422
    locked = customer.verify(held["id"], {"factor": "totp", "code": otp.at(customer.clock.now)})
    assert locked.status_code == 423, locked.text
    assert locked.json()["until"] > customer.clock.now
    passed = customer.verify(held["id"], {"factor": "payment_password", "password": "blue-otter-42"})
    assert passed.status_code == 200, passed.text
    assert passed.json()["status"] == "succeeded"


def test_without_totp_the_fallback_factor_is_offered_never_a_pass(
    merchant: Onboarded, new_customer: CustomerFactory, rail: ScriptedRail
) -> None:
    customer = new_customer()
    customer.set_tier(Tier.FULL)
    customer.set_password("blue-otter-42")
    held = pay(merchant, customer, HIGH_VALUE)
    action = held["next_action"]
    assert (held["status"], action["factors"], action["fallback"]) == (
        "requires_action",
        [],
        ["payment_password"],
    )
    assert action["fallback_reason"] == "totp: not enrolled"  # no passkey: asked as before passkeys
    no_passkey = customer.passkey_options(held["id"])
    assert no_passkey.status_code == 422
    assert [error["field"] for error in no_passkey.json()["errors"]] == ["factor"]
    refused = customer.verify(held["id"], {"factor": "totp", "code": "123456"})
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json()["errors"]] == ["factor"]
    wrong = customer.verify(held["id"], {"factor": "payment_password", "password": "not-it-at-all"})
    assert wrong.status_code == 422
    assert [error["field"] for error in wrong.json()["errors"]] == ["password"]
    missing = customer.verify(held["id"], {"factor": "payment_password"})
    assert [error["field"] for error in missing.json()["errors"]] == ["password"]
    passed = customer.verify(held["id"], {"factor": "payment_password", "password": "blue-otter-42"})
    assert passed.json()["status"] == "succeeded"


def test_no_usable_factor_sends_the_payment_to_review(
    merchant: Onboarded, new_customer: CustomerFactory, rail: ScriptedRail, operator: OperatorFactory
) -> None:
    customer = new_customer()
    customer.set_tier(Tier.FULL)
    held = pay(merchant, customer, HIGH_VALUE)
    assert (held["status"], held["next_action"]["type"]) == ("requires_action", "risk_review")
    case = operator("cases:read").get(f"/v1/cases/{held['next_action']['case']}").json()
    assert "step-up-unavailable" in [reason["rule"] for reason in case["reasons"]]
    assert not rail.calls


def test_a_new_device_paying_a_new_payee_is_reviewed_then_approved(
    merchant: Onboarded, new_customer: CustomerFactory, rail: ScriptedRail, operator: OperatorFactory
) -> None:
    customer = new_customer()
    customer.set_tier(Tier.FULL)
    held = pay(merchant, customer, SMALL, risk={"device_id": "dev_new_phone", "ip_address": "192.0.2.10"})
    assert held["status"] == "requires_action"
    case_id = held["next_action"]["case"]
    reviewer = operator("cases:review")
    queue = reviewer.get("/v1/cases?status=open").json()["data"]
    assert [(case["id"], case["subject_kind"], case["subject_id"]) for case in queue] == [
        (case_id, "payment_intent", held["id"])
    ]
    assert "new-device-new-payee" in [reason["rule"] for reason in queue[0]["reasons"]]
    claimed = reviewer.post(f"/v1/cases/{case_id}/claim")
    assert (claimed.status_code, claimed.json()["status"]) == (200, "claimed")
    other = operator("cases:review").post(f"/v1/cases/{case_id}/approve", {"note": "not mine"})
    assert (other.status_code, other.json()["case_status"]) == (409, "claimed")

    approved = reviewer.post(f"/v1/cases/{case_id}/approve", {"note": "customer called in, known phone"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved"
    resumed = merchant.sandbox.get(f"{INTENTS}/{held['id']}").json()
    assert (resumed["status"], resumed["next_action"]) == ("succeeded", None)
    again = reviewer.post(f"/v1/cases/{case_id}/reject", {"note": "changed my mind"})
    assert (again.status_code, again.json()["case_status"]) == (409, "approved")

    # The payee is known now: the next payment is not reviewed, though the unsigned device still counts as
    # new (only a device that signed a confirmation becomes known: see tests/api/payment_intents).
    known = pay(merchant, customer, SMALL, risk={"device_id": "dev_new_phone", "ip_address": "192.0.2.10"})
    assert known["status"] == "succeeded"

    report = reviewer.get(f"/v1/cases/{case_id}/report?format=json").json()
    assert [entry["action"] for entry in report["audit"]] == [
        "risk.decision",
        "risk.case.opened",
        "risk.case.claimed",
        "risk.case.approved",
    ]
    text = reviewer.get(f"/v1/cases/{case_id}/report?format=text")
    assert text.headers["content-type"].startswith("text/plain")
    assert f"Compliance report for case {case_id}" in text.text
    assert "customer called in, known phone" in text.text


def test_a_rejected_review_fails_the_payment(
    merchant: Onboarded, new_customer: CustomerFactory, rail: ScriptedRail, operator: OperatorFactory
) -> None:
    customer = new_customer()
    customer.set_tier(Tier.FULL)
    held = pay(merchant, customer, SMALL, risk={"device_id": "dev_stolen"})
    rejected = operator("cases:review").post(
        f"/v1/cases/{held['next_action']['case']}/reject", {"note": "device reported stolen"}
    )
    assert rejected.status_code == 200, rejected.text
    failed = merchant.sandbox.get(f"{INTENTS}/{held['id']}").json()
    assert (failed["status"], failed["last_payment_error"]) == ("failed", "risk_review_rejected")
    assert not rail.calls


def test_a_customer_without_kyc_is_denied(
    merchant: Onboarded, new_customer: CustomerFactory, rail: ScriptedRail
) -> None:
    denied = pay(merchant, new_customer(), SMALL)
    assert (denied["status"], denied["last_payment_error"]) == ("failed", "risk_denied:kyc-tier-none")
    assert not rail.calls


def test_a_small_payment_is_allowed_under_the_low_value_exemption(
    merchant: Onboarded, new_customer: CustomerFactory, rail: ScriptedRail
) -> None:
    customer = new_customer()
    customer.set_tier(Tier.FULL)
    paid = pay(merchant, customer, SMALL)
    assert (paid["status"], paid["sca_exemption"], paid["customer"]) == (
        "succeeded",
        "low_value",
        customer.subject,
    )


def test_outsiders_cannot_pass_a_step_up_nor_decide_a_case(
    client: TestClient,
    merchant: Onboarded,
    new_customer: CustomerFactory,
    rail: ScriptedRail,
    operator: OperatorFactory,
) -> None:
    customer, stranger = new_customer(), new_customer()
    customer.set_tier(Tier.FULL)
    otp = customer.enrol_totp()
    held = pay(merchant, customer, HIGH_VALUE)
    code = {"factor": "totp", "code": otp.at(customer.clock.now)}
    assert stranger.verify(held["id"], code).status_code == 404
    unsigned = client.post(f"{INTENTS}/{held['id']}/verify-factor", json=code)
    assert unsigned.status_code == 401
    with_key = client.post(
        f"{INTENTS}/{held['id']}/verify-factor",
        json=code,
        headers={"Authorization": f"Bearer {merchant.sandbox.token}"},
    )
    assert with_key.status_code == 401
    assert merchant.sandbox.get(f"{INTENTS}/{held['id']}").json()["status"] == "requires_action"

    reviewed = pay(merchant, customer, SMALL, risk={"device_id": "dev_other"})
    case_path = f"/v1/cases/{reviewed['next_action']['case']}"
    assert merchant.sandbox.post(f"{case_path}/approve", {"note": "mine"}).status_code == 403
    reader = operator("cases:read", "risk:read")
    assert reader.post(f"{case_path}/approve", {"note": "read only"}).status_code == 403
    payments_key = operator("payments:read")
    assert payments_key.get("/v1/cases").status_code == 403
    assert payments_key.get(case_path).status_code == 403
    assert payments_key.get("/v1/risk/decisions").status_code == 403
    assert reader.post("/v1/risk/decisions", {}).status_code == 403
    assert operator("cases:review").get(f"{INTENTS}/{held['id']}").status_code == 403


def test_an_approval_whose_rail_failed_is_told_again_by_its_retry(
    app: FastAPI,
    merchant: Onboarded,
    new_customer: CustomerFactory,
    rail: ScriptedRail,
    operator: OperatorFactory,
) -> None:
    customer = new_customer()
    customer.set_tier(Tier.FULL)
    held = pay(merchant, customer, SMALL, risk={"device_id": "dev_tablet"})
    reviewer, case_id = operator("cases:review"), held["next_action"]["case"]
    rails, app.state.payment_rails = app.state.payment_rails, {}  # the rail's client is gone
    body = {"note": "known tablet"}
    failed = reviewer.post(f"/v1/cases/{case_id}/approve", body, idempotency_key="approve-1")
    assert failed.status_code == 503, failed.text
    assert reviewer.get(f"/v1/cases/{case_id}").json()["status"] == "approved"  # the decision stands
    assert merchant.sandbox.get(f"{INTENTS}/{held['id']}").json()["status"] == "requires_action"
    app.state.payment_rails = rails
    retried = reviewer.post(f"/v1/cases/{case_id}/approve", body, idempotency_key="approve-1")
    assert (retried.status_code, retried.json()["status"]) == (200, "approved")
    assert merchant.sandbox.get(f"{INTENTS}/{held['id']}").json()["status"] == "succeeded"
    replayed = reviewer.post(f"/v1/cases/{case_id}/approve", body, idempotency_key="approve-1")
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert [operation for operation, _ in rail.calls] == ["authorize"]
