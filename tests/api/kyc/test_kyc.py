"""`/v1/kyc` end to end, on SQLite and PostgreSQL: a signed-in customer starts checks with the sandbox KYC
provider running as its own process, whose signed result webhooks arrive through real HTTP; each test-data
outcome, the tier raised only on a clear result, manual review decided by an operator, the webhook's
signature checks, outsiders refused and bad input named."""

import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from payments.rails.kyc.client import KycProviderClient
from payments.webhooks.signing import signature_header
from risk.kyc.checks import CheckRequest, Checks
from tests.api.kyc.conftest import EVENTS, Customer, NewCustomer, NewOperator, finished, person
from tests.api.rails.conftest import Bridge
from tests.helpers.risk_audit import chained_records
from tests.helpers.sandbox_kyc import WEBHOOK_SECRET

pytestmark = pytest.mark.slow  # each test runs the provider as its own process


def tier_of(customer: Customer) -> str:
    answer = customer.get("/v1/kyc")
    assert answer.status_code == 200, answer.text
    tier: str = answer.json()["tier"]
    return tier


def test_a_clear_light_check_raises_the_tier(customer: NewCustomer) -> None:
    alice = Customer(customer())
    assert tier_of(alice) == "none"
    started = alice.start(person())
    assert started.status_code == 201, started.text
    check = started.json()
    assert (check["status"], check["tier"], check["provider"]) == ("pending", "light", "sandbox-kyc")
    done = finished(alice, check["id"])
    assert (done["status"], done["reasons"]) == ("approved", "")
    assert tier_of(alice) == "light"


def test_a_clear_full_check_raises_the_tier_to_full(customer: NewCustomer) -> None:
    bob = Customer(customer())
    check = bob.start(
        person(tier="full", document_number="P1234567", document_expires_on="2035-01-01")
    ).json()
    assert finished(bob, check["id"])["status"] == "approved"
    assert tier_of(bob) == "full"


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"document_number": "X0009001"}, "document_not_genuine"),
        ({"document_number": "X0009003"}, "document_expired"),
        ({"document_number": "P7654321", "document_expires_on": "2001-01-01"}, "document_expired"),
        ({"full_name": "Max Reject Muster"}, "identity_not_found"),
        ({"date_of_birth": "2015-01-01"}, "underage"),
    ],
)
def test_a_rejected_check_keeps_the_tier_and_records_the_reason(
    customer: NewCustomer, fields: dict[str, str], reason: str
) -> None:
    carol = Customer(customer())
    check = carol.start(person(tier="full", document_number="P1111111") | fields).json()
    done = finished(carol, check["id"])
    assert done["status"] == "rejected"
    assert reason in done["reasons"]
    assert tier_of(carol) == "none"


