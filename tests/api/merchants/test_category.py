"""The merchant category (ISO 18245 `mcc`): named in the application, changed by an admin only, read by the
merchant; a malformed or unknown code is a 422 problem document naming `mcc`; a change is on the risk
audit log. SQLite and PostgreSQL."""

from typing import Any

import pytest

from api.settings import ApiSettings
from tests.api.merchants.conftest import APPLICATION, Caller, Onboarded
from tests.helpers.risk_audit import chained_records


def patch(caller: Caller, merchant_id: str, body: Any) -> Any:
    return caller.request("PATCH", f"/v1/merchants/{merchant_id}", body)


def test_the_application_names_the_category_and_the_merchant_reads_it(admin: Caller, client: Any) -> None:
    applied = admin.post("/v1/merchants/applications", {**APPLICATION, "mcc": "5411"})
    assert applied.status_code == 201, applied.text
    assert applied.json()["mcc"] == "5411"
    merchant_id = applied.json()["id"]
    approved = admin.post(f"/v1/merchants/{merchant_id}/approve")
    assert approved.json()["merchant"]["mcc"] == "5411"
    token = next(key["token"] for key in approved.json()["api_keys"] if key["mode"] == "sandbox")
    assert Caller(client, token).get("/v1/merchant").json()["mcc"] == "5411"


def test_an_application_without_a_category_has_none(admin: Caller) -> None:
    applied = admin.post("/v1/merchants/applications", APPLICATION)
    assert applied.status_code == 201, applied.text
    assert applied.json()["mcc"] is None


def test_an_admin_changes_and_clears_the_category(
    admin: Caller, merchant_a: Onboarded, api_settings: ApiSettings
) -> None:
    changed = patch(admin, merchant_a.id, {"mcc": "4829"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["mcc"] == "4829"
    assert merchant_a.sandbox.get("/v1/merchant").json()["mcc"] == "4829"
    assert patch(admin, merchant_a.id, {"mcc": "4829"}).json()["mcc"] == "4829"  # again: the same
    cleared = patch(admin, merchant_a.id, {"mcc": None})
    assert (cleared.status_code, cleared.json()["mcc"]) == (200, None)
    assert admin.get(f"/v1/merchants/{merchant_a.id}").json()["mcc"] is None
    trail = chained_records(api_settings.database_url, [merchant_a.id])
    assert [(r.action, r.details["from"], r.details["to"]) for r in trail] == [
        ("merchant.category.changed", None, "4829"),  # setting the same value again recorded nothing
        ("merchant.category.changed", "4829", None),
    ]
    assert len({r.actor for r in trail}) == 1


def test_a_merchant_cannot_change_its_own_category(merchant_a: Onboarded, admin: Caller) -> None:
    patch(admin, merchant_a.id, {"mcc": "7995"})
    for caller in (merchant_a.sandbox, merchant_a.live):
        refused = patch(caller, merchant_a.id, {"mcc": "5411"})
        assert refused.status_code == 403, refused.text
    assert admin.get(f"/v1/merchants/{merchant_a.id}").json()["mcc"] == "7995"


def test_another_scope_or_an_unknown_merchant_is_refused(operator: Any, admin: Caller) -> None:
    applicant = operator("merchants:apply")
    merchant_id = applicant.post("/v1/merchants/applications", APPLICATION).json()["id"]
    assert patch(applicant, merchant_id, {"mcc": "5411"}).status_code == 403
    missing = patch(admin, "mch_" + "0" * 24, {"mcc": "5411"})
    assert missing.status_code == 404, missing.text
    assert missing.json()["type"].endswith("merchant-not-found")


BAD_CODES: list[Any] = ["541", "54111", "54a1", "٥٤١١", "0000", "9999", 5411, ""]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("code", BAD_CODES, ids=[repr(code) for code in BAD_CODES])
def test_a_bad_category_is_422_naming_mcc(admin: Caller, merchant_a: Onboarded, code: Any) -> None:
    for response in (
        admin.post("/v1/merchants/applications", {**APPLICATION, "mcc": code}),
        patch(admin, merchant_a.id, {"mcc": code}),
    ):
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert [error["field"] for error in response.json()["errors"]] == ["mcc"]
    assert admin.get(f"/v1/merchants/{merchant_a.id}").json()["mcc"] is None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_update_names_the_category_and_nothing_else(admin: Caller, merchant_a: Onboarded) -> None:
    for body in ({}, {"mcc": "5411", "legal_name": "Other"}):
        response = patch(admin, merchant_a.id, body)
        assert response.status_code == 422, response.text
