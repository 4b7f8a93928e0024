"""`/v1/screening` on SQLite and PostgreSQL: screening names, chain addresses and IBANs on demand against the
shipped sample list (OFAC SDN CSV format), the reviewers' queue and decisions, the list replaced (and
changed behind the API's back) re-screening every known subject, merchant onboarding held for a
reviewer, outsiders refused and bad input named."""

import base64
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from risk.audit import text_digest
from tests.api.payment_intents.conftest import Caller
from tests.api.screening.conftest import NewOperator
from tests.helpers.risk_audit import chained_records
from tests.risk.screening.conftest import sample_files

SCREEN = "/v1/screening/screenings"
MORVANE_ETH = "0xcA978112CA1bBDCAfac231b39a23dC4da786eff8"
KESTREL_IBAN = "DE62 3704 0044 0532 0130 01"
UNLISTED_IBAN = "DE89 3704 0044 0532 0130 00"


def screened(caller: Caller, kind: str, value: str, **fields: Any) -> dict[str, Any]:
    answer = caller.post(SCREEN, {"kind": kind, "value": value, **fields})
    assert answer.status_code == 201, answer.text
    found: dict[str, Any] = answer.json()
    return found


def encoded(files: dict[str, bytes]) -> dict[str, str]:
    fields = {"SDN.CSV": "sdn", "ALT.CSV": "alt", "ADD.CSV": "add", "SDN_COMMENTS.CSV": "comments"}
    return {fields[name]: base64.b64encode(data).decode() for name, data in files.items()}


def with_entry(row: bytes) -> dict[str, bytes]:
    """The sample list with one more SDN.CSV row."""
    files = sample_files()
    body = files["SDN.CSV"].rstrip(b"\x1a")
    files["SDN.CSV"] = body + row + b"\r\n\x1a"
    return files


JANE = b'9100,"DOE, Jane Quinn","individual","SDGT","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- ","-0- "'


def test_names_addresses_and_ibans_are_screened(operator: NewOperator) -> None:
    desk = operator("screening:review")
    name = screened(desk, "name", "Teodor Morvane", subject_id="idn_teo")
    assert (name["outcome"], name["standing"], name["trigger"]) == (
        "potential_match",
        "pending_review",
        "manual",
    )
    assert [(hit["ent_num"], hit["listed"]) for hit in name["hits"]] == [(9001, "MORVANE, Teodor Ivanovich")]
    assert screened(desk, "name", "Erika Mustermann")["outcome"] == "clear"
    address = screened(desk, "chain_address", MORVANE_ETH.lower())
    assert (address["outcome"], address["standing"], address["hits"][0]["kind"]) == (
        "match",
        "blocked",
        "address",
    )
    assert screened(desk, "iban", KESTREL_IBAN)["hits"][0]["ent_num"] == 9002
    assert screened(desk, "iban", UNLISTED_IBAN)["outcome"] == "clear"
    assert screened(desk, "name", "Jane Doe")["subject_id"] == f"manual:{desk.token.split('_')[1]}"


def test_a_potential_match_is_decided_once_with_its_reviewer(
    operator: NewOperator, api_database_url: str
) -> None:
    desk = operator("screening:read", "screening:review")
    pending = screened(desk, "name", "Teodor Morvane", subject_id="idn_teo")
    assert [item["id"] for item in desk.get("/v1/screening/reviews").json()["data"]] == [pending["id"]]
    assert desk.get("/v1/screening/subjects/idn_teo").json()["standing"] == "pending_review"
    decided = desk.post(
        f"{SCREEN}/{pending['id']}/decision", {"decision": "false_positive", "reason": "born 1990, not 1971"}
    )
    assert decided.status_code == 200, decided.text
    body = decided.json()
    assert (body["decision"], body["standing"], body["reason"]) == (
        "false_positive",
        "clear",
        "born 1990, not 1971",
    )
    assert body["reviewer"] == f"key:{desk.token.split('_')[1]}"
    assert body["decided_at"] is not None
    assert desk.get("/v1/screening/reviews").json()["data"] == []
    assert desk.get("/v1/screening/subjects/idn_teo").json()["standing"] == "clear"
    again = desk.post(
        f"{SCREEN}/{pending['id']}/decision", {"decision": "confirmed", "reason": "second look"}
    )
    assert again.status_code == 409
    exact = screened(desk, "chain_address", MORVANE_ETH)
    on_match = desk.post(f"{SCREEN}/{exact['id']}/decision", {"decision": "false_positive", "reason": "no"})
    assert on_match.status_code == 409
    unknown = desk.post(f"{SCREEN}/scr_{'0' * 24}/decision", {"decision": "confirmed", "reason": "x"})
    assert unknown.status_code == 404
    assert desk.get(f"{SCREEN}/{pending['id']}").json()["decision"] == "false_positive"
    [record] = chained_records(api_database_url, [pending["id"]])  # the refused decisions left none
    assert (record.actor, record.action) == (body["reviewer"], "risk.screening.decided")
    assert (record.details["subject_id"], record.details["decision"]) == ("idn_teo", "false_positive")
    assert record.details["reason_sha256"] == text_digest("born 1990, not 1971")