def test_a_check_in_manual_review_waits_for_an_operator(
    customer: NewCustomer, operator: NewOperator, api_database_url: str
) -> None:
    dave = Customer(customer())
    check = dave.start(person(tier="full", document_number="X0009002")).json()
    done = finished(dave, check["id"])
    assert (done["status"], done["reasons"]) == ("review", "document_unclear")
    assert tier_of(dave) == "none"
    reviewer = operator("kyc:read", "kyc:review")
    queue = reviewer.get("/v1/kyc/reviews").json()["data"]
    assert [item["id"] for item in queue] == [check["id"]]
    decided = reviewer.post(
        f"/v1/kyc/checks/{check['id']}/review", {"decision": "approved", "reason": "document re-read by hand"}
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved"
    assert tier_of(dave) == "full"
    again = reviewer.post(f"/v1/kyc/checks/{check['id']}/review", {"decision": "rejected", "reason": "late"})
    assert again.status_code == 409
    assert reviewer.get("/v1/kyc/reviews").json()["data"] == []
    [record] = chained_records(api_database_url, [check["id"]])  # the refused second decision left none
    assert (record.action, record.actor) == ("risk.kyc.review_decided", f"key:{reviewer.token.split('_')[1]}")
    assert (record.details["decision"], record.details["tier"]) == ("approved", "full")
    assert record.details["tier_change_id"] is not None


def test_a_rejection_on_review_keeps_the_tier(customer: NewCustomer, operator: NewOperator) -> None:
    erin = Customer(customer())
    check = erin.start(person(full_name="Erin Review Example")).json()
    assert finished(erin, check["id"])["status"] == "review"
    reviewer = operator("kyc:review")
    decided = reviewer.post(
        f"/v1/kyc/checks/{check['id']}/review", {"decision": "rejected", "reason": "no match"}
    )
    assert decided.json()["status"] == "rejected"
    assert tier_of(erin) == "none"


def test_webhooks_forged_stale_or_replayed_are_refused(
    customer: NewCustomer, client: TestClient, bridge: Bridge
) -> None:
    frank = Customer(customer())
    check = frank.start(person(document_number="X0009002", tier="full")).json()
    assert finished(frank, check["id"])["status"] == "review"
    delivered = bridge.first_answered(200)
    # The provider's own delivery, sent again byte for byte: a replay.
    replay = client.post(EVENTS, content=delivered.body, headers=delivered.headers)
    assert replay.status_code == 400
    assert replay.json()["errors"][0]["field"] == "TPW-Signature"
    # A forged result: clear instead of review, under a secret that is not the provider's.
    event = json.loads(delivered.body)
    event["data"]["result"] = "clear"
    forged = json.dumps(event).encode()
    now = int(time.time())
    wrong = client.post(
        EVENTS, content=forged, headers={"TPW-Signature": signature_header(["whsec_other"], now, forged)}
    )
    assert wrong.status_code == 400
    stale = client.post(
        EVENTS,
        content=forged,
        headers={"TPW-Signature": signature_header([WEBHOOK_SECRET], now - 301, forged)},
    )
    assert stale.status_code == 400
    missing = client.post(EVENTS, content=forged)
    assert missing.status_code == 400
    assert tier_of(frank) == "none"
    assert frank.get(f"/v1/kyc/checks/{check['id']}").json()["status"] == "review"


def test_a_signed_result_about_no_check_of_ours_is_refused_naming_the_field(client: TestClient) -> None:
    body = json.dumps(
        {
            "type": "check.completed",
            "data": {"id": "kyc_sbx_x", "reference": "kyc_chk_nope", "result": "clear"},
        }
    ).encode()
    answer = client.post(
        EVENTS,
        content=body,
        headers={"TPW-Signature": signature_header([WEBHOOK_SECRET], int(time.time()), body)},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "data.reference"
    bad = json.dumps({"type": "check.completed", "data": {"result": "maybe"}}).encode()
    answer = client.post(
        EVENTS,
        content=bad,
        headers={"TPW-Signature": signature_header([WEBHOOK_SECRET], int(time.time()), bad)},
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "data.result"


def test_a_customer_cannot_see_another_customers_check(customer: NewCustomer) -> None:
    alice, mallory = Customer(customer()), Customer(customer())
    check = alice.start(person()).json()
    assert mallory.get(f"/v1/kyc/checks/{check['id']}").status_code == 404
    assert mallory.get("/v1/kyc").json()["checks"] == []
    assert alice.get(f"/v1/kyc/checks/{check['id']}").status_code == 200


def test_customer_routes_need_a_session_and_operator_routes_a_scope(
    client: TestClient, customer: NewCustomer, operator: NewOperator
) -> None:
    assert client.get("/v1/kyc").status_code == 401
    assert client.post("/v1/kyc/checks", json=person(), headers={"Idempotency-Key": "k"}).status_code == 401
    api_key = operator("kyc:read", "kyc:review")
    # An API key is not a customer's session, even an operator's.
    assert client.get("/v1/kyc", headers={"Authorization": f"Bearer {api_key.token}"}).status_code == 401
    alice = Customer(customer())
    check = alice.start(person()).json()
    # A customer's session is not an API key: the operator routes refuse it.
    assert alice.get("/v1/kyc/reviews").status_code == 401
    assert alice.get(f"/v1/kyc/operator/checks/{check['id']}").status_code == 401
    assert alice.get("/v1/screening/reviews").status_code == 401
    screen = {"kind": "name", "value": "Erika Mustermann"}
    assert (
        client.post(
            "/v1/screening/screenings", json=screen, headers=alice.browser.bearer() | {"Idempotency-Key": "s"}
        ).status_code
        == 401
    )
    outsider = operator("screening:read")
    assert outsider.get("/v1/kyc/reviews").status_code == 403
    assert (
        outsider.post(
            f"/v1/kyc/checks/{check['id']}/review", {"decision": "approved", "reason": "x"}
        ).status_code
        == 403
    )
    reader = operator("kyc:read")
    assert (
        reader.post(
            f"/v1/kyc/checks/{check['id']}/review", {"decision": "approved", "reason": "x"}
        ).status_code
        == 403
    )
    assert (
        reader.get(f"/v1/kyc/operator/checks/{check['id']}").json()["subject_id"]
        == alice.browser.session["subject_id"]
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"tier": "none"}, "tier"),
        ({"country": "Germany"}, "country"),
        ({"date_of_birth": "yesterday"}, "date_of_birth"),
        ({"full_name": ""}, "full_name"),
        ({"tier": "full"}, "document_number"),
    ],
)
def test_bad_input_is_a_problem_naming_the_field(
    customer: NewCustomer, fields: dict[str, str], field: str
) -> None:
    alice = Customer(customer())
    answer = alice.start(person(**fields))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert field in [error["field"] for error in answer.json()["errors"]]


