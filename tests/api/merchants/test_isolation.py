"""Tenant isolation, a test per route: merchant A's keys never see or change merchant B's objects, and a
key of one mode never sees or changes the other mode's (a sandbox key never reaches a live object, nor the
reverse). On SQLite and PostgreSQL."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from tests.api.merchants.conftest import APPLICATION, Caller, Onboarded
from tests.helpers.csr import make_csr

MODES = ["sandbox", "live"]
OTHER = {"sandbox": "live", "live": "sandbox"}


def key_of(merchant: Onboarded, mode: str) -> Caller:
    return merchant.sandbox if mode == "sandbox" else merchant.live


def seen_by_admin(admin: Caller, merchant: Onboarded) -> dict[str, object]:
    """What the merchant holds, as an admin sees it (both modes)."""
    detail = admin.get(f"/v1/merchants/{merchant.id}").json()
    return {"keys": detail["api_keys"], "certificates": detail["certificates"]}


def with_certificate(merchant: Onboarded, mode: str) -> str:
    """Issue the merchant a certificate of `mode` with its own key of that mode; its id."""
    response = key_of(merchant, mode).post(f"/v1/merchants/{merchant.id}/certificates", {"csr": make_csr()})
    assert response.status_code == 201, response.text
    return response.json()["id"]


# --- merchant A's key against merchant B ---


@pytest.mark.parametrize("mode", MODES)
def test_a_reads_nothing_of_b(admin: Caller, merchant_a: Onboarded, merchant_b: Onboarded, mode: str):
    with_certificate(merchant_b, mode)
    response = key_of(merchant_a, mode).get(f"/v1/merchants/{merchant_b.id}")
    assert response.status_code == 404
    assert response.json()["type"] == "urn:tpwallet:problem:merchant-not-found"
    own = key_of(merchant_a, mode).get("/v1/merchant").json()
    assert own["id"] == merchant_a.id
    assert own["certificates"] == []
    assert merchant_b.key_ids[mode] not in {key["id"] for key in own["api_keys"]}


@pytest.mark.parametrize("mode", MODES)
def test_a_issues_no_key_to_b(admin: Caller, merchant_a: Onboarded, merchant_b: Onboarded, mode: str):
    before = seen_by_admin(admin, merchant_b)
    response = key_of(merchant_a, mode).post(f"/v1/merchants/{merchant_b.id}/api-keys", {"mode": mode})
    assert response.status_code == 404
    assert seen_by_admin(admin, merchant_b) == before


@pytest.mark.parametrize("mode", MODES)
def test_a_revokes_no_key_of_b(admin: Caller, merchant_a: Onboarded, merchant_b: Onboarded, mode: str):
    target = merchant_b.key_ids[mode]
    caller = key_of(merchant_a, mode)
    assert caller.delete(f"/v1/merchants/{merchant_b.id}/api-keys/{target}").status_code == 404
    assert (
        caller.delete(f"/v1/merchants/{merchant_a.id}/api-keys/{target}").status_code == 404
    )  # via A's path
    assert key_of(merchant_b, mode).get("/v1/merchant").status_code == 200


@pytest.mark.parametrize("mode", MODES)
def test_a_gets_no_certificate_for_b(admin: Caller, merchant_a: Onboarded, merchant_b: Onboarded, mode: str):
    response = key_of(merchant_a, mode).post(
        f"/v1/merchants/{merchant_b.id}/certificates", {"csr": make_csr()}
    )
    assert response.status_code == 404
    assert seen_by_admin(admin, merchant_b)["certificates"] == []


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_a_cannot_decide_on_an_application(admin: Caller, merchant_a: Onboarded, action: str):
    applicant = admin.post("/v1/merchants/applications", APPLICATION).json()["id"]
    for mode in MODES:
        assert key_of(merchant_a, mode).post(f"/v1/merchants/{applicant}/{action}").status_code == 403
        assert key_of(merchant_a, mode).post("/v1/merchants/applications", APPLICATION).status_code == 403
    assert admin.get(f"/v1/merchants/{applicant}").json()["status"] == "applied"


# --- one mode's key against the other mode's objects ---


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "read", [lambda m: f"/v1/merchants/{m.id}", lambda m: "/v1/merchant"], ids=["by-id", "own"]
)
def test_a_key_reads_only_its_modes_objects(
    merchant_a: Onboarded, mode: str, read: Callable[[Onboarded], str]
):
    own_certificate = with_certificate(merchant_a, mode)
    with_certificate(merchant_a, OTHER[mode])
    detail = key_of(merchant_a, mode).get(read(merchant_a)).json()
    assert [key["id"] for key in detail["api_keys"]] == [merchant_a.key_ids[mode]]
    assert [certificate["id"] for certificate in detail["certificates"]] == [own_certificate]
    assert {item["mode"] for item in detail["api_keys"] + detail["certificates"]} == {mode}


@pytest.mark.parametrize("mode", MODES)
def test_a_key_issues_no_key_of_the_other_mode(admin: Caller, merchant_a: Onboarded, mode: str):
    before = seen_by_admin(admin, merchant_a)
    response = key_of(merchant_a, mode).post(f"/v1/merchants/{merchant_a.id}/api-keys", {"mode": OTHER[mode]})
    assert response.status_code == 403
    assert response.json()["type"] == "urn:tpwallet:problem:other-mode"
    assert seen_by_admin(admin, merchant_a) == before


@pytest.mark.parametrize("mode", MODES)
def test_a_key_revokes_no_key_of_the_other_mode(merchant_a: Onboarded, mode: str):
    other = merchant_a.key_ids[OTHER[mode]]
    response = key_of(merchant_a, mode).delete(f"/v1/merchants/{merchant_a.id}/api-keys/{other}")
    assert response.status_code == 404
    assert key_of(merchant_a, OTHER[mode]).get("/v1/merchant").status_code == 200


@pytest.mark.parametrize("mode", MODES)
def test_a_key_gets_no_certificate_of_the_other_mode(admin: Caller, merchant_a: Onboarded, mode: str):
    body = {"csr": make_csr(), "mode": OTHER[mode]}
    response = key_of(merchant_a, mode).post(f"/v1/merchants/{merchant_a.id}/certificates", body)
    assert response.status_code == 403
    assert seen_by_admin(admin, merchant_a)["certificates"] == []


def test_an_admin_sees_and_acts_in_both_modes(client: TestClient, admin: Caller, merchant_a: Onboarded):
    for mode in MODES:
        issued = admin.post(f"/v1/merchants/{merchant_a.id}/api-keys", {"mode": mode})
        assert issued.status_code == 201
        assert Caller(client, issued.json()["token"]).get("/v1/merchant").json()["id"] == merchant_a.id
        body = {"csr": make_csr(), "mode": mode}
        assert admin.post(f"/v1/merchants/{merchant_a.id}/certificates", body).status_code == 201
    detail = seen_by_admin(admin, merchant_a)
    assert len(detail["keys"]) == 4  # type: ignore[arg-type]
    assert len(detail["certificates"]) == 2  # type: ignore[arg-type]
    no_mode = admin.post(f"/v1/merchants/{merchant_a.id}/certificates", {"csr": make_csr()})
    assert no_mode.status_code == 422
    assert no_mode.json()["errors"][0]["field"] == "mode"