def test_replacing_the_list_rescreens_every_known_subject(operator: NewOperator) -> None:
    desk = operator("screening:read", "screening:review", "screening:admin")
    before = desk.get("/v1/screening/list").json()
    assert before["entries"] == 7
    assert screened(desk, "name", "Jane Q. Doe", subject_id="idn_jane")["outcome"] == "clear"
    screened(desk, "iban", UNLISTED_IBAN, subject_id="mch_jane")
    replaced = desk.client.put(
        "/v1/screening/list", json=encoded(with_entry(JANE)), headers=desk._headers(None)
    )
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    assert (body["entries"], body["rescreened"]) == (8, 2)
    assert body["version"] != before["version"]
    assert [(item["subject_id"], item["trigger"], item["standing"]) for item in body["not_clear"]] == [
        ("idn_jane", "list_change", "pending_review")
    ]
    assert desk.get("/v1/screening/list").json()["version"] == body["version"]
    same = desk.client.put("/v1/screening/list", json=encoded(with_entry(JANE)), headers=desk._headers(None))
    assert (same.json()["version"], same.json()["rescreened"]) == (body["version"], 0)


def test_a_list_changed_on_disk_rescreens_on_next_use(operator: NewOperator, list_dir: Path) -> None:
    desk = operator("screening:read", "screening:review")
    assert screened(desk, "name", "Jane Quinn Doe", subject_id="idn_jane")["outcome"] == "clear"
    (list_dir / "SDN.CSV").write_bytes(with_entry(JANE)["SDN.CSV"])
    latest = desk.get("/v1/screening/subjects/idn_jane").json()
    assert latest["standing"] == "pending_review"
    assert latest["screenings"][0]["trigger"] == "list_change"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "passport", "value": "x"}, "kind"),
        ({"kind": "name", "value": ""}, "value"),
        ({"kind": "iban", "value": "DE00 1234"}, "value"),
        ({"kind": "chain_address", "value": "0xabc def"}, "value"),
        ({"kind": "name", "value": "x", "subject_id": "no spaces allowed"}, "subject_id"),
    ],
)
def test_bad_screening_input_names_the_field(operator: NewOperator, body: dict[str, str], field: str) -> None:
    answer = operator("screening:review").post(SCREEN, body)
    assert answer.status_code == 422, answer.text
    assert field in [error["field"] for error in answer.json()["errors"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sdn": "not base64!"}, "sdn"),
        ({"sdn": base64.b64encode(b'1,"only two fields"\r\n').decode()}, "sdn"),
        ({"sdn": base64.b64encode(sample_files()["SDN.CSV"]).decode(), "alt": "%%%"}, "alt"),
        ({}, "sdn"),
    ],
)
def test_a_bad_list_is_refused_naming_the_file_and_changes_nothing(
    operator: NewOperator, list_dir: Path, body: dict[str, str], field: str
) -> None:
    admin = operator("screening:admin", "screening:read")
    before = admin.get("/v1/screening/list").json()["version"]
    answer = admin.client.put("/v1/screening/list", json=body, headers=admin._headers(None))
    assert answer.status_code == 422, answer.text
    assert field in [error["field"] for error in answer.json()["errors"]]
    assert admin.get("/v1/screening/list").json()["version"] == before
    assert (list_dir / "SDN.CSV").read_bytes() == sample_files()["SDN.CSV"]