def test_a_sanctioned_name_is_held_until_a_reviewer_clears_it(
    customer: NewCustomer, operator: NewOperator
) -> None:
    """The sample list's `MORVANE, Teodor Ivanovich`: a potential match, held; cleared as a false positive
    by a reviewer, the same customer's check then proceeds."""
    teo = Customer(customer())
    held = teo.start(person(full_name="Teodor Morvane"))
    assert held.status_code == 409, held.text
    assert held.json()["type"].endswith("kyc-screening-hold")
    assert teo.get("/v1/kyc").json()["checks"] == []
    reviewer = operator("screening:read", "screening:review")
    [pending] = reviewer.get("/v1/screening/reviews").json()["data"]
    assert pending["subject_id"] == teo.browser.session["subject_id"]
    assert pending["hits"][0]["listed"] == "MORVANE, Teodor Ivanovich"
    cleared = reviewer.post(
        f"/v1/screening/screenings/{pending['id']}/decision",
        {"decision": "false_positive", "reason": "another person: date of birth differs"},
    )
    assert cleared.status_code == 200, cleared.text
    assert (cleared.json()["standing"], cleared.json()["reviewer"]) == (
        "clear",
        f"key:{reviewer.token.split('_')[1]}",
    )
    check = teo.start(person(full_name="Teodor Morvane"))
    assert check.status_code == 201, check.text
    assert finished(teo, check.json()["id"])["status"] == "approved"


def test_a_confirmed_match_is_refused(customer: NewCustomer, operator: NewOperator) -> None:
    teo = Customer(customer())
    assert teo.start(person(full_name="Teodor Ivanovich Morvane")).status_code == 409
    reviewer = operator("screening:review")
    [pending] = reviewer.get("/v1/screening/reviews").json()["data"]
    reviewer.post(
        f"/v1/screening/screenings/{pending['id']}/decision", {"decision": "confirmed", "reason": "same DOB"}
    )
    refused = teo.start(person(full_name="Teodor Ivanovich Morvane"))
    assert refused.status_code == 403
    assert teo.get("/v1/kyc").json()["tier"] == "none"


def test_a_start_cut_short_after_the_provider_answered_is_finished_by_its_retry(
    customer: NewCustomer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pending check commits with the key's recovery point before the provider is asked; a crash after
    the provider took it (here: storing its answer fails once) leaves the key resumable, and the retry with
    the same key submits the same reference (the provider keeps one check per reference), stores the
    answer and replays it from then on: one check here, one at the provider."""
    alice = Customer(customer())
    submitted: list[str] = []
    submit, note = KycProviderClient.submit, Checks.note_submitted

    def spy(self: KycProviderClient, check_id: str, request: CheckRequest) -> str:
        submitted.append(check_id)
        return submit(self, check_id, request)

    def crash_once(self: Checks, *args: Any) -> Any:
        monkeypatch.setattr(Checks, "note_submitted", note)
        raise RuntimeError("the process died before storing the provider's answer")

    monkeypatch.setattr(KycProviderClient, "submit", spy)
    monkeypatch.setattr(Checks, "note_submitted", crash_once)
    assert alice.start(person(), key="kyc-crash").status_code == 500
    retried = alice.start(person(), key="kyc-crash")
    assert retried.status_code == 201, retried.text
    replayed = alice.start(person(), key="kyc-crash")
    assert replayed.json() == retried.json()
    assert len(submitted) == 2
    assert submitted[0] == submitted[1] == retried.json()["id"]
    assert [check["id"] for check in alice.get("/v1/kyc").json()["checks"]] == [retried.json()["id"]]
    assert finished(alice, retried.json()["id"])["status"] == "approved"