def test_outsiders_are_refused(client: TestClient, operator: NewOperator) -> None:
    assert client.get("/v1/screening/reviews").status_code == 401
    assert (
        client.post(SCREEN, json={"kind": "name", "value": "x"}, headers={"Idempotency-Key": "k"}).status_code
        == 401
    )
    reviewer = operator("screening:review")
    pending = screened(reviewer, "name", "Teodor Morvane")
    unrelated = operator("kyc:read", "kyc:review", "merchants:admin")
    for answer in (
        unrelated.get("/v1/screening/reviews"),
        unrelated.get(f"{SCREEN}/{pending['id']}"),
        unrelated.get("/v1/screening/list"),
        unrelated.post(SCREEN, {"kind": "name", "value": "x"}),
        unrelated.post(f"{SCREEN}/{pending['id']}/decision", {"decision": "false_positive", "reason": "x"}),
    ):
        assert answer.status_code == 403, answer.text
    reader = operator("screening:read")
    assert reader.post(SCREEN, {"kind": "name", "value": "x"}).status_code == 403
    assert (
        reader.post(
            f"{SCREEN}/{pending['id']}/decision", {"decision": "confirmed", "reason": "x"}
        ).status_code
        == 403
    )
    files = encoded(sample_files())
    assert (
        reviewer.client.put("/v1/screening/list", json=files, headers=reviewer._headers(None)).status_code
        == 403
    )
    # A merchant's key holds merchant scopes only: every operator screening route refuses it.
    admin = operator("merchants:admin")
    merchant = admin.post("/v1/merchants/applications", application("Harmless Bakery GmbH")).json()
    keys = admin.post(f"/v1/merchants/{merchant['id']}/approve").json()["api_keys"]
    merchant_key = Caller(client, keys[0]["token"])
    assert merchant_key.get("/v1/screening/reviews").status_code == 403
    assert merchant_key.post(SCREEN, {"kind": "name", "value": "x"}).status_code == 403


def application(legal_name: str) -> dict[str, Any]:
    return {
        "legal_name": legal_name,
        "country": "DE",
        "settlement_currency": "EUR",
        "fees": {
            "card": {"basis_points": 290, "fixed": "30"},
            "bank": {"basis_points": 80, "fixed": "0"},
            "stablecoin": {"basis_points": 50, "fixed": "0"},
        },
    }


def test_a_merchant_with_a_sanctioned_name_is_held_until_a_reviewer_clears_it(operator: NewOperator) -> None:
    admin = operator("merchants:admin")
    reviewer = operator("screening:read", "screening:review")
    merchant = admin.post("/v1/merchants/applications", application("Kestrel Holdings Ltd")).json()
    [pending] = reviewer.get("/v1/screening/reviews").json()["data"]
    assert (pending["subject_id"], pending["trigger"]) == (merchant["id"], "onboarding")
    assert pending["hits"][0]["listed"] == "KESTREL HOLDINGS LIMITED"
    held = admin.post(f"/v1/merchants/{merchant['id']}/approve")
    assert held.status_code == 409, held.text
    assert held.json()["type"].endswith("merchant-screening-hold")
    reviewer.post(
        f"{SCREEN}/{pending['id']}/decision",
        {"decision": "false_positive", "reason": "registered 2021 in DE"},
    )
    approved = admin.post(f"/v1/merchants/{merchant['id']}/approve")
    assert approved.status_code == 200, approved.text
    assert approved.json()["merchant"]["status"] == "active"


def test_a_merchant_confirmed_as_a_match_is_never_approved(operator: NewOperator) -> None:
    admin = operator("merchants:admin")
    reviewer = operator("screening:review", "screening:read")
    merchant = admin.post("/v1/merchants/applications", application("Kestrel Holdings Limited")).json()
    [pending] = reviewer.get("/v1/screening/reviews").json()["data"]
    reviewer.post(
        f"{SCREEN}/{pending['id']}/decision", {"decision": "confirmed", "reason": "same registry no"}
    )
    refused = admin.post(f"/v1/merchants/{merchant['id']}/approve")
    assert refused.status_code == 409
    assert refused.json()["standing"] == "blocked"
